"""Guided Backpropagation (Springenberg et al., 2015).

Guided backprop is the input gradient of the target probability with every ReLU's backward pass
changed to let through only positive gradients where the forward input was positive:

    dR/dx = [x > 0] * [g > 0] * g        (g: the gradient arriving from above)

It gives sharp pixel-level edges but, on its own, barely depends on the class (Guided Grad-CAM,
gen/explain/guided_gradcam.py, makes it class-discriminative).

The changed ReLUs live in a clone of the model, so the model itself is never altered.
"""
from __future__ import annotations

import weakref

import numpy as np

from gen.explain.base import Explanation, Method, Targets, channel_magnitude, check_inputs, input_gradients
from gen.models.keras import keras, tf


@tf.custom_gradient
def guided_relu(x: tf.Tensor):
    """ReLU forward; backward passes the gradient only where both it and the input are positive."""
    y = tf.nn.relu(x)

    def backward(upstream: tf.Tensor) -> tf.Tensor:
        return tf.where((x > 0.0) & (upstream > 0.0), upstream, tf.zeros_like(upstream))

    return y, backward


class GuidedReLU(keras.layers.Layer):
    """Stands in for a plain keras ReLU layer in the guided clone."""

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        return guided_relu(inputs)


def _guided_layer(layer: keras.layers.Layer) -> keras.layers.Layer:
    if isinstance(layer, keras.layers.ReLU):
        config = layer.get_config()
        if config.get("max_value") is not None or config.get("negative_slope") or config.get("threshold"):
            raise ValueError(f"layer {layer.name!r} is not a plain ReLU; guided backprop needs plain ones")
        return GuidedReLU(name=layer.name)
    clone = layer.__class__.from_config(layer.get_config())
    if getattr(clone, "activation", None) is keras.activations.relu:
        clone.activation = guided_relu
    return clone


_GUIDED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def guided_model(model: keras.Model) -> keras.Model:
    """A clone of `model` with the same weights whose ReLUs (layers or activations) are guided."""
    if model not in _GUIDED:
        clone = keras.models.clone_model(model, clone_function=_guided_layer)
        clone.set_weights(model.get_weights())
        _GUIDED[model] = clone
    return _GUIDED[model]


def guided_backprop(model: keras.Model, images: np.ndarray, targets: Targets = None, *, score: str = "probability",
                    layer: str | None = None) -> Explanation:
    """Guided-backprop gradients per pixel and channel; the map is their magnitude summed over RGB.
    (`layer` is not used: a pixel method needs no feature layer.)"""
    images, targets = check_inputs(model, images, targets)
    gradients, probabilities = input_gradients(guided_model(model), images, targets, score)
    return Explanation(maps=channel_magnitude(gradients), targets=targets, attributions=gradients,
                       probabilities=probabilities)


METHOD = Method("guided_backprop", "Guided backprop", guided_backprop, sources=(__file__,))
