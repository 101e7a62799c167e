"""The build's refresh step decides what is out of date from what the committed files record."""
from __future__ import annotations

import json
from pathlib import Path

from gen.config import MODELS_DIR
from gen.models.registry import MODEL_SPECS, model_digests, other_models
from gen.pipeline import BuildContext
from gen.refresh import run, stale_files, stale_metrics, stale_models


def _write(path: Path, content: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content))


def _models(tmp_path: Path, data_hash: str) -> Path:
    for name in MODEL_SPECS:
        (tmp_path / name).mkdir()
        (tmp_path / name / "model.keras").write_bytes(b"weights")
        _write(tmp_path / name / "metadata.json", {"data_hash": data_hash})
    digests = model_digests(list(MODEL_SPECS), tmp_path)
    for name in MODEL_SPECS:
        _write(tmp_path / name / "metrics.json", {"data_hash": data_hash, "model_sha256": digests[name]})
    return tmp_path


def test_models_are_stale_when_missing_or_trained_on_other_data(tmp_path: Path) -> None:
    models = _models(tmp_path, "aaaa")
    assert stale_models("aaaa", models) == []
    (models / "gender" / "model.keras").unlink()
    _write(models / "age_base" / "metadata.json", {"data_hash": "bbbb"})
    assert stale_models("aaaa", models) == ["gender", "age_base"]
    assert stale_models("cccc", models) == list(MODEL_SPECS)


def test_metrics_follow_retraining_and_race_models_go_in_pairs(tmp_path: Path) -> None:
    models = _models(tmp_path, "aaaa")
    assert stale_metrics("aaaa", [], models) == []
    assert stale_metrics("aaaa", ["gender"], models) == ["gender"]
    (models / "race_biased" / "metrics.json").unlink()
    assert stale_metrics("aaaa", [], models) == ["race_fair", "race_biased"]


def test_metrics_and_analyses_measured_on_another_model_file_are_stale(tmp_path: Path) -> None:
    models = _models(tmp_path, "aaaa")
    recorded = {"model_sha256": model_digests(["gender", "age_base"], models)}
    assert not other_models(recorded, models)
    (models / "gender" / "model.keras").write_bytes(b"retrained weights")  # same data, new model file
    assert stale_metrics("aaaa", [], models) == ["gender"]
    assert other_models(recorded, models) and other_models({}, models)


def test_analysis_files_are_stale_when_missing_or_outdated(tmp_path: Path) -> None:
    _write(tmp_path / "one.json", {"data_hash": "aaaa"})
    assert not stale_files(("one",), lambda c: c["data_hash"] != "aaaa", tmp_path)
    assert stale_files(("one",), lambda c: c["data_hash"] != "bbbb", tmp_path)
    assert stale_files(("one", "two"), lambda c: False, tmp_path)


def test_the_face_template_is_stale_with_other_detector_settings_data_or_models() -> None:
    from gen.face.template import DETECTOR, is_stale, read_template
    template = read_template()
    assert template["detector"] == DETECTOR, "face_template.json: other detector settings; `gen face-template`"
    assert not other_models(template["scale_search"])
    data_hash = template["data_hash"]
    assert not is_stale(template, data_hash)
    assert is_stale(template, "another dataset")
    assert is_stale({**template, "detector": {**DETECTOR, "refine_passes": DETECTOR["refine_passes"] + 1}}, data_hash)
    search = template["scale_search"]
    assert is_stale({**template, "scale_search": {**search, "model_sha256": {**search["model_sha256"], "gender": "0"}}},
                    data_hash)


def test_without_a_dataset_nothing_is_touched(tmp_path: Path, capsys) -> None:
    before = {p: p.stat().st_mtime_ns for p in MODELS_DIR.rglob("*.json")}
    run(BuildContext(docs_dir=tmp_path / "docs", data_dir=None))
    assert "no dataset here" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in MODELS_DIR.rglob("*.json")} == before


def test_the_committed_models_and_analyses_are_current(utkface_dir: Path) -> None:
    """With the real dataset, the committed artefacts are all up to date: a build would train nothing.
    (Checked through the decisions, not by running the step, so a failure here never starts training.)"""
    from gen.data.prepared import prepare_data
    from gen.refresh import AGE_FILES, EXPLAIN_FILES

    data_hash = prepare_data(utkface_dir, manifest=None).dataset.fingerprint
    analysis = MODELS_DIR / "analysis"
    assert stale_models(data_hash) == []
    assert stale_metrics(data_hash, []) == []
    assert not stale_files(EXPLAIN_FILES, lambda c: c["data_hash"] != data_hash or other_models(c), analysis)
    assert not stale_files(AGE_FILES, other_models, analysis)
    assert json.loads((analysis / "data_report.json").read_text())["data_hash"] == data_hash
    from gen.face.template import is_stale, read_template
    assert not is_stale(read_template(), data_hash), "face_template.json is out of date: `python -m gen face-template`"


def test_the_unusual_calibration_follows_the_models_and_the_face_template(tmp_path: Path) -> None:
    """It is calibrated on faces the page's pipeline aligned: a remeasured template makes it stale too."""
    import shutil

    from gen.analysis import unusual
    assert not unusual.is_stale(), "unusual.json is out of date: `python -m gen unusual`"
    calibration = json.loads(unusual.unusual_path().read_text())
    assert calibration["calibration"]["faces"] >= 900
    # re-alignment raises the score, so the crops as they are stay under the page-aligned faces' percentile
    assert calibration["flag_rate"]["val"] <= 1 - unusual.PERCENTILE
    models = tmp_path / "models"
    shutil.copytree(MODELS_DIR / calibration["model"], models / calibration["model"])
    _write(unusual.unusual_path(models), {**calibration, "template_sha256": "another template"})
    assert unusual.is_stale(models)
    _write(unusual.unusual_path(models), calibration)
    assert not unusual.is_stale(models)
