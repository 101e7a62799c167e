"""Grad-CAM (Selvaraju et al., 2017): how much each place in the last feature map pushes the class.

    w_k = mean_ij dY/dA_k[i, j]          L = ReLU(sum_k w_k A_k)

Y is the explained score of the target class; A the feature map (8 x 8 cells at 64 px input).
"""
from __future__ import annotations

import numpy as np

from gen.explain.base import Explanation, Method, Targets, class_activation_map
from gen.models.keras import keras


def _mean_gradient(features: np.ndarray, gradients: np.ndarray, score: np.ndarray) -> np.ndarray:
    return gradients.mean(axis=(1, 2))


def grad_cam(model: keras.Model, images: np.ndarray, targets: Targets = None, *, score: str = "probability",
             layer: str | None = None) -> Explanation:
    """Grad-CAM maps (n, H, W), raw, from zero upwards."""
    return class_activation_map(model, images, targets, _mean_gradient, score, layer)


METHOD = Method("gradcam", "Grad-CAM", grad_cam, sources=(__file__,))
