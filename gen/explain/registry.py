"""The explanation methods, listed once. Adding a method is one new file beside the others, defining
its function and its `METHOD = Method(...)` record, plus one line here; the site precompute, the
analyses and the figures all read this registry."""
from __future__ import annotations

from gen.explain import (
                         gradcam,
                         gradcam_plusplus,
                         guided_backprop,
                         guided_gradcam,
                         integrated_gradients,
                         occlusion,
                         smoothgrad,
)
from gen.explain.base import Method

METHODS: dict[str, Method] = {method.name: method for method in (
    gradcam.METHOD,
    gradcam_plusplus.METHOD,
    guided_backprop.METHOD,
    guided_gradcam.METHOD,
    integrated_gradients.METHOD,
    smoothgrad.METHOD,
    occlusion.METHOD,
)}
