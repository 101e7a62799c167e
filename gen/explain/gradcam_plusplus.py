"""Grad-CAM++ (Chattopadhyay et al., 2018): Grad-CAM with per-location weights, so several separate
regions of evidence for one class all count, not only the strongest.

With S = exp(Y) and g = dY/dA_k[i, j] (closed form of the paper's higher derivatives):

    alpha_k[i, j] = g^2 / (2 g^2 + sum_ab A_k[a, b] g^3)
    w_k = sum_ij alpha'_k[i, j] ReLU(exp(Y) g)      L = ReLU(sum_k w_k A_k)

alpha' is alpha divided by its sum over the map, as in the authors' released code and tf-keras-vis.
"""
from __future__ import annotations

import numpy as np

from gen.explain.base import Explanation, Method, Targets, class_activation_map
from gen.models.keras import keras


def _plusplus_weights(features: np.ndarray, gradients: np.ndarray, score: np.ndarray) -> np.ndarray:
    g2, g3 = gradients**2, gradients**3
    denominator = 2.0 * g2 + features.sum(axis=(1, 2), keepdims=True) * g3
    alpha = g2 / np.where(g2 == 0.0, 1.0, denominator)  # 0 where the gradient is 0
    total = alpha.sum(axis=(1, 2), keepdims=True)
    alpha = alpha / np.where(total == 0.0, 1.0, total)
    first = np.exp(score)[:, None, None, None] * gradients
    return (alpha * np.maximum(first, 0.0)).sum(axis=(1, 2))


def grad_cam_plusplus(model: keras.Model, images: np.ndarray, targets: Targets = None, *,
                      score: str = "probability", layer: str | None = None) -> Explanation:
    """Grad-CAM++ maps (n, H, W), raw, from zero upwards."""
    return class_activation_map(model, images, targets, _plusplus_weights, score, layer)


METHOD = Method("gradcam_plusplus", "Grad-CAM++", grad_cam_plusplus, sources=(__file__,))
