"""The one Keras this project uses: tf_keras (Keras 2), because TF.js 4.22 loads its Layers exports.

Keras 3 Layers exports convert but do not load in @tensorflow/tfjs 4.22, and the in-browser Grad-CAM
needs the Layers API. Import `keras` from here, never `tensorflow.keras` or `keras` directly.
"""
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tf_keras as keras  # noqa: E402

__all__ = ["keras"]
