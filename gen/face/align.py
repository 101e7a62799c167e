"""Aligning a face like the training faces: the rule the Try-it page uses (site_src/assets/demo/face.js).

Five points per face, each the mean of a group of the 68 landmarks (the groups are stored in the template:
the two eye centres, the nose tip, the two mouth corners); the least-squares similarity transform (rotation,
uniform scale, shift; Umeyama's closed form) that maps them onto the template's target points (the median
over UTKFace training faces, spread by a scale chosen on validation faces: `python -m gen face-template`);
the crop is the template's square (its side is the UTKFace crop side), resampled bilinearly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Similarity:
    """x' = a x - b y + tx, y' = b x + a y + ty (scale sqrt(a^2 + b^2), angle atan2(b, a))."""

    a: float
    b: float
    tx: float
    ty: float

    def apply(self, points: np.ndarray) -> np.ndarray:
        points = np.asarray(points, np.float64)
        x, y = points[..., 0], points[..., 1]
        return np.stack([self.a * x - self.b * y + self.tx, self.b * x + self.a * y + self.ty], axis=-1)

    def inverse(self) -> Similarity:
        d = self.a ** 2 + self.b ** 2
        a, b = self.a / d, -self.b / d
        return Similarity(a, b, -(a * self.tx - b * self.ty), -(b * self.tx + a * self.ty))

    @property
    def scale(self) -> float:
        return float(np.hypot(self.a, self.b))


def five_points(landmarks68: np.ndarray, groups: list[list[int]]) -> np.ndarray:
    """(5, 2): the mean of each landmark group named in the template."""
    landmarks68 = np.asarray(landmarks68, np.float64)
    return np.array([landmarks68[group].mean(axis=0) for group in groups])


def similarity(source: np.ndarray, target: np.ndarray) -> Similarity:
    """The similarity transform mapping `source` points onto `target` with the least squared error."""
    source, target = np.asarray(source, np.float64), np.asarray(target, np.float64)
    s, t = source - source.mean(0), target - target.mean(0)
    norm = float((s ** 2).sum())
    if norm == 0:
        raise ValueError("the points coincide: no transform can be estimated")
    a = float((s * t).sum()) / norm
    b = float((s[:, 0] * t[:, 1] - s[:, 1] * t[:, 0]).sum()) / norm
    cx, cy = source.mean(0)
    mx, my = target.mean(0)
    return Similarity(a, b, mx - (a * cx - b * cy), my - (b * cx + a * cy))


def template_points(template: dict, side: float | None = None) -> np.ndarray:
    """The template's five target points in pixels of a crop of `side` (default: the template's crop side)."""
    return np.asarray(template["target"], np.float64) * float(side or template["crop_side"])


def alignment(landmarks5: np.ndarray, template: dict) -> Similarity:
    """Photo pixels -> aligned crop pixels for one face."""
    return similarity(landmarks5, template_points(template))


def aligned_crop(image: Image.Image, transform: Similarity, side: int, fill: int = 128) -> Image.Image:
    """The `side` x `side` crop of the photo under `transform` (grey outside the photo). A photo much larger
    than the crop is first shrunk (Pillow's antialiased reduce), so the bilinear warp never skips pixels."""
    image = image.convert("RGB")
    fx = fy = 1.0
    if transform.scale < 0.75:
        size = (max(1, round(image.width * transform.scale)), max(1, round(image.height * transform.scale)))
        fx, fy = size[0] / image.width, size[1] / image.height
        image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=None)
    # Crop -> (shrunk) photo in continuous coordinates (a pixel's centre at +0.5), which is what Pillow's
    # affine transform takes, as the canvas transform does in the page.
    inverse = transform.inverse()
    a, b, tx, ty = inverse.a, inverse.b, inverse.tx, inverse.ty
    coefficients = (a * fx, -b * fx, tx * fx, b * fy, a * fy, ty * fy)
    return image.transform((side, side), Image.Transform.AFFINE, coefficients, Image.Resampling.BILINEAR,
                           fillcolor=(fill, fill, fill))
