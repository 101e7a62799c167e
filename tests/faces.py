"""Generated face-like images for tests: random colour blobs, distinct per file."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def write_face(path: Path, rng: np.random.Generator, size: int = 48, fmt: str = "JPEG") -> None:
    pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, fmt)
