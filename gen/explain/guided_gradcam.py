"""Guided Grad-CAM (Selvaraju et al., 2017): guided backprop times the upsampled Grad-CAM map, pixel by
pixel, so the sharp edges of guided backprop keep only where the class-discriminative map is warm."""
from __future__ import annotations

import numpy as np

from gen.explain import gradcam, guided_backprop
from gen.explain.base import Explanation, Method, Targets, channel_magnitude, check_inputs
from gen.models.keras import keras


def guided_grad_cam(model: keras.Model, images: np.ndarray, targets: Targets = None, *, score: str = "probability",
                    layer: str | None = None) -> Explanation:
    """Guided backprop times the upsampled Grad-CAM map (class-specific, pixel-sharp)."""
    images, targets = check_inputs(model, images, targets)
    pixels = guided_backprop.guided_backprop(model, images, targets, score=score)
    cam = gradcam.grad_cam(model, images, targets, score=score, layer=layer)
    attributions = pixels.attributions * cam.maps[..., None]
    return Explanation(maps=channel_magnitude(attributions), targets=targets, attributions=attributions,
                       coarse=cam.coarse, probabilities=cam.probabilities)


METHOD = Method("guided_gradcam", "Guided Grad-CAM", guided_grad_cam,
                sources=(__file__, gradcam.__file__, guided_backprop.__file__))
