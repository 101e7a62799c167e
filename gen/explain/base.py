"""What every explanation method shares: the call shape, the record that names it, batched gradients.

Every method is `method(model, images, targets=None, *, score="probability", layer=None, **parameters)
-> Explanation`, with `images` raw RGB floats 0-255 of shape (n, H, W, 3) and `targets` what to explain:
None for each image's top class, class indices (one per image), or a callable that takes the (n, classes)
probabilities and returns the indices (`ClassifierOutputTarget`-style). `score` is what is explained: the
softmax "probability" or the "logit" before it. `layer` names the feature map the CAM methods weigh
(default: gen.models.architecture.FEATURE_LAYER, the name every model records as `feature_layer`).

The maps come back raw (no normalisation, no clipping) at input resolution: how they are scaled for
display is a separate, explicit step (gen/site/display.py), so two models can be put on one scale honestly.

Heavy work runs in `tf.function`s compiled once per model and fed whole batches (all interpolation
steps, noise samples or occluded copies of several images at once), never one image per Python step.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from gen.hashing import file_digest, value_digest
from gen.models.architecture import FEATURE_LAYER
from gen.models.keras import keras, tf

ROWS_PER_CALL = 256  # images (or image copies) per compiled call: fits memory, keeps both cores busy
SCORES = ("probability", "logit")
Targets = None | np.ndarray | Callable[[np.ndarray], np.ndarray]


@dataclass
class Explanation:
    """One raw heatmap per image, plus what a method can report beyond it."""

    maps: np.ndarray  # (n, H, W) float32, raw, input resolution
    targets: np.ndarray  # (n,) the class explained for each image
    attributions: np.ndarray | None = None  # (n, H, W, 3) per-pixel, per-channel values (pixel methods)
    coarse: np.ndarray | None = None  # (n, h, w) map at the feature layer's resolution (CAM methods)
    delta: np.ndarray | None = None  # (n,) completeness delta: sum(attributions) - (F(x) - F(baseline))
    probabilities: np.ndarray | None = None  # (n, classes) model output on the images


@dataclass(frozen=True)
class Method:
    """One explanation method as every consumer sees it: the precompute, the analyses, the figures.

    Defined next to its function (one file per method) and listed once in gen/explain/registry.py.
    `sources` are the files whose code decides the maps (this base is always added): a change to any
    of them invalidates cached maps. `site_parameters` are the settings the site and the analyses use.
    """

    name: str
    title: str
    function: Callable[..., Explanation]
    sources: tuple[str, ...]
    signed: bool = False  # the map's sign means for (+) / against (-) the class
    site_parameters: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, model: keras.Model, images: np.ndarray, targets: Targets = None, **overrides) -> Explanation:
        """The method at the site's settings (`overrides` replace some)."""
        return self.function(model, images, targets, **{**self.site_parameters, **overrides})

    @property
    def code_digest(self) -> str:
        return value_digest(*[file_digest(Path(path)) for path in sorted({__file__, *self.sources})])


