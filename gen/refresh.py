"""Build step: bring the dataset-derived artefacts up to date, when the dataset is present.

`python -m gen build` runs every step and skips what is up to date. The site itself builds from what
is committed under `models/`, so without the dataset this step does nothing. With it, each stage runs
only when what it wrote no longer matches its inputs:

- data report: its data hash differs from the dataset's;
- training: a model is missing, or its metadata names other data (a changed or grown dataset);
- evaluation: a model was retrained, or its metrics.json is missing or names other data;
- explanation analyses: a model was retrained, or a file is missing or names other data;
- the face template (which the Try-it page aligns to): measured on other data, with detector settings other
  than gen/face/template.py's, or its scale chosen with other models (Chromium, about ten minutes);
- age ranges, prototypes, face regions and the "unusual" calibration: the model digests they record
  differ from the models now committed (face regions also when the landmark template moved a region);
- the bias dose curve: dose.json is missing or was made for other data, recipe, doses or seeds (it trains
  fifteen race models: about 70 minutes on two cores, resumable).

In CI and in the tests everything is committed and current, so nothing here ever trains there.
"""
from __future__ import annotations

import json
from pathlib import Path

from gen.config import MODELS_DIR
from gen.models.registry import MODEL_SPECS, RACE_PAIR, model_digests, other_models  # the pair: evaluated together
from gen.pipeline import BuildContext

EXPLAIN_FILES = ("explain_faithfulness", "explain_sanity", "explain_completeness", "explain_aggregates")
AGE_FILES = ("age_ranges", "prototypes")


def _json(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def stale_models(data_hash: str, models_dir: Path = MODELS_DIR) -> list[str]:
    """Models that are missing or were trained on other data."""
    stale = []
    for name in MODEL_SPECS:
        metadata = _json(models_dir / name / "metadata.json")
        if not (models_dir / name / "model.keras").exists() or not metadata or metadata["data_hash"] != data_hash:
            stale.append(name)
    return stale


def stale_metrics(data_hash: str, retrained: list[str], models_dir: Path = MODELS_DIR) -> list[str]:
    """Models whose metrics.json is missing, names other data, or was measured on another model file."""
    def current(name: str) -> bool:
        metrics = _json(models_dir / name / "metrics.json") or {}
        return (metrics.get("data_hash") == data_hash
                and metrics.get("model_sha256") == model_digests([name], models_dir)[name])

    stale = {name for name in MODEL_SPECS if name in retrained or not current(name)}
    if stale & set(RACE_PAIR):
        stale |= set(RACE_PAIR)
    return [name for name in MODEL_SPECS if name in stale]


def stale_files(stems: tuple[str, ...], check, analysis_dir: Path) -> bool:
    """True when any analysis file is missing or `check(content)` says it is out of date."""
    return any((content := _json(analysis_dir / f"{stem}.json")) is None or check(content) for stem in stems)


def run(ctx: BuildContext, models_dir: Path = MODELS_DIR) -> None:
    if ctx.data_dir is None:
        print("[refresh] no dataset here: the site is built from the committed models and analyses", flush=True)
        return
    from gen.data.prepared import prepare_data

    data = prepare_data(ctx.data_dir)
    data_hash, analysis_dir = data.dataset.fingerprint, models_dir / "analysis"
    done = []
    if (_json(analysis_dir / "data_report.json") or {}).get("data_hash") != data_hash:
        from gen.data.report import write_data_report
        write_data_report(data, analysis_dir / "data_report.json")
        done.append("data report")
    retrained = stale_models(data_hash, models_dir)
    if retrained:
        from gen.models.train import train_all
        train_all(data, retrained, models_dir)
        done.append(f"trained {', '.join(retrained)}")
    to_evaluate = stale_metrics(data_hash, retrained, models_dir)
    if to_evaluate:
        from gen.models.evaluate import evaluate_all
        evaluate_all(data, to_evaluate, models_dir)
        done.append(f"evaluated {', '.join(to_evaluate)}")
    def measured_elsewhere(content: dict) -> bool:  # on other data, or on other model files
        return content.get("data_hash") != data_hash or other_models(content, models_dir)

    if retrained or stale_files(EXPLAIN_FILES, measured_elsewhere, analysis_dir):
        from gen.analysis.explanations import run_analysis
        run_analysis(data, models_dir)
        done.append("explanation analyses")
    if stale_files(AGE_FILES, lambda c: other_models(c, models_dir), analysis_dir):
        from gen.age.prototypes import write_prototypes
        from gen.age.ranges import write_age_ranges
        write_age_ranges(data, models_dir=models_dir)
        write_prototypes(data, models_dir=models_dir)
        done.append("age ranges and prototypes")
    from gen.analysis import regions
    from gen.face import template as face_template
    template, side = face_template.read_template(), data.dataset.pixels.shape[1]
    if face_template.is_stale(template, data_hash, models_dir):
        template = face_template.write_template(data, models_dir=models_dir)
        done.append("face template")
    if stale_files(("regions",), lambda c: measured_elsewhere(c) or regions.is_stale(c, template, side), analysis_dir):
        regions.run_regions(data, models_dir, analysis_dir / "regions.json")
        done.append("face regions")
    from gen.analysis import dose, unusual
    if unusual.is_stale(models_dir):
        unusual.write_unusual(data, models_dir)
        done.append("unusual-face calibration")
    if dose.is_stale(data, analysis_dir / "dose.json"):
        dose.run_dose(data, out_file=analysis_dir / "dose.json", maps_file=analysis_dir / "dose_maps.npz")
        done.append("bias dose curve")
    print(f"[refresh] dataset {data_hash}: {'; '.join(done) or 'every model and analysis is up to date'}", flush=True)
