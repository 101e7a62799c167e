"""`python -m gen unusual`: a score for "this crop is unlike the training faces", calibrated on the validation split.

The score is the Mahalanobis distance of a model's embedding (the layer its metadata calls `embedding_layer`)
from the training faces' mean, under their covariance (Ledoit-Wolf shrunk, so it inverts stably). The
threshold is its 95th percentile over validation faces as the Try-it page gives them to the models: each
original crop's five points found by the page's own pipeline in Chromium, re-aligned onto the face template
(re-alignment alone raises the score: calibrated on the crops as they are, the threshold flagged 9% of 300
re-aligned validation faces and 13% of 300 wild photos). The file records how often it flags validation and
test crops as they are, and the digests of the model and template it was computed from, so a retrained model
or a remeasured template makes it stale (`gen.refresh` reruns `write_unusual`). The page computes the same distance
from the stored whitening matrix W (W^T W = inverse covariance): score = ||W (e - mean)||.
"""
from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import numpy as np

from gen.config import MODELS_DIR, SEED
from gen.face.template import TEMPLATE_FILE
from gen.hashing import file_digest

UNUSUAL_FILE = "unusual.json"  # under models/analysis/
MODEL = "gender"  # whose embedding: it was trained on every training face, with no subset left out
PERCENTILE = 0.95
CALIBRATION_FACES = 1000  # seeded validation faces aligned by the page's pipeline: the threshold's population


def unusual_path(models_dir: Path = MODELS_DIR) -> Path:
    return Path(models_dir) / "analysis" / UNUSUAL_FILE


def embeddings(model, layer: str, pixels: np.ndarray, batch: int = 256) -> np.ndarray:
    from gen.models.keras import keras
    embedder = keras.Model(model.inputs, model.get_layer(layer).output)
    return np.concatenate([embedder.predict_on_batch(pixels[i:i + batch].astype(np.float32))
                           for i in range(0, len(pixels), batch)]).astype(np.float64)


def fit(train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, W) with W^T W the inverse of the shrunk covariance of `train` (rows are faces)."""
    from sklearn.covariance import LedoitWolf
    estimate = LedoitWolf().fit(train)
    values, vectors = np.linalg.eigh(estimate.covariance_)
    return estimate.location_, (vectors / np.sqrt(values)).T


def scores(vectors: np.ndarray, mean: np.ndarray, whitening: np.ndarray) -> np.ndarray:
    return np.linalg.norm((vectors - mean) @ whitening.T, axis=1)


def pixels_for(data, size: int) -> np.ndarray:
    """The dataset's pixels at the model's input size (the prepared data may be at another size)."""
    if data.dataset.pixels.shape[1] == size:
        return data.dataset.pixels
    from gen.data.dataset import load_dataset
    return load_dataset(data.dataset.folder, size).pixels


def page_aligned(data, size: int, faces: int = CALIBRATION_FACES, seed: int = SEED) -> tuple[np.ndarray, int]:
    """`faces` seeded validation faces as the Try-it page gives them to the models (size x size): the page's
    pipeline finds each original crop's five points, which are re-aligned onto the template (gen/face/align.py,
    the page's rule) and resized as every input is. Also returns how many faces were tried."""
    from PIL import Image

    from gen.data.images import RESAMPLE
    from gen.face.align import aligned_crop, alignment
    from gen.face.browser import page_landmarks
    from gen.face.template import read_template, seeded_paths

    template = read_template()
    paths = seeded_paths(data, "val", faces, seed)
    found = page_landmarks(paths, template, "unusual: validation")
    crops = []
    for path, landmarks in found:
        with Image.open(path) as photo:
            crop = aligned_crop(photo, alignment(landmarks, template), template["crop_side"])
        crops.append(np.asarray(crop.resize((size, size), RESAMPLE)))
    return np.stack(crops), len(paths)


def template_digest() -> str:
    """The face template's short sha256: the calibration's faces were aligned onto it."""
    return file_digest(TEMPLATE_FILE)[:16]


def measure(data, models_dir: Path = MODELS_DIR, model_name: str = MODEL) -> dict:
    from gen.models.keras import load_trained
    from gen.models.registry import model_digests

    metadata = json.loads((Path(models_dir) / model_name / "metadata.json").read_text())
    model = load_trained(model_name, models_dir)
    pixels = pixels_for(data, metadata["input_size"])
    layer = metadata["embedding_layer"]
    vectors = {split: embeddings(model, layer, pixels[data.split[split]]) for split in ("train", "val", "test")}
    mean, whitening = fit(vectors["train"])
    by_split = {split: scores(v, mean, whitening) for split, v in vectors.items()}
    aligned_pixels, tried = page_aligned(data, metadata["input_size"])
    aligned = scores(embeddings(model, layer, aligned_pixels), mean, whitening)
    threshold = float(np.quantile(aligned, PERCENTILE))
    return {
        "what": "Mahalanobis distance of the embedding from the training faces; flagged above the threshold",
        "model": model_name,
        "layer": layer,
        "input_size": metadata["input_size"],
        "model_sha256": model_digests([model_name], models_dir),
        "data_hash": data.dataset.fingerprint,
        "covariance": "Ledoit-Wolf shrunk, training split",
        "template_sha256": template_digest(),
        "faces": {split: int(len(v)) for split, v in vectors.items()},
        "calibration": {"split": "val", "as": "aligned by the Try-it page's pipeline", "faces_tried": tried,
                        "faces": int(len(aligned)), "seed": SEED},
        "percentile": PERCENTILE,
        "threshold": round(threshold, 4),
        "flag_rate": {split: round(float(np.mean(s > threshold)), 4) for split, s in by_split.items()},
        "score_median": {split: round(float(np.median(s)), 3) for split, s in by_split.items()},
        "score_median_aligned_val": round(float(np.median(aligned)), 3),
        "mean": np.round(mean, 6).tolist(),
        "whitening_shape": list(whitening.shape),
        "whitening": base64.b64encode(whitening.astype("<f4").tobytes()).decode(),
    }


def write_unusual(data, models_dir: Path = MODELS_DIR) -> dict:
    result = measure(data, models_dir)
    path = unusual_path(models_dir)
    path.write_text(json.dumps(result, indent=1) + "\n")
    rates = result["flag_rate"]
    print(f"[unusual] {result['model']} embedding, threshold {result['threshold']:.2f} (the {PERCENTILE:.0%} point of "
          f"{result['calibration']['faces']} page-aligned validation faces): flags {rates['val']:.1%} of validation "
          f"and {rates['test']:.1%} of test crops as they are -> {path}", file=sys.stderr)
    return result


def is_stale(models_dir: Path = MODELS_DIR) -> bool:
    """True when the file is missing or was computed from another model file or face template than the ones
    committed."""
    from gen.models.registry import other_models
    path = unusual_path(models_dir)
    if not path.exists():
        return True
    content = json.loads(path.read_text())
    return other_models(content, models_dir) or content.get("template_sha256") != template_digest()
