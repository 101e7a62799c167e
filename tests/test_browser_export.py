"""The TF.js export: quantised only when measured harmless, never redone for an unchanged model, and
published with the metadata and samples the page reads."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from gen.config import IMAGE_SIZE, SITE_SRC
from gen.models import export
from gen.models.registry import MODEL_SPECS
from gen.pipeline import BuildContext
from gen.site import publish
from tests.browser_site import train_small_models

pytestmark = pytest.mark.slow  # trains models or converts them to TF.js

NAMES = ("gender", "age_base")


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("trained")
    train_small_models(folder, NAMES)
    return folder


@pytest.fixture
def models_dir(trained: Path, tmp_path: Path) -> Path:
    """A fresh copy per test: exports write into the model folders."""
    return Path(shutil.copytree(trained, tmp_path / "models"))


def faces_the_model_gets_right(models_dir: Path, name: str, n: int = 200) -> export.TestFaces:
    """Random faces labelled with the Keras model's own answers: its accuracy is 100% by construction,
    so any change a quantisation makes is exactly the share of answers it flips."""
    from gen.models.keras import keras

    pixels = np.random.default_rng(1).integers(0, 256, (n, IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
    model = keras.models.load_model(models_dir / name / "model.keras")
    labels = model.predict(pixels.astype(np.float32), verbose=0).argmax(1)
    return export.TestFaces(pixels, {MODEL_SPECS[name].task: labels}, "test-faces")


def shipped_dtypes(model_dir: Path) -> set[str]:
    manifest = json.loads((model_dir / "tfjs" / "model.json").read_text())["weightsManifest"]
    return {w.get("quantization", {}).get("dtype", w["dtype"]) for group in manifest for w in group["weights"]}


def test_quantisation_is_chosen_by_measured_accuracy(models_dir: Path, monkeypatch) -> None:
    faces = faces_the_model_gets_right(models_dir, "gender")
    record = export.export_model("gender", faces, models_dir)
    measured = record["test_accuracy"]
    assert measured["keras"] == 100.0 and set(measured) == {"keras", *export.QUANTISATIONS}
    agreement = record["top1_agreement_with_keras"]
    assert set(agreement) == set(export.QUANTISATIONS)
    assert all(measured[q] == agreement[q] for q in agreement)  # the labels are the Keras answers
    harmless = [q for q in export.QUANTISATIONS if 100.0 - measured[q] <= export.MAX_ANSWERS_CHANGED]
    assert record["quantisation"] == (harmless[0] if harmless else None)
    assert shipped_dtypes(models_dir / "gender") == {record["quantisation"] or "float32"}
    assert json.loads((models_dir / "gender" / "export.json").read_text()) == record

    monkeypatch.setattr(export, "MAX_ACCURACY_CHANGE", -1.0)  # no quantisation can pass
    fallback = export.export_model("gender", faces, models_dir)
    assert fallback["quantisation"] is None and fallback["accuracy_change"] is None
    assert shipped_dtypes(models_dir / "gender") == {"float32"}


def test_the_export_loads_in_tfjs_terms_and_matches_keras(models_dir: Path) -> None:
    from gen.models.keras import keras

    export.export_model("age_base", None, models_dir)  # no dataset: float32, nothing measured
    artifacts = json.loads((models_dir / "age_base" / "tfjs" / "model.json").read_text())
    layers = artifacts["modelTopology"]["model_config"]["config"]["layers"]
    separable = [layer["config"] for layer in layers if layer["class_name"] == "SeparableConv2D"]
    assert separable and not any("kernel_initializer" in config for config in separable)
    assert "training_config" not in artifacts["modelTopology"]
    pixels = np.random.default_rng(2).uniform(0, 255, (8, IMAGE_SIZE, IMAGE_SIZE, 3)).astype(np.float32)
    original = keras.models.load_model(models_dir / "age_base" / "model.keras").predict(pixels, verbose=0)
    shipped = export.load_shipped(models_dir / "age_base" / "tfjs" / "model.json").predict(pixels, verbose=0)
    np.testing.assert_allclose(shipped, original, atol=1e-6)


def test_an_unchanged_model_is_not_exported_again(models_dir: Path) -> None:
    from gen.models.keras import keras

    assert set(export.export_all(None, list(NAMES), models_dir)) == set(NAMES)
    assert export.export_all(None, list(NAMES), models_dir) == {}
    model = keras.models.load_model(models_dir / "gender" / "model.keras")
    model.get_layer("probabilities").set_weights([w + 0.1 for w in model.get_layer("probabilities").get_weights()])
    model.save(models_dir / "gender" / "model.keras")
    assert set(export.export_all(None, list(NAMES), models_dir)) == {"gender"}
    shard = next((models_dir / "age_base" / "tfjs").glob("*.bin"))
    shard.write_bytes(shard.read_bytes()[:-4] + b"\0\0\0\0")  # an edited export is not trusted
    assert not export.is_current(models_dir / "age_base")


def test_publish_lays_out_models_samples_and_page_metadata(models_dir: Path, tmp_path: Path) -> None:
    export.export_all(None, list(NAMES), models_dir)
    calibration = {"age_base": {"temperature": 1.3, "conformal": {"alpha": 0.1, "threshold": 0.2}}}
    (models_dir / "analysis").mkdir(exist_ok=True)
    (models_dir / "analysis" / "age_calibration.json").write_text(json.dumps(calibration))
    docs = tmp_path / "docs"
    publish.run(BuildContext(docs_dir=docs, data_dir=None), models_dir)
    index = json.loads((docs / "models" / "index.json").read_text())
    assert list(index["models"]) == list(NAMES)
    page = index["models"]["age_base"]
    assert page["labels"] == list(MODEL_SPECS["age_base"].labels) and page["input_size"] == IMAGE_SIZE
    assert page["feature_layer"] == "features" and page["calibration"] == calibration["age_base"]
    assert index["models"]["gender"]["calibration"] is None
    for name in NAMES:
        assert (docs / "models" / index["models"][name]["url"]).exists()
    manifest = json.loads((SITE_SRC / "samples" / "manifest.json").read_text())
    assert [s["id"] for s in index["samples"]] == [s["id"] for s in manifest["samples"]]
    for sample in index["samples"]:
        assert (docs / "models" / sample["file"]).read_bytes() == (
            SITE_SRC / "samples" / Path(sample["file"]).name).read_bytes()
