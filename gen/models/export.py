"""`python -m gen export`: every Keras model to TF.js Layers format, for the in-browser "try it" page.

Why the Layers format (not a graph model): the page computes Grad-CAM live, which needs the output of an
inner layer ("features") and gradients through the layers after it; only the Layers API exposes those.

Weights are quantised only when it costs (almost) nothing: each candidate (uint8, then float16, the
smallest first) is converted, loaded back from the exported files exactly as shipped, and scored on the
test split; the first whose accuracy is within MAX_ACCURACY_CHANGE points of the Keras model's, and
which changes the answer for at most MAX_ANSWERS_CHANGED% of the faces, is shipped. Both figures go
into the committed `models/<name>/export.json`, together with the sha256 of
the Keras model, so an unchanged model is never converted again.

The site's build step (gen/site/publish.py) copies the committed exports into `docs/models/`.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gen.config import MODELS_DIR
from gen.hashing import file_digest, tree_digest
from gen.models.registry import MODEL_SPECS, trained_models

EXPORT_DIR = "tfjs"  # models/<name>/tfjs/: model.json + weight shards, committed
RECORD_FILE = "export.json"
MAX_ACCURACY_CHANGE = 0.5  # percentage points of test-split accuracy a quantisation may cost
MAX_ANSWERS_CHANGED = 0.5  # percent of test faces whose top class a quantisation may change
QUANTISATIONS = ("uint8", "float16")  # tried smallest first


@dataclass(frozen=True)
class TestFaces:
    """The test split as the export measures it: raw 0-255 pixels and each task's labels."""

    pixels: np.ndarray  # (n, size, size, 3) uint8
    labels: dict[str, np.ndarray]  # task -> class index per face
    data_hash: str


def test_faces(data_dir: Path) -> TestFaces:
    """Load the dataset once and keep only the test split (the split is fixed by the seed)."""
    from gen.data.prepared import prepare_data

    data = prepare_data(data_dir)
    test = data.split["test"]
    tasks = {spec.task for spec in MODEL_SPECS.values()}
    return TestFaces(data.dataset.pixels[test], {t: data.dataset.labels(t)[test] for t in tasks},
                     data.dataset.fingerprint)


def read_record(model_dir: Path) -> dict | None:
    path = model_dir / RECORD_FILE
    return json.loads(path.read_text()) if path.exists() else None


def is_current(model_dir: Path, need_measured: bool = False) -> bool:
    """True when the committed export was made from this exact model.keras and not edited since."""
    record = read_record(model_dir)
    export = model_dir / EXPORT_DIR
    if record is None or not (export / "model.json").exists():
        return False
    if need_measured and record["test_accuracy"] is None:
        return False
    return (record["keras_sha256"] == file_digest(model_dir / "model.keras")
            and record["tfjs_sha256"] == tree_digest(export))


def top1(model, faces: TestFaces) -> np.ndarray:
    """The predicted class of every test face."""
    from gen.models.predict import predict  # imports TensorFlow: only when a model is measured
    return predict(model, faces.pixels).argmax(axis=1)


def percent(hits: np.ndarray) -> float:
    return float(100.0 * np.mean(hits))


def for_tfjs(topology: dict) -> dict:
    """The Keras topology with what TF.js 4.22 refuses removed; the computation is unchanged.

    - SeparableConv2D configs carry the base convolution's kernel_initializer/regularizer/constraint,
      which Keras ignores for that layer but TF.js rejects ("invalid for SeparableConv2D").
    - training_config (optimizer, loss): the page never trains, and TF.js cannot read every optimizer.
    """
    topology = dict(topology)
    topology.pop("training_config", None)
    for layer in topology["model_config"]["config"]["layers"]:
        if layer["class_name"] == "SeparableConv2D":
            for key in ("kernel_initializer", "kernel_regularizer", "kernel_constraint"):
                layer["config"].pop(key, None)
    return topology


def tensorflowjs():
    """The converter package. Imported late (it is slow) and with the welcome banner of its
    tensorflow-decision-forests dependency off: under a captured stdout that banner imports IPython."""
    os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")
    import tensorflowjs as tfjs

    return tfjs


def load_shipped(model_json: Path):
    """A Keras model with exactly the weights a TF.js export holds (dequantised when quantised)."""
    return tensorflowjs().converters.load_keras_model(str(model_json))