class _Compiled:
    """The compiled functions of one model for one score and layer (built once, cached per model object).

    score "probability" explains the softmax output; "logit" the final Dense layer's output before the
    softmax, whose gradient does not shrink as the model grows confident."""

    def __init__(self, model: keras.Model, score: str, layer: str | None):
        if score not in SCORES:
            raise ValueError(f"score must be one of {SCORES}, got {score!r}")
        names = [each.name for each in model.layers]
        if layer is not None and layer not in names:
            raise ValueError(f"model {model.name!r} has no layer named {layer!r}: pass layer= one of its spatial "
                             "layers")
        head = model.layers[-1]
        if score == "logit" and not (isinstance(head, keras.layers.Dense)
                                     and head.activation is keras.activations.softmax):
            raise ValueError(f"score='logit' needs a model ending in a softmax Dense layer; {model.name!r} ends "
                             f"in a {head.__class__.__name__}")
        self.score, self.head = score, head
        features = [model.get_layer(layer).output] if layer else []  # only the CAM methods need a feature map
        self.graph = keras.Model(model.inputs, [*features, head.input, model.output])
        spec = tf.TensorSpec([None, *model.input_shape[1:]], tf.float32)
        index = tf.TensorSpec([None], tf.int32)
        vector = tf.TensorSpec([None], tf.float32)
        # Each function is traced once per model (the signatures fix every shape). TensorFlow counts traces
        # per Python code object, so the same method traced for five models would read as "retracing";
        # a partial has no code object of its own, so each model's functions are counted on their own.
        self.scores = tf.function(partial(self._scores), input_signature=[spec])
        self.input_gradients = tf.function(partial(self._input_gradients), input_signature=[spec, index])
        self.feature_gradients = tf.function(partial(self._feature_gradients), input_signature=[spec, index])
        self.path_integral = tf.function(partial(self._path_integral),
                                         input_signature=[spec, spec, index, vector, vector])

    def _scores(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return self._forward(x)[1:]

    def _forward(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """(feature maps, scores explained, probabilities) from one forward pass."""
        *features, head_input, probabilities = self.graph(x, training=False)
        features = features[0] if features else None
        if self.score == "probability":
            return features, probabilities, probabilities
        return features, tf.matmul(head_input, self.head.kernel) + self.head.bias, probabilities

    def _input_gradients(self, x: tf.Tensor, targets: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as tape:
            tape.watch(x)
            _, scores, probabilities = self._forward(x)
            score = tf.gather(scores, targets, batch_dims=1)
        return tape.gradient(score, x), probabilities

    def _feature_gradients(self, x: tf.Tensor, targets: tf.Tensor) -> tuple[tf.Tensor, ...]:
        with tf.GradientTape() as tape:
            features, scores, probabilities = self._forward(x)
            score = tf.gather(scores, targets, batch_dims=1)
        return features, tape.gradient(score, features), score, probabilities

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


def compiled(model: keras.Model, score: str = "probability", layer: str | None = None) -> _Compiled:
    """The model's compiled functions for a score and, for the CAM methods, a feature layer; built once
    per model object."""
    per_model = _COMPILED.setdefault(model, {})
    key = (score, layer)
    if key not in per_model:
        per_model[key] = _Compiled(model, *key)
    return per_model[key]


def check_inputs(model: keras.Model, images: np.ndarray, targets: Targets) -> tuple[np.ndarray, np.ndarray]:
    """float32 images and int32 class indices (None and callables resolved on the model's probabilities),
    with the mistakes a caller can make turned into clear errors."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[1:] != tuple(model.input_shape[1:]):
        raise ValueError(f"images must be (n, {', '.join(map(str, model.input_shape[1:]))}), got {images.shape}")
    if targets is None or callable(targets):
        probabilities = predict(model, images)
        targets = probabilities.argmax(axis=1) if targets is None else targets(probabilities)
    targets = np.asarray(targets, dtype=np.int32).reshape(-1)
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


def scores(model: keras.Model, images: np.ndarray, score: str = "probability") -> np.ndarray:
    """The explained score of every class (n, classes), in batches: probabilities or logits."""
    return run_batched(compiled(model, score).scores, np.asarray(images, np.float32))[0]


def predict(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """Class probabilities (n, classes) in batches: the one prediction path of the project."""
    return scores(model, images, "probability")


def input_gradients(model: keras.Model, images: np.ndarray, targets: np.ndarray,
                    score: str = "probability") -> tuple[np.ndarray, np.ndarray]:
    """d score[target] / d pixels (n, H, W, 3) and the probabilities, in batches."""
    return tuple(run_batched(compiled(model, score).input_gradients, images, targets))


def feature_gradients(model: keras.Model, images: np.ndarray, targets: np.ndarray, score: str = "probability",
                      layer: str | None = None) -> tuple[np.ndarray, ...]:
    """Feature-layer maps A (n, h, w, k), d score[target] / dA, the target scores (n,) and the probabilities."""
    return tuple(run_batched(compiled(model, score, layer or FEATURE_LAYER).feature_gradients, images, targets))


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


def class_activation_map(model: keras.Model, images: np.ndarray, targets: Targets, channel_weights: ChannelWeights,
                         score: str = "probability", layer: str | None = None) -> Explanation:
    """The CAM family: ReLU(sum_k w_k A_k) on the feature layer, upsampled to the input.

    `channel_weights(A, dA, score)` returns w (n, k) from the maps, their gradients and the target
    score (n,); the methods differ only there.
    """
    images, targets = check_inputs(model, images, targets)
    features, gradients, target_scores, probabilities = feature_gradients(model, images, targets, score, layer)
    weights = channel_weights(features, gradients, target_scores)
    coarse = np.maximum(np.einsum("nhwk,nk->nhw", features, weights), 0.0).astype(np.float32)
    return Explanation(maps=upsample(coarse, images.shape[1:3]), targets=targets, coarse=coarse,
                       probabilities=probabilities)
