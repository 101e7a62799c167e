"""FairFace loader: a labels CSV (file, age, gender, race) beside a folder of images.

FairFace uses 7 race groups and 9 age groups. `UTK_RACE` maps its races onto UTKFace's five so the
models trained on UTKFace can be evaluated on FairFace faces.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from gen.config import RACES
from gen.data.utkface import DatasetError

FAIRFACE_RACES = (
    "White", "Black", "Latino_Hispanic", "East Asian", "Southeast Asian", "Indian", "Middle Eastern",
)
FAIRFACE_AGE_GROUPS = (
    "0-2", "3-9", "10-19", "20-29", "30-39", "40-49", "50-59", "60-69", "more than 70",
)
FAIRFACE_GENDERS = ("Male", "Female")
UTK_RACE = {
    "White": "White", "Black": "Black", "East Asian": "Asian", "Southeast Asian": "Asian",
    "Indian": "Indian", "Latino_Hispanic": "Others", "Middle Eastern": "Others",
}
REQUIRED_COLUMNS = ("file", "age", "gender", "race")


@dataclass(frozen=True)
class FairFaceRecord:
    """One labelled FairFace image."""

    path: Path
    age_group: str
    gender: str
    race: str

    @property
    def utk_race(self) -> int:
        """Index into UTKFace's RACES for this face's race."""
        return RACES.index(UTK_RACE[self.race])

    @property
    def gender_index(self) -> int:
        return FAIRFACE_GENDERS.index(self.gender)


@dataclass
class FairFaceLoad:
    records: list[FairFaceRecord]
    bad_rows: list[tuple[int, str]]  # (CSV line number, why)


def load_fairface(labels_csv: Path, image_root: Path) -> FairFaceLoad:
    """Read the labels CSV; rows with unknown labels or missing images are listed, not loaded."""
    labels_csv, image_root = Path(labels_csv), Path(image_root)
    if not labels_csv.is_file():
        raise DatasetError(f"FairFace labels file not found: {labels_csv}")
    if not image_root.is_dir():
        raise DatasetError(f"FairFace image folder not found: {image_root}")
    with labels_csv.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DatasetError(f"{labels_csv} lacks column(s) {', '.join(missing)}")
        loaded = FairFaceLoad(records=[], bad_rows=[])
        for line, row in enumerate(reader, start=2):
            problem = _row_problem(row, image_root)
            if problem:
                loaded.bad_rows.append((line, problem))
                continue
            loaded.records.append(
                FairFaceRecord(image_root / row["file"], row["age"], row["gender"], row["race"])
            )
    if not loaded.records:
        raise DatasetError(f"No usable rows in {labels_csv} ({len(loaded.bad_rows)} rejected)")
    return loaded


def _row_problem(row: dict[str, str], image_root: Path) -> str | None:
    if row["race"] not in FAIRFACE_RACES:
        return f"unknown race {row['race']!r}"
    if row["age"] not in FAIRFACE_AGE_GROUPS:
        return f"unknown age group {row['age']!r}"
    if row["gender"] not in FAIRFACE_GENDERS:
        return f"unknown gender {row['gender']!r}"
    if not (image_root / row["file"]).is_file():
        return f"image {row['file']!r} not found"
    return None
