"""The curated samples: the faces in site_src/samples/ that the article explains and the demo offers."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gen.config import IMAGE_SIZE, SITE_SRC
from gen.data.images import decode_face

SAMPLES_DIR = SITE_SRC / "samples"
MANIFEST_NAME = "manifest.json"


def read_samples(samples_dir: Path = SAMPLES_DIR) -> list[dict]:
    """The manifest's entries: {"id", "file", "labels": {"race", "gender", "age"}, "source"} each."""
    return json.loads((Path(samples_dir) / MANIFEST_NAME).read_text())["samples"]


def sample_pixels(samples: list[dict], samples_dir: Path = SAMPLES_DIR, size: int = IMAGE_SIZE) -> np.ndarray:
    """The samples as the models see them: (n, size, size, 3) uint8, decoded like the training faces."""
    return np.stack([decode_face((Path(samples_dir) / s["file"]).read_bytes(), size) for s in samples])
