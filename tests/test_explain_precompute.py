"""The explain build step: what it writes for the pages, and that its cache skips unchanged work."""
from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from gen.config import MODELS_DIR, RACES, SITE_SRC
from gen.explain.registry import METHODS as SITE_METHODS
from gen.models.architecture import FEATURE_LAYER, build_classifier
from gen.models.keras import keras
from gen.site.context import MissingDataError
from gen.site.heatmaps import precompute as full_precompute


def write_model(folder: Path, seed: int) -> None:
    """An untrained project classifier is enough here: the step's bookkeeping is under test."""
    keras.utils.set_random_seed(seed)
    folder.mkdir(parents=True)
    build_classifier(len(RACES), 64, name=folder.name).save(folder / "model.keras")
    (folder / "metadata.json").write_text(json.dumps({"name": folder.name, "task": "race", "labels": list(RACES),
                                                        "feature_layer": FEATURE_LAYER}))


def write_samples(site_src: Path, count: int) -> list[str]:
    manifest = json.loads((SITE_SRC / "samples" / "manifest.json").read_text())
    (site_src / "samples").mkdir(parents=True, exist_ok=True)
    chosen = manifest["samples"][:count]
    for entry in chosen:
        shutil.copy(SITE_SRC / "samples" / entry["file"], site_src / "samples" / entry["file"])
    (site_src / "samples" / "manifest.json").write_text(json.dumps({**manifest, "samples": chosen}))
    return [entry["id"] for entry in chosen]


pytestmark = pytest.mark.slow  # every method on real-size models: minutes on two cores

# Every site method, with cheaper settings: the step's bookkeeping is under test, not the maps.
CHEAPER = {"integrated_gradients": {"baseline": "blurred", "steps": 4}, "smoothgrad": {"samples": 2},
           "occlusion": {"window": 16, "stride": 16}}
METHODS = {name: dataclasses.replace(method, site_parameters=CHEAPER.get(name, method.site_parameters))
           for name, method in SITE_METHODS.items()}


def precompute(*args) -> dict[str, int]:
    return full_precompute(*args, methods=METHODS)


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    write_model(folder / "race_fair", 1)
    write_model(folder / "race_biased", 2)
    copy_figure_inputs(folder / "analysis")
    return folder


def copy_figure_inputs(analysis: Path) -> None:
    """The committed analysis files the explanation figures draw from, into a test's models/analysis/."""
    analysis.mkdir(parents=True, exist_ok=True)
    for stem in ("explain_*", "dose*", "face_template.json"):
        for committed in (MODELS_DIR / "analysis").glob(stem):
            shutil.copy(committed, analysis / committed.name)


def test_explain_step_writes_the_index_and_caches(models_dir: Path, tmp_path: Path) -> None:
    site_src, docs, cache = tmp_path / "site_src", tmp_path / "docs", tmp_path / "cache"
    write_samples(site_src, 1)
    first = precompute(docs, models_dir, site_src, cache)
    assert first["predictions"] == 2 and first["maps"] >= 2 * len(METHODS)

    index = json.loads((docs / "generated" / "explain" / "samples.json").read_text())
    sample = index["samples"][0]
    for entry in sample["models"].values():
        roles = [e["role"] for e in entry["explained"]]
        assert roles in (["predicted_and_true"], ["predicted", "true"])
        assert entry["explained"][0]["class"] == entry["predicted"]
        assert entry["explained"][-1]["class"] == entry["true"] == sample["labels"]["race"]
        assert entry["true_probability"] == pytest.approx(entry["probabilities"][entry["true"]])
        for explained in entry["explained"]:
            for files in explained["maps"].values():
                assert (docs / files["overlay"]).is_file() and files["overlay"].endswith(".webp")
                assert set(files) == {"overlay", "scale", "total", "delta"}  # no picture that no page shows
    true_row, *own_rows = sample["comparison"]
    assert true_row["role"] == "true"
    assert {m["class"] for m in true_row["models"].values()} == {sample["labels"]["race"]}
    if own_rows:
        assert own_rows[0]["role"] == "predicted" and not true_row["also_predicted"]
        assert all(m["class"] == sample["models"][n]["predicted"] for n, m in own_rows[0]["models"].items())
    else:
        assert true_row["also_predicted"] and all(m["correct"] for m in sample["models"].values())

    again = precompute(docs, models_dir, site_src, cache)
    assert again == {"predictions": 0, "maps": 0, "pictures": 0}

    write_samples(site_src, 2)  # one new sample: only its own work is done
    added = precompute(docs, models_dir, site_src, cache)
    new = json.loads((docs / "generated" / "explain" / "samples.json").read_text())["samples"][1]
    expected_maps = sum(len(m["explained"]) for m in new["models"].values()) * len(METHODS)
    assert added["predictions"] == 2 and added["maps"] == expected_maps


def test_changed_model_is_recomputed(models_dir: Path, tmp_path: Path) -> None:
    site_src, docs, cache = tmp_path / "site_src", tmp_path / "docs", tmp_path / "cache"
    write_samples(site_src, 1)
    precompute(docs, models_dir, site_src, cache)
    changed = tmp_path / "models"
    shutil.copytree(models_dir, changed)
    model = keras.models.load_model(changed / "race_fair" / "model.keras")
    model.set_weights([w + np.float32(0.01) for w in model.get_weights()])
    model.save(changed / "race_fair" / "model.keras")
    result = precompute(docs, changed, site_src, cache)
    assert result["predictions"] == 1 and result["maps"] > 0  # race_biased came from the cache


def test_a_missing_analysis_file_stops_with_the_command_that_writes_it(models_dir: Path, tmp_path: Path) -> None:
    site_src, docs, cache = tmp_path / "site_src", tmp_path / "docs", tmp_path / "cache"
    write_samples(site_src, 1)
    incomplete = tmp_path / "models"
    shutil.copytree(models_dir, incomplete)
    (incomplete / "analysis" / "explain_sanity.json").unlink()
    with pytest.raises(MissingDataError, match=r"explain_sanity\.json is missing \(written by `python -m gen explain"):
        precompute(docs, incomplete, site_src, cache)
