"""The one inference path: class probabilities for raw 0-255 pixels, in batches, in inference mode.

Evaluation, calibration, prototypes, export checks, the search and the benchmarks all predict through
here. (The explanation methods run their own compiled forward passes, since they need gradients.)"""
from __future__ import annotations

import numpy as np

from gen.models.keras import keras

BATCH = 256


def predict(model: keras.Model, pixels: np.ndarray, batch_size: int = BATCH):
    """model(pixels) for (n, size, size, 3) raw pixels: an array of probabilities, or the model's outputs
    (a list or dict of arrays) when it has several."""
    return model.predict(np.asarray(pixels, np.float32), batch_size=batch_size, verbose=0)
