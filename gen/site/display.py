"""Display normalisation and overlays: the one explicit step between raw maps and pictures.

Raw maps differ in scale between methods, images and models, and that difference is information:
a model that barely depends on a face shows a faint map. So normalising is a choice made here, in
the open: per map (each picture uses its full colour range) or on a shared scale (one divisor for
a set of maps, so two models' maps can be compared by eye). Colours come from matplotlib colormaps.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from PIL import Image

UNSIGNED_CMAP = "inferno"  # perceptually uniform, readable in grey
SIGNED_CMAP = "RdBu_r"  # red: evidence for the class, blue: against, white: none
OVERLAY_STRENGTH = 0.75  # the opacity of the map where |value| reaches the top of the scale
PERCENTILE = 99.0  # robust top of a map's range, so one hot pixel does not wash the rest out


def scale_of(maps: np.ndarray, percentile: float = PERCENTILE) -> float:
    """The divisor for a set of maps: a high percentile of |value| (never 0)."""
    value = float(np.percentile(np.abs(maps), percentile)) if np.size(maps) else 0.0
    return value if value > 0 else 1.0


def normalise(maps: np.ndarray, scale: str | float = "per_map", signed: bool = False,
              percentile: float = PERCENTILE) -> tuple[np.ndarray, np.ndarray]:
    """Maps in [0, 1] (or [-1, 1] when `signed`) and the divisor used for each map.

    scale: "per_map" (each map its own divisor), "shared" (one divisor for all maps given) or a
    number (a divisor decided elsewhere, e.g. shared with another model's maps).
    """
    maps = np.asarray(maps, np.float32)
    if scale == "per_map":
        divisors = np.array([scale_of(m, percentile) for m in maps], np.float32)
    elif scale == "shared":
        divisors = np.full(len(maps), scale_of(maps, percentile), np.float32)
    else:
        divisors = np.full(len(maps), float(scale), np.float32)
    scaled = maps / divisors[:, None, None]
    return np.clip(scaled, -1.0 if signed else 0.0, 1.0), divisors


def colour(map01: np.ndarray, signed: bool = False) -> np.ndarray:
    """RGBA floats (H, W, 4) for a normalised map through the matplotlib colormap."""
    cmap = colormaps[SIGNED_CMAP if signed else UNSIGNED_CMAP]
    return cmap((map01 + 1.0) / 2.0 if signed else map01)


def resize_map(map01: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of one map to size x size, for drawing over a larger picture of the face."""
    picture = Image.fromarray(np.asarray(map01, np.float32))  # a float32 array makes a mode "F" image
    return np.asarray(picture.resize((size, size), Image.BILINEAR))


def heatmap(map01: np.ndarray, signed: bool = False) -> np.ndarray:
    """The coloured map alone as uint8 RGB, at the map's own resolution."""
    return (colour(map01, signed)[..., :3] * 255).round().astype(np.uint8)


def overlay(picture: np.ndarray, map01: np.ndarray, signed: bool = False, strength: float = OVERLAY_STRENGTH
            ) -> np.ndarray:
    """The map drawn over the face (uint8 RGB, the picture's size): opacity grows with |value|, so
    places without evidence show the face itself."""
    size = picture.shape[0]
    value = resize_map(map01, size)
    alpha = strength * np.abs(value)[..., None]
    blended = (1 - alpha) * picture.astype(np.float32) / 255 + alpha * colour(value, signed)[..., :3]
    return (np.clip(blended, 0, 1) * 255).round().astype(np.uint8)


def save_png(rgb: np.ndarray, path: Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(path, optimize=True)


WEBP_QUALITY = 85  # an overlay is a photo with a heatmap over it: lossy WebP is a fifth of the PNG


def save_picture(rgb: np.ndarray, path: Path) -> None:
    """PNG or WebP by the file's suffix."""
    if Path(path).suffix == ".webp":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rgb).save(path, quality=WEBP_QUALITY, method=6)
    else:
        save_png(rgb, path)


def colour_stops(signed: bool = False, stops: int = 11) -> list[str]:
    """The colormap as CSS colours from the low to the high end, for a colour bar drawn by the page."""
    values = np.linspace(-1.0 if signed else 0.0, 1.0, stops)
    return ["#" + "".join(f"{round(c * 255):02x}" for c in rgba[:3]) for rgba in colour(values, signed)]
