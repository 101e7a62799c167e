"""Project-wide constants: label vocabularies, paths, the split and the seed.

Everything that more than one step needs to agree on lives here, so train, evaluate, explain and
the browser page cannot drift apart.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "models"
SITE_SRC = ROOT / "site_src"
DOCS_DIR = ROOT / "docs"
BUILD_DIR = ROOT / "build"
CACHE_DIR = Path(os.environ.get("GEN_CACHE_DIR") or ROOT / ".cache")  # the tests point it at a temporary folder
DEFAULT_UTKFACE_DIR = ROOT.parent / "shared" / "datasets" / "utkface"

RACES = ("White", "Black", "Asian", "Indian", "Others")
GENDERS = ("Male", "Female")
AGE_BIN_EDGES = (10, 20, 30, 40, 50, 60, 70, 80)  # bin i holds ages in [edge[i-1], edge[i])
AGE_BINS = ("0-9", "10-19", "20-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80+")
TASK_LABELS = {"race": RACES, "gender": GENDERS, "age": AGE_BINS}  # what each task's classes are called

# US Census shares used by the published FairFace fair-vs-biased study, mapped onto UTKFace's groups.
CENSUS_SHARES = {"White": 0.601, "Black": 0.134, "Asian": 0.044, "Indian": 0.012, "Others": 0.209}

SPLIT_FRACTIONS = {"train": 0.70, "val": 0.15, "test": 0.15}
SEED = 1234
IMAGE_SIZE = 64  # model input side in pixels: see README "Why 64 px"
# A model's top two answers less than this far apart (in probability) are a close call: a slightly different
# crop can swap them. The Try-it page says so; bench/wild.py counts how many changed answers were close calls.
CLOSE_CALL = 0.1


def age_to_bin(age: int) -> int:
    """Index into AGE_BINS for an age in years."""
    for index, edge in enumerate(AGE_BIN_EDGES):
        if age < edge:
            return index
    return len(AGE_BIN_EDGES)


def utkface_dir_from_env() -> Path | None:
    """The dataset folder named by UTKFACE_DIR, if that variable is set."""
    value = os.environ.get("UTKFACE_DIR")
    return Path(value) if value else None
