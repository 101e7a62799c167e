"""The one Keras this project uses: tf_keras (Keras 2), because TF.js 4.22 loads its Layers exports.

Keras 3 Layers exports convert but do not load in @tensorflow/tfjs 4.22, and the in-browser Grad-CAM
needs the Layers API. Import `keras` from here, never `tensorflow.keras` or `keras` directly.
"""
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pathlib import Path  # noqa: E402

import tf_keras as keras  # noqa: E402

__all__ = ["keras", "load_trained"]


def load_trained(name: str, models_dir: Path) -> keras.Model:
    """The committed model `models_dir/<name>/model.keras`, for inference: its optimizer state is not loaded."""
    return keras.models.load_model(Path(models_dir) / name / "model.keras", compile=False)
