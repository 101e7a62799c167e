"""Shared fixtures. Tests must pass with no dataset; dataset tests skip unless UTKFACE_DIR is set."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tests.faces import write_face

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def utkface_dir() -> Path:
    """The full UTKFace folder, or skip: these tests need the real data (CI sets UTKFACE_DIR)."""
    value = os.environ.get("UTKFACE_DIR")
    if not value:
        pytest.skip("needs the full UTKFace dataset: set UTKFACE_DIR (CI sets it to ../shared/datasets/utkface)")
    folder = Path(value)
    if not folder.is_dir():
        pytest.skip(f"UTKFACE_DIR={value} is not a folder")
    return folder


@pytest.fixture
def tiny_utkface(tmp_path: Path) -> Path:
    """A generated UTKFace-style folder: every race x gender x age bin a few times, plus the known faults."""
    folder = tmp_path / "utkface"
    folder.mkdir()
    rng = np.random.default_rng(0)
    ages = (5, 15, 25, 35, 45, 55, 65, 75, 85)
    for race in range(5):
        for gender in range(2):
            for age in ages:
                for copy in range(4):
                    write_face(folder / f"{age}_{gender}_{race}_2017{race}{gender}{age:03d}{copy}.jpg.chip.jpg", rng)
    return folder
