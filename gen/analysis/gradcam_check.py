"""Does Grad-CAM++ differ from Grad-CAM on these networks? Measured on the committed models.

These networks end in global average pooling and one Dense layer, so the gradient of a class score with
respect to a feature-map cell is the same in every cell of a channel. Then Grad-CAM++'s normalised
per-cell weights are all 1/(cells), its channel weight is exp(Y) ReLU(g_k), and the map is
ReLU(sum_k ReLU(g_k) A_k) up to a constant: a Grad-CAM that drops the channels with negative weights.

For every curated sample and model (the model's own answer) this measures:
- gradient_spread: the largest (max - min over cells) of a channel's gradient, relative to the largest
  |mean gradient| of any channel of that face (0 when the gradient is constant over the grid);
- plusplus_vs_positive_gradcam: the largest |difference| between the peak-normalised Grad-CAM++ map and
  the peak-normalised ReLU(sum_k ReLU(mean g_k) A_k) map;
- plusplus_vs_gradcam: the mean |difference| between the peak-normalised Grad-CAM++ and Grad-CAM maps.

Build step `gen.analysis.gradcam_check:run` writes docs/generated/checks/gradcam_plusplus.json, cached by
the content of the models, the samples and the code that decides the numbers.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from gen.config import CACHE_DIR, IMAGE_SIZE, MODELS_DIR, SITE_SRC
from gen.hashing import file_digest, value_digest
from gen.models.registry import trained_models
from gen.pipeline import BuildContext

AREA = "checks"
OUTPUT = "gradcam_plusplus.json"


def _peak_normalised(maps: np.ndarray) -> np.ndarray:
    peak = maps.reshape(len(maps), -1).max(axis=1)
    return maps / np.where(peak > 0, peak, 1.0)[:, None, None]


def measure(model, images: np.ndarray, layer: str) -> dict[str, Any]:
    """The three numbers above for one model on `images` (each face explains the model's top class)."""
    from gen.explain.base import feature_gradients
    from gen.explain.registry import METHODS

    plus = METHODS["gradcam_plusplus"](model, images, None, layer=layer)
    gradcam = METHODS["gradcam"](model, images, plus.targets, layer=layer)
    features, gradients, _, _ = feature_gradients(model, images, plus.targets, "probability", layer)
    mean = gradients.mean(axis=(1, 2))  # (n, k)
    spread = (gradients.max(axis=(1, 2)) - gradients.min(axis=(1, 2))).max(axis=1)
    scale = np.abs(mean).max(axis=1)
    positive = np.maximum(np.einsum("nhwk,nk->nhw", features, np.maximum(mean, 0.0)), 0.0)
    plus_n, positive_n, gradcam_n = (_peak_normalised(m) for m in (plus.coarse, positive, gradcam.coarse))
    return {"faces": int(len(images)),
            "gradient_spread": float((spread / np.where(scale > 0, scale, 1.0)).max()),
            "plusplus_vs_positive_gradcam": float(np.abs(plus_n - positive_n).max()),
            "plusplus_vs_gradcam": float(np.abs(plus_n - gradcam_n).mean()),
            "grid": list(plus.coarse.shape[1:])}


def _sources() -> list[Path]:
    from gen.explain import base, gradcam, gradcam_plusplus
    return [Path(__file__), Path(base.__file__), Path(gradcam.__file__), Path(gradcam_plusplus.__file__)]


def check(models_dir: Path = MODELS_DIR, site_src: Path = SITE_SRC, cache_dir: Path = CACHE_DIR / AREA
          ) -> dict[str, Any]:
    """The measurement for every trained model, from the cache when its inputs are unchanged."""
    from gen.data.samples import read_samples

    folder = Path(site_src) / "samples"
    entries = read_samples(folder)
    names = trained_models(models_dir)
    key = value_digest("gradcam-plusplus", [file_digest(Path(models_dir) / n / "model.keras") for n in names],
                       [file_digest(folder / e["file"]) for e in entries], [file_digest(p) for p in _sources()],
                       IMAGE_SIZE)
    cached = Path(cache_dir) / f"{key}.json"
    if cached.exists():
        return json.loads(cached.read_text())
    from gen.data.images import decode_face
    from gen.models.keras import load_trained

    images = np.stack([decode_face((folder / e["file"]).read_bytes(), IMAGE_SIZE) for e in entries]).astype(np.float32)
    result = {"about": __doc__.split("\n\n")[0], "faces": len(entries), "models": {}}
    for name in names:
        metadata = json.loads((Path(models_dir) / name / "metadata.json").read_text())
        result["models"][name] = measure(load_trained(name, models_dir), images, metadata["feature_layer"])
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(result, indent=1, sort_keys=True))
    return result


def run(ctx: BuildContext) -> None:
    """Build step: docs/generated/checks/gradcam_plusplus.json."""
    result = check()
    target = ctx.docs_dir / "generated" / AREA / OUTPUT
    text = json.dumps(result, indent=1, sort_keys=True)
    if not target.exists() or target.read_text() != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    spread = max(m["gradient_spread"] for m in result["models"].values())
    print(f"[checks] Grad-CAM++: largest gradient spread over the grid {spread:.1e} of the mean", flush=True)
