"""SmoothGrad (Smilkov et al., 2017): average an attribution over noisy copies of the image.

    M(x) = 1/N sum_n A(x + e_n),   e_n ~ Normal(0, sigma^2),   sigma = noise * (max(x) - min(x))

A is the plain input gradient (the default) or Integrated Gradients (a "noise tunnel" over IG);
`squared=True` averages A^2 instead (SmoothGrad-Squared). Noise is drawn from a seeded generator,
so the same call gives the same map, which the content-hash cache relies on.
"""
from __future__ import annotations

import numpy as np

from gen.explain import integrated_gradients
from gen.explain.base import (
    Explanation,
    Method,
    Targets,
    channel_magnitude,
    channel_sum,
    check_inputs,
    groups,
    input_gradients,
    predict,
)
from gen.models.keras import keras

INNER = ("gradient", "integrated_gradients")


def smoothgrad(model: keras.Model, images: np.ndarray, targets: Targets = None, *, score: str = "probability",
               layer: str | None = None, samples: int = 32, noise: float = 0.15, inner: str = "gradient",
               squared: bool = False, seed: int = 0, **ig_parameters) -> Explanation:
    """Noise-averaged attributions (n, H, W, 3); map = RGB magnitude (gradients) or signed sum (IG).
    (`layer` is not used: a pixel method needs no feature layer.)"""
    if inner not in INNER:
        raise ValueError(f"inner must be one of {INNER}, got {inner!r}")
    images, targets = check_inputs(model, images, targets)
    rng = np.random.default_rng(seed)
    sigma = noise * (images.max(axis=(1, 2, 3)) - images.min(axis=(1, 2, 3)))
    copies_per_call = samples * (ig_parameters.get("steps", 32) if inner != "gradient" else 1)
    average = np.empty_like(images)
    for part in groups(len(images), copies_per_call):
        chunk = images[part]
        noisy = chunk[:, None] + rng.normal(size=(len(chunk), samples, *chunk.shape[1:])).astype(np.float32) \
            * sigma[part, None, None, None, None]
        flat, repeated = noisy.reshape(-1, *chunk.shape[1:]), np.repeat(targets[part], samples)
        if inner == "gradient":
            values = input_gradients(model, flat, repeated, score)[0]
        else:
            values = integrated_gradients.integrated_gradients(model, flat, repeated, score=score,
                                                                **ig_parameters).attributions
        values = values.reshape(noisy.shape)
        average[part] = (values**2 if squared else values).mean(axis=1)
    reduce = channel_sum if inner != "gradient" and not squared else channel_magnitude
    return Explanation(maps=reduce(average), targets=targets, attributions=average,
                       probabilities=predict(model, images))


METHOD = Method("smoothgrad", "SmoothGrad", smoothgrad, sources=(__file__, integrated_gradients.__file__),
                site_parameters={"samples": 32, "noise": 0.15})
