"""Where the age analysis writes its committed files: a light module, so the build step reads them
without importing TensorFlow or Fairlearn."""
from __future__ import annotations

from gen.config import MODELS_DIR

ANALYSIS_DIR = MODELS_DIR / "analysis"
RANGES_FILE = ANALYSIS_DIR / "age_ranges.json"
CALIBRATION_FILE = ANALYSIS_DIR / "age_calibration.json"
PROTOTYPES_FILE = ANALYSIS_DIR / "prototypes.json"
THUMBNAIL_DIR = ANALYSIS_DIR / "prototypes"
