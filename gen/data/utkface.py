"""UTKFace folder loader: labels from file names, content hashes, counted problems.

UTKFace names its files ``age_gender_race_datetime.jpg.chip.jpg``. A few names in the public set are
malformed (missing race, stray space or dot); they are skipped and counted rather than guessed at.
Some images are byte-identical copies under other names; the content hash lets the split keep every
copy of a face in one split.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from gen.config import age_to_bin

NAME_PATTERN = re.compile(r"^(\d{1,3})_([01])_([0-4])_(\d+)\.jpg\.chip\.jpg$")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


class DatasetError(Exception):
    """The dataset folder cannot be used at all (missing, empty, no valid file)."""


@dataclass(frozen=True)
class FaceRecord:
    """One face file and its labels, as read from its name."""

    name: str
    age: int
    gender: int
    race: int
    content_hash: str

    @property
    def age_bin(self) -> int:
        return age_to_bin(self.age)


@dataclass
class FolderScan:
    """What a folder scan found: usable records and everything it had to leave out."""

    records: list[FaceRecord]
    malformed_names: list[str] = field(default_factory=list)
    other_files: list[str] = field(default_factory=list)

    def duplicate_groups(self) -> dict[str, list[FaceRecord]]:
        """Content hash -> records, for hashes held by more than one file."""
        groups: dict[str, list[FaceRecord]] = {}
        for record in self.records:
            groups.setdefault(record.content_hash, []).append(record)
        return {digest: members for digest, members in groups.items() if len(members) > 1}


def parse_name(name: str) -> tuple[int, int, int] | None:
    """(age, gender, race) from a UTKFace file name, or None when the name is malformed."""
    match = NAME_PATTERN.match(name)
    if match is None:
        return None
    age, gender, race = (int(match.group(i)) for i in (1, 2, 3))
    return age, gender, race


def scan_folder(folder: Path) -> FolderScan:
    """Parse every file name in `folder` and hash its bytes. Image decoding happens later, once."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(
            f"UTKFace folder not found: {folder}. Pass --data-dir or set UTKFACE_DIR to a folder of "
            "age_gender_race_date.jpg.chip.jpg files."
        )
    scan = FolderScan(records=[])
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        labels = parse_name(path.name)
        if labels is None:
            is_image_like = path.name.lower().endswith(IMAGE_SUFFIXES)
            (scan.malformed_names if is_image_like else scan.other_files).append(path.name)
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        scan.records.append(FaceRecord(path.name, *labels, content_hash=digest))
    if not scan.records:
        raise DatasetError(
            f"No UTKFace images in {folder}: expected files named age_gender_race_date.jpg.chip.jpg "
            f"({len(scan.malformed_names)} malformed names, {len(scan.other_files)} other files)."
        )
    return scan
