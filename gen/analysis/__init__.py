"""Dataset-wide measurements of the trained models (explanation quality, regions, findings)."""
