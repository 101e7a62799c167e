"""Shared fixtures. Tests must pass with no dataset; dataset tests skip unless UTKFACE_DIR is set."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

# Before anything imports gen.config: every cache the tests fill lives in a temporary folder, never in
# the repository's .cache/ (a test run neither reuses nor spoils the maintainer's caches).
os.environ.setdefault("GEN_CACHE_DIR", tempfile.mkdtemp(prefix="gen-test-cache-"))

from tests.faces import write_face

pytest_plugins = ["tests.site_build"]  # the shared site build's fixtures: built_site, served_site


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


SITE_FIXTURES = {"built_site", "served_site"}  # the shared site build: minutes on a cold cache


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that need the shared site build are marked `site`, so `make test-fast` can leave them out."""
    for item in items:
        if SITE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.site)
