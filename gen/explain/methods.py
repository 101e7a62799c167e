"""The registry of explanation methods: METHODS names each one as the site and the quality measures do.

Importing this loads TensorFlow; the package itself does not, so a cached build never pays for it.
"""
from __future__ import annotations

from gen.explain.base import Explanation, target_layer
from gen.explain.gradcam import grad_cam
from gen.explain.gradcam_plusplus import grad_cam_plusplus
from gen.explain.guided_backprop import guided_backprop, guided_grad_cam
from gen.explain.integrated_gradients import integrated_gradients
from gen.explain.occlusion import occlusion
from gen.explain.smoothgrad import smoothgrad

METHODS = {
    "gradcam": grad_cam,
    "gradcam_plusplus": grad_cam_plusplus,
    "guided_backprop": guided_backprop,
    "guided_gradcam": guided_grad_cam,
    "integrated_gradients": integrated_gradients,
    "smoothgrad": smoothgrad,
    "occlusion": occlusion,
}

__all__ = ["METHODS", "Explanation", "target_layer"] + [f.__name__ for f in METHODS.values()]
