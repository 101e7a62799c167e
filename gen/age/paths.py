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


def model_digests(names: tuple[str, ...] | list[str], models_dir: Path = MODELS_DIR) -> dict[str, str]:
    """Short sha256 of each model file an analysis was computed from: a retrained model shows as stale."""
    from gen.hashing import file_digest
    return {name: file_digest(Path(models_dir) / name / "model.keras")[:16] for name in names}
