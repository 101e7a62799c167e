"""Small models the explanation tests share: a briefly trained project CNN and hand-built known-answer models."""
from __future__ import annotations

import numpy as np

from gen.models.architecture import FEATURE_LAYER, build_classifier
from gen.models.keras import keras

SIZE = 32  # small input keeps the reference implementations' one-image-at-a-time loops quick
CORNERS = ((0, 0), (SIZE // 2, SIZE // 2), (0, SIZE // 2))  # where class c's bright square sits


def planted_faces(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Noise images (0-255) with a bright square at the class's place; labels are the class."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(CORNERS), n)
    images = rng.uniform(0, 120, (n, SIZE, SIZE, 3)).astype(np.float32)
    for image, label in zip(images, labels):
        row, col = CORNERS[label]
        image[row:row + SIZE // 2, col:col + SIZE // 2] += 120
    return images, labels


def trained_classifier(steps: int = 40) -> keras.Model:
    """gen.models.architecture's classifier at 32 px, trained until it tells the planted squares apart."""
    keras.utils.set_random_seed(0)
    model = build_classifier(len(CORNERS), SIZE, name="tiny")
    for layer in model.layers:  # short training: let batch-norm statistics settle within it
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = 0.8
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    images, labels = planted_faces(steps * 16)
    model.fit(images, labels, batch_size=16, epochs=1, verbose=0)
    return model


def planted_cam_model() -> keras.Model:
    """Red light in a region -> class 1. The 8 x 8 ReLU map is the red channel pooled, so Grad-CAM
    for class 1 must light up exactly where the red square is."""
    inputs = keras.Input((SIZE, SIZE, 3))
    red = keras.layers.Conv2D(1, 1, use_bias=False)(inputs)
    pooled = keras.layers.AveragePooling2D(SIZE // 8)(red)
    spatial = keras.layers.ReLU(name=FEATURE_LAYER)(pooled)
    score = keras.layers.Dense(2, activation="softmax")(keras.layers.GlobalAveragePooling2D()(spatial))
    model = keras.Model(inputs, score)
    model.layers[1].set_weights([np.array([1.0, 0.0, 0.0], np.float32).reshape(1, 1, 3, 1)])
    model.layers[-1].set_weights([np.array([[-0.05, 0.05]], np.float32), np.zeros(2, np.float32)])
    return model


def red_square(rows: slice, cols: slice) -> np.ndarray:
    """One black image with a pure red square: the planted region for planted_cam_model."""
    image = np.zeros((1, SIZE, SIZE, 3), np.float32)
    image[0, rows, cols, 0] = 255.0
    return image