def convert(model, out_dir: Path, quantisation: str | None):
    """Write the TF.js files and load them back as shipped (quantised weights dequantised), for scoring."""
    tensorflowjs().converters.save_keras_model(model, str(out_dir),
                                     quantization_dtype_map={quantisation: "*"} if quantisation else None)
    path = out_dir / "model.json"
    artifacts = json.loads(path.read_text())
    artifacts["modelTopology"] = for_tfjs(artifacts["modelTopology"])
    path.write_text(json.dumps(artifacts))
    return load_shipped(path)


def harmless(accuracy_change: float, agreement: float) -> bool:
    """Quantised weights may ship when the test accuracy barely moves and, because the page should
    give the answers the article shows, when almost no face gets a different top class."""
    return abs(accuracy_change) <= MAX_ACCURACY_CHANGE and 100.0 - agreement <= MAX_ANSWERS_CHANGED


def export_model(name: str, faces: TestFaces | None, models_dir: Path = MODELS_DIR) -> dict:
    """Convert one model (quantised when measured harmless) into models/<name>/tfjs and record it."""
    from gen.models.keras import keras

    model_dir = models_dir / name
    task = json.loads((model_dir / "metadata.json").read_text())["task"]
    model = keras.models.load_model(model_dir / "model.keras")
    with tempfile.TemporaryDirectory(prefix=f"export-{name}-") as scratch:
        candidates = {None: Path(scratch) / "float32"}
        measured: dict[str, float] | None = None
        agreement: dict[str, float] | None = None
        chosen: str | None = None
        if faces is None:
            convert(model, candidates[None], None)
            print(f"[export] {name}: no dataset, so quantisation is not measured: shipping float32",
                  file=sys.stderr)
        else:
            truth, reference = faces.labels[task], top1(model, faces)
            measured, agreement = {"keras": percent(reference == truth)}, {}
            for quantisation in QUANTISATIONS:
                candidates[quantisation] = Path(scratch) / quantisation
                answers = top1(convert(model, candidates[quantisation], quantisation), faces)
                measured[quantisation] = percent(answers == truth)
                agreement[quantisation] = percent(answers == reference)
                if chosen is None and harmless(measured[quantisation] - measured["keras"], agreement[quantisation]):
                    chosen = quantisation
            if chosen is None:
                convert(model, candidates[None], None)
        target = model_dir / EXPORT_DIR
        shutil.rmtree(target, ignore_errors=True)
        shutil.move(str(candidates[chosen]), target)
    weights = sum(p.stat().st_size for p in target.glob("*.bin"))
    record = {
        "model": name,
        "format": "TF.js Layers model (model.json + weight shards)",
        "converter": f"tensorflowjs {tensorflowjs().__version__}",
        "quantisation": chosen,
        "rule": f"the smallest of {', '.join(QUANTISATIONS)} whose test-split accuracy is within "
                f"{MAX_ACCURACY_CHANGE} points of the Keras model's and which changes the top class of at most "
                f"{MAX_ANSWERS_CHANGED}% of test faces, else float32",
        "test_accuracy": measured,  # percent; None when exported without the dataset
        "accuracy_change": None if measured is None or chosen is None else measured[chosen] - measured["keras"],
        "top1_agreement_with_keras": agreement,  # percent of test faces given the Keras model's answer
        "test_faces": None if faces is None else len(faces.pixels),
        "data_hash": None if faces is None else faces.data_hash,
        "weights_bytes": weights,
        "keras_sha256": file_digest(model_dir / "model.keras"),
        "tfjs_sha256": tree_digest(target),
    }
    (model_dir / RECORD_FILE).write_text(json.dumps(record, indent=1) + "\n")
    print(f"[export] {name}: {chosen or 'float32'}, {weights / 1024:.0f} KiB of weights"
          + ("" if measured is None else f", test accuracy {measured}"), file=sys.stderr)
    return record


def export_all(data_dir: Path | None, names: list[str] | None = None,
               models_dir: Path = MODELS_DIR) -> dict[str, dict]:
    """Export each model whose Keras file changed (or that was exported without measuring quantisation)."""
    names = names or trained_models(models_dir)
    measure = data_dir is not None and data_dir.is_dir()
    stale = [n for n in names if not is_current(models_dir / n, need_measured=measure)]
    for name in sorted(set(names) - set(stale)):
        print(f"[export] {name}: unchanged, kept", file=sys.stderr)
    faces = test_faces(data_dir) if stale and measure else None
    return {name: export_model(name, faces, models_dir) for name in stale}
