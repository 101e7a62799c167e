"""Where the age analysis writes its committed files (under <models>/analysis/): a light module, so the
build step finds them without importing TensorFlow or Fairlearn."""
from __future__ import annotations

from pathlib import Path

from gen.config import MODELS_DIR

RANGES = "age_ranges.json"
CALIBRATION = "age_calibration.json"
PROTOTYPES = "prototypes.json"
THUMBNAILS = "prototypes"  # folder of 64 px face JPEGs named in prototypes.json


def analysis_dir(models_dir: Path = MODELS_DIR) -> Path:
    return Path(models_dir) / "analysis"

