"""A small residual separable-convolution CNN sized for two CPU cores and the web.

Why this shape:
- 64 x 64 input: UTKFace crops are aligned, so a face's parts sit in the same place every time and
  64 px keeps eyes, nose, mouth and hair line visible while an epoch over 16k faces stays short.
- A stride-2 stem, then separable convolutions: most of the cost of a CNN is in the 3 x 3 convolutions,
  which depthwise-separable ones cut by about 8x at these widths.
- Residual shortcuts let the small network train quickly and reliably from scratch.
- The last convolution ("features") works on an 8 x 8 map so Grad-CAM has 64 cells to place evidence in.
- Preprocessing (scale 0-255 to -1..1) is a layer inside the model, so Python and the browser feed it
  the same raw pixels.
"""
from __future__ import annotations

from dataclasses import dataclass

from gen.models.keras import keras

layers = keras.layers
FEATURE_LAYER = "features"
EMBEDDING_LAYER = "embedding"


def _residual_block(x, filters: int, name: str):
    shortcut = layers.Conv2D(filters, 1, strides=2, use_bias=False, name=f"{name}_skip")(x)
    shortcut = layers.BatchNormalization(name=f"{name}_skip_bn")(shortcut)
    for i in (1, 2):
        x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_sep{i}")(x)
        x = layers.BatchNormalization(name=f"{name}_bn{i}")(x)
        if i == 1:
            x = layers.ReLU(name=f"{name}_relu{i}")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"{name}_pool")(x)
    x = layers.Add(name=f"{name}_add")([x, shortcut])
    return layers.ReLU(name=f"{name}_out")(x)


@dataclass(frozen=True)
class Trunk:
    """Widths of the stem and each residual block (each halves the map), and of the feature layer."""

    widths: tuple[int, ...] = (32, 64, 128)
    feature_width: int = 256


def build_trunk(size: int, trunk: Trunk = Trunk()):
    """Input layer and the pooled embedding tensor shared by every model."""
    pixels = keras.Input((size, size, 3), name="pixels")
    x = layers.Rescaling(1 / 127.5, offset=-1.0, name="scale")(pixels)
    x = layers.Conv2D(trunk.widths[0], 3, strides=2, padding="same", use_bias=False, name="stem")(x)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU(name="stem_relu")(x)
    for index, filters in enumerate(trunk.widths[1:], start=1):
        x = _residual_block(x, filters, name=f"block{index}")
    x = layers.SeparableConv2D(trunk.feature_width, 3, padding="same", use_bias=False, name="features_conv")(x)
    x = layers.BatchNormalization(name="features_bn")(x)
    x = layers.ReLU(name=FEATURE_LAYER)(x)
    embedding = layers.GlobalAveragePooling2D(name=EMBEDDING_LAYER)(x)
    return pixels, embedding


def classification_head(embedding, n_classes: int, name: str, dropout: float = 0.3):
    x = layers.Dropout(dropout, name=f"{name}_dropout")(embedding)
    return layers.Dense(n_classes, activation="softmax", name=name)(x)


def build_classifier(n_classes: int, size: int, name: str = "classifier", trunk: Trunk = Trunk()) -> keras.Model:
    """One task's model: raw RGB pixels in, class probabilities out."""
    pixels, embedding = build_trunk(size, trunk)
    return keras.Model(pixels, classification_head(embedding, n_classes, "probabilities"), name=name)


def build_multitask(heads: dict[str, int], size: int, trunk: Trunk = Trunk()) -> keras.Model:
    """The pretraining model: one trunk, one softmax head per task (e.g. gender and age)."""
    pixels, embedding = build_trunk(size, trunk)
    outputs = {task: classification_head(embedding, n, task) for task, n in heads.items()}
    return keras.Model(pixels, outputs, name="pretrain")
