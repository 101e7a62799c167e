"""The one Keras this project uses: tf_keras (Keras 2), because TF.js 4.22 loads its Layers exports.

Keras 3 Layers exports convert but do not load in @tensorflow/tfjs 4.22, and the in-browser Grad-CAM
needs the Layers API. Import `keras` from here, never `tensorflow.keras` or `keras` directly.

TensorFlow's start-up writes CUDA, cuDNN and absl messages straight to the process's stderr (file
descriptor 2) on a machine without a GPU ("Unable to register cuDNN factory", "failed call to
cuInit"): none of them is about this project. They are silenced here, while TensorFlow loads and looks
for devices; `python -m gen --verbose` (or GEN_VERBOSE=1) shows them.
"""
import contextlib
import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
VERBOSE = os.environ.get("GEN_VERBOSE") == "1"
if not VERBOSE:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextlib.contextmanager
def _quiet_stderr(enabled: bool):
    """Send file descriptor 2 to /dev/null inside the block (C++ libraries write there directly)."""
    if not enabled:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


with _quiet_stderr(not VERBOSE):
    import tensorflow as tf

    tf.config.list_physical_devices()  # looks for GPUs now, while quiet, instead of at the first operation
    import tf_keras as keras

from pathlib import Path  # noqa: E402

__all__ = ["keras", "load_trained", "tf"]


def load_trained(name: str, models_dir: Path) -> keras.Model:
    """The committed model `models_dir/<name>/model.keras`, for inference: its optimizer state is not loaded."""
    return keras.models.load_model(Path(models_dir) / name / "model.keras", compile=False)
