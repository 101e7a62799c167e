"""What every explanation method shares: the call shape, the target layer and batched gradients.

Every method is `method(model, images, targets, **parameters) -> Explanation` with `images` raw RGB
floats 0-255 of shape (n, H, W, 3) and `targets` the class index to explain for each image. The maps
come back raw (no normalisation, no clipping) at input resolution: how they are scaled for display is
a separate, explicit step (gen/explain/display.py), so two models can be put on one scale honestly.

Heavy work runs in `tf.function`s compiled once per model and fed whole batches (all interpolation
steps, noise samples or occluded copies of several images at once), never one image per Python step.
"""
from __future__ import annotations

import weakref
from functools import cached_property
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from gen.keras import keras

import tensorflow as tf  # noqa: E402  (after gen.keras, which selects Keras 2)

ROWS_PER_CALL = 256  # images (or image copies) per compiled call: fits memory, keeps both cores busy


@dataclass
class Explanation:
    """One raw heatmap per image, plus what a method can report beyond it."""

    maps: np.ndarray  # (n, H, W) float32, raw, input resolution
    attributions: np.ndarray | None = None  # (n, H, W, 3) per-pixel, per-channel values (pixel methods)
    coarse: np.ndarray | None = None  # (n, h, w) map at the target layer's resolution (CAM methods)
    delta: np.ndarray | None = None  # (n,) completeness delta: sum(attributions) - (F(x) - F(baseline))
    probabilities: np.ndarray | None = None  # (n, classes) model output on the images


def target_layer(model: keras.Model) -> keras.layers.Layer:
    """The last layer whose output is a 4-D spatial map (batch, h, w, channels).

    Found by structure, so it never depends on an auto-generated layer name; for gen.architecture
    models this is the 8 x 8 x 256 "features" ReLU.
    """
    for layer in reversed(model.layers):
        if isinstance(layer, keras.layers.InputLayer):
            continue
        shape = layer.output_shape
        if isinstance(shape, tuple) and len(shape) == 4 and (shape[1] or 2) > 1 and (shape[2] or 2) > 1:
            return layer
    raise ValueError(f"model {model.name!r} has no layer with a 4-D spatial output")


