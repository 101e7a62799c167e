"""Occlusion (Zeiler & Fergus, 2014): cover a window of the face and see how far the class drops.

    M(p) = mean over windows W containing p of [F(x) - F(x with W filled)]

F is the explained score. A positive value means covering that place lowers the target's score (evidence for the class).
All windowed copies of several images go through the model as one batch.
"""
from __future__ import annotations

import numpy as np

from gen.config import IMAGE_SIZE
from gen.explain.base import Explanation, Method, Targets, check_inputs, groups, scores
from gen.models.keras import keras


def window_masks(height: int, width: int, window: int, stride: int) -> np.ndarray:
    """Boolean masks (windows, H, W); the last row and column of windows touch the image edge."""
    def starts(length: int) -> list[int]:
        positions = list(range(0, length - window + 1, stride))
        return positions if positions[-1] == length - window else positions + [length - window]

    masks = [np.zeros((height, width), bool) for _ in range(len(starts(height)) * len(starts(width)))]
    for mask, (row, col) in zip(masks, [(r, c) for r in starts(height) for c in starts(width)]):
        mask[row:row + window, col:col + window] = True
    return np.stack(masks)


def occlusion(model: keras.Model, images: np.ndarray, targets: Targets = None, *, score: str = "probability",
              layer: str | None = None, window: int = 8, stride: int = 4, fill: float = 0.0) -> Explanation:
    """Score drop per pixel (n, H, W), averaged over the windows that cover it.

    One forward pass gives every class's probability, so an image asked about several classes (its
    prediction and its true label) is occluded once. (`layer` is not used: no feature layer is needed.)
    """
    images, targets = check_inputs(model, images, targets)
    masks = window_masks(images.shape[1], images.shape[2], window, stride)
    unique, which = np.unique(images.reshape(len(images), -1), axis=0, return_inverse=True)
    unique = unique.reshape(-1, *images.shape[1:])
    original, probabilities = scores(model, unique, score), scores(model, unique)  # (u, classes)
    occluded_scores = np.empty((len(unique), len(masks), original.shape[1]), np.float32)
    for part in groups(len(unique), len(masks)):
        chunk = unique[part]
        occluded = np.where(masks[None, :, :, :, None], np.float32(fill), chunk[:, None])
        occluded_scores[part] = scores(model, occluded.reshape(-1, *chunk.shape[1:]), score).reshape(
            len(chunk), len(masks), -1)
    which = which.reshape(-1)
    dropped = original[which, targets][:, None] - occluded_scores[which, :, targets]  # (n, windows)
    maps = np.einsum("nw,whv->nhv", dropped, masks) / coverage_of(masks)
    return Explanation(maps=maps.astype(np.float32), targets=targets, probabilities=probabilities[which])


def coverage_of(masks: np.ndarray) -> np.ndarray:
    """How many windows cover each pixel (at least 1, so uncovered pixels divide safely to 0)."""
    return np.maximum(masks.sum(axis=0), 1)


# A window an eighth of the face wide, moved by half a window: the same share of the face at any input size.
METHOD = Method("occlusion", "Occlusion", occlusion, sources=(__file__,),
                site_parameters={"window": IMAGE_SIZE // 8, "stride": IMAGE_SIZE // 16, "fill": 0.0})
