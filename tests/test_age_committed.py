"""The committed age analysis matches the committed models: a retrained model without a rerun of
`python -m gen age-ranges` and `python -m gen prototypes` fails here, not silently on the site."""
from __future__ import annotations

import json

import pytest

from gen.age.paths import PROTOTYPES, RANGES, THUMBNAILS, analysis_dir
from gen.config import MODELS_DIR
from gen.models.registry import model_digests

MAX_COMMITTED_BYTES = 1_000_000  # JSON and thumbnails together stay small enough for the repository


@pytest.mark.parametrize("stem, command", [(RANGES, "age-ranges"), (PROTOTYPES, "prototypes")])
def test_analysis_was_computed_from_the_committed_models(stem: str, command: str):
    path = analysis_dir() / stem
    if not path.exists():
        pytest.skip(f"{path.name} not generated yet (python -m gen {command})")
    recorded = json.loads(path.read_text())["model_sha256"]
    missing = [name for name in recorded if not (MODELS_DIR / name / "model.keras").exists()]
    if missing:
        pytest.skip(f"models not present: {', '.join(missing)}")
    assert model_digests(list(recorded)) == recorded, f"models changed since {path.name}: run python -m gen {command}"


def test_committed_age_files_stay_small():
    folder = analysis_dir()
    files = [folder / name for name in ("age_ranges.json", "age_calibration.json", PROTOTYPES)]
    files += sorted((folder / THUMBNAILS).glob("*.jpg"))
    present = [f for f in files if f.exists()]
    if not present:
        pytest.skip("no age analysis files generated yet")
    assert sum(f.stat().st_size for f in present) < MAX_COMMITTED_BYTES
    document = json.loads((folder / PROTOTYPES).read_text()) if (folder / PROTOTYPES).exists() else {"faces": {}}
    for face in document["faces"].values():
        assert (folder / face["thumbnail"]).exists()