class _Compiled:
    """The compiled functions of one model (built on first use, cached per model object)."""

    def __init__(self, model: keras.Model):
        self.model = model
        spec = tf.TensorSpec([None, *model.input_shape[1:]], tf.float32)
        index = tf.TensorSpec([None], tf.int32)
        self.predict = tf.function(self._predict, input_signature=[spec])
        self.input_gradients = tf.function(self._input_gradients, input_signature=[spec, index])
        self.feature_gradients = tf.function(self._feature_gradients, input_signature=[spec, index])
        vector = tf.TensorSpec([None], tf.float32)
        self.path_integral = tf.function(self._path_integral, input_signature=[spec, spec, index, vector, vector])

    @cached_property
    def gradient_model(self) -> keras.Model:
        """(target-layer maps, probabilities) from the same forward pass: one graph, both tensors."""
        return keras.Model(self.model.inputs, [target_layer(self.model).output, self.model.output])

    def _predict(self, x: tf.Tensor) -> tf.Tensor:
        return self.model(x, training=False)

    def _input_gradients(self, x: tf.Tensor, targets: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as tape:
            tape.watch(x)
            probabilities = self.model(x, training=False)
            score = tf.gather(probabilities, targets, batch_dims=1)
        return tape.gradient(score, x), probabilities

    def _feature_gradients(self, x: tf.Tensor, targets: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as tape:
            features, probabilities = self.gradient_model(x, training=False)
            score = tf.gather(probabilities, targets, batch_dims=1)
        return features, tape.gradient(score, features), probabilities

    def _path_integral(self, x: tf.Tensor, baseline: tf.Tensor, targets: tf.Tensor, nodes: tf.Tensor,
                       weights: tf.Tensor) -> tf.Tensor:
        """sum_s weights_s * dF/dx at baseline + nodes_s (x - baseline), all steps of all images at once."""
        n, steps = tf.shape(x)[0], tf.shape(nodes)[0]
        path = baseline[:, None] + nodes[None, :, None, None, None] * (x - baseline)[:, None]
        flat = tf.reshape(path, tf.concat([[n * steps], tf.shape(x)[1:]], 0))
        gradients, _ = self._input_gradients(flat, tf.repeat(targets, steps))
        gradients = tf.reshape(gradients, tf.shape(path))
        return tf.einsum("s,nshwc->nhwc", weights, gradients)


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def compiled(model: keras.Model) -> _Compiled:
    """The model's compiled predict / gradient functions, built once per model object."""
    if model not in _COMPILED:
        _COMPILED[model] = _Compiled(model)
    return _COMPILED[model]


def check_inputs(model: keras.Model, images: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 images and int32 targets, with the mistakes a caller can make turned into clear errors."""
    images = np.asarray(images, dtype=np.float32)
    targets = np.asarray(targets, dtype=np.int32).reshape(-1)
    if images.ndim != 4 or images.shape[1:] != tuple(model.input_shape[1:]):
        raise ValueError(f"images must be (n, {', '.join(map(str, model.input_shape[1:]))}), got {images.shape}")
    if len(targets) != len(images):
        raise ValueError(f"{len(images)} images but {len(targets)} targets")
    classes = model.output_shape[-1]
    if len(targets) and (targets.min() < 0 or targets.max() >= classes):
        raise ValueError(f"targets must be class indices in [0, {classes})")
    return images, targets


def groups(n: int, copies: int, rows: int = ROWS_PER_CALL) -> Iterator[slice]:
    """Slices of images such that `copies` rows per image fill about `rows` rows per compiled call."""
    step = max(1, rows // max(copies, 1))
    for start in range(0, n, step):
        yield slice(start, min(n, start + step))


def run_batched(function: Callable[..., tuple], *arrays: np.ndarray, rows: int = ROWS_PER_CALL) -> list[np.ndarray]:
    """Apply a compiled function over row batches of `arrays` and concatenate each of its outputs."""
    parts: list[list[np.ndarray]] = []
    for part in groups(len(arrays[0]), 1, rows):
        outputs = function(*(tf.constant(a[part]) for a in arrays))
        outputs = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
        parts.append([o.numpy() for o in outputs])
    return [np.concatenate(column) for column in zip(*parts)]


def predict(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """Class probabilities (n, classes) in batches."""
    return run_batched(compiled(model).predict, np.asarray(images, np.float32))[0]


def input_gradients(model: keras.Model, images: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """d probability[target] / d pixels (n, H, W, 3) and the probabilities, in batches."""
    return tuple(run_batched(compiled(model).input_gradients, images, targets))


def feature_gradients(model: keras.Model, images: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, ...]:
    """Target-layer maps A (n, h, w, k), d probability[target] / dA, and the probabilities."""
    return tuple(run_batched(compiled(model).feature_gradients, images, targets))


def upsample(coarse: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of (n, h, w) maps to (n, *size): a CAM cell covers the pixels it summarises."""
    resized = tf.image.resize(tf.constant(coarse[..., None], tf.float32), size, method="bilinear")
    return resized.numpy()[..., 0]


def channel_sum(attributions: np.ndarray) -> np.ndarray:
    """Signed per-pixel total over RGB: keeps completeness (the map sums to the attributions' sum)."""
    return attributions.sum(axis=-1)


def channel_magnitude(attributions: np.ndarray) -> np.ndarray:
    """Per-pixel sum of |value| over RGB, the usual grey-scale view of a gradient."""
    return np.abs(attributions).sum(axis=-1)


ChannelWeights = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def class_activation_map(model: keras.Model, images: np.ndarray, targets: np.ndarray,
                         channel_weights: ChannelWeights) -> Explanation:
    """The CAM family: ReLU(sum_k w_k A_k) on the target layer, upsampled to the input.

    `channel_weights(A, dA, score)` returns w (n, k) from the maps, their gradients and the target
    score (n,); the methods differ only there.
    """
    images, targets = check_inputs(model, images, targets)
    features, gradients, probabilities = feature_gradients(model, images, targets)
    score = probabilities[np.arange(len(targets)), targets]
    weights = channel_weights(features, gradients, score)
    coarse = np.maximum(np.einsum("nhwk,nk->nhw", features, weights), 0.0).astype(np.float32)
    return Explanation(maps=upsample(coarse, images.shape[1:3]), coarse=coarse, probabilities=probabilities)
