"""Face regions of an aligned crop, placed by the 68-landmark template (models/analysis/face_template.json).

Each pixel belongs to one region:

- eyes, brows, nose, mouth: within MARGIN of the outline of their landmarks (eyes first, then brows,
  mouth, nose, where two overlap);
- jaw and cheeks: the rest of the face outline (jaw line and brows);
- forehead and hair: outside the outline, above the lowest brow point;
- background: everything else (neck, shoulders, the photo's background).

gen/analysis/regions.py measures how much of each model's maps falls in each region.
"""
from __future__ import annotations

import numpy as np
from matplotlib.path import Path as Polygon
from scipy.spatial import ConvexHull

REGIONS = ("eyes", "brows", "nose", "mouth", "jaw and cheeks", "forehead and hair", "background")
REGION_COLOURS = dict(zip(REGIONS, ("#e6194b", "#f58231", "#3cb44b", "#911eb4", "#4363d8", "#9a6324", "#a9a9a9")))
MARGIN = 0.035  # of the crop side: about 2 px at 64 px, the landmark spread after alignment (face_template.json)
# Landmark indices of the 68-point (iBUG 300-W) scheme.
JAW, BROWS = list(range(0, 17)), [list(range(17, 22)), list(range(22, 27))]
EYES, NOSE, MOUTH = [list(range(36, 42)), list(range(42, 48))], list(range(27, 36)), list(range(48, 60))


def _near(points: np.ndarray, outline: np.ndarray, margin: float, closed: bool) -> np.ndarray:
    """Points within `margin` of a polyline (or inside and near a closed outline)."""
    segments = list(zip(outline, np.roll(outline, -1, axis=0))) if closed else list(zip(outline[:-1], outline[1:]))
    distance = np.full(len(points), np.inf)
    for a, b in segments:
        ab = b - a
        t = np.clip(((points - a) @ ab) / max(float(ab @ ab), 1e-12), 0, 1)
        distance = np.minimum(distance, np.linalg.norm(points - (a + t[:, None] * ab), axis=1))
    near = distance <= margin
    if closed:
        near |= Polygon(outline).contains_points(points)
    return near


def _hull(points: np.ndarray) -> np.ndarray:
    return points[ConvexHull(points).vertices]


def region_masks(landmarks68: np.ndarray, size: int, margin: float = MARGIN) -> np.ndarray:
    """(regions, size, size) boolean masks that split the crop: each pixel centre in exactly one region.

    `landmarks68` are (68, 2) x, y positions as fractions of the crop side."""
    marks = np.asarray(landmarks68, float)
    centres = (np.stack(np.meshgrid(np.arange(size), np.arange(size)), axis=-1).reshape(-1, 2) + 0.5) / size
    taken = np.zeros(len(centres), bool)
    masks = {}

    def claim(name: str, hit: np.ndarray) -> None:
        masks[name] = hit & ~taken
        taken[:] |= hit

    claim("eyes", np.any([_near(centres, marks[e], margin, closed=True) for e in EYES], axis=0))
    claim("brows", np.any([_near(centres, marks[b], margin, closed=False) for b in BROWS], axis=0))
    claim("mouth", _near(centres, _hull(marks[MOUTH]), margin, closed=True))
    claim("nose", _near(centres, _hull(marks[NOSE]), margin, closed=True))
    face = Polygon(_hull(marks[JAW + BROWS[0] + BROWS[1]])).contains_points(centres)
    claim("jaw and cheeks", face)
    claim("forehead and hair", centres[:, 1] < marks[BROWS[0] + BROWS[1], 1].max())
    claim("background", np.ones(len(centres), bool))
    return np.stack([masks[name].reshape(size, size) for name in REGIONS])
