"""The face dataset as the training and evaluation steps see it: one record per distinct image.

Byte-identical copies are collapsed onto their first name (sorted), so a face can never be in two
splits and is not counted twice. Everything left out is kept in `problems` for the data report.
"""
from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gen.config import IMAGE_SIZE
from gen.data.images import decode_folder_images
from gen.data.utkface import DatasetError, FaceRecord, FolderScan, scan_folder


@dataclass
class DatasetProblems:
    """Files the loader left out and why; all of it goes into the data report."""

    malformed_names: list[str] = field(default_factory=list)
    other_files: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)  # name -> reason
    duplicate_copies: dict[str, str] = field(default_factory=dict)  # copy name -> kept name
    label_conflicts: list[str] = field(default_factory=list)  # names whose copies disagree on labels


@dataclass
class FaceDataset:
    """Distinct, readable faces with labels and decoded pixels, in a fixed (name-sorted) order."""

    folder: Path
    records: list[FaceRecord]
    pixels: np.ndarray  # (n, size, size, 3) uint8
    problems: DatasetProblems

    @property
    def fingerprint(self) -> str:
        """Hash of the distinct contents and their labels: names the data a model was trained on."""
        text = "\n".join(f"{r.content_hash},{r.age},{r.gender},{r.race}" for r in self.records)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def labels(self, task: str) -> np.ndarray:
        """Class index per record for "race", "gender" or "age" (age bin)."""
        attribute = {"race": "race", "gender": "gender", "age": "age_bin"}[task]
        return np.array([getattr(r, attribute) for r in self.records], dtype=np.int64)


def _collapse_duplicates(scan: FolderScan, problems: DatasetProblems) -> list[FaceRecord]:
    """One record per content. A face whose copies disagree on race, gender or age bin is dropped:
    there is no way to tell which label is right, and a wrong one would teach or grade the model."""
    groups: dict[str, list[FaceRecord]] = {}
    for record in scan.records:  # sorted by name, so the first name of each content is kept
        groups.setdefault(record.content_hash, []).append(record)
    kept = []
    for first, *copies in groups.values():
        problems.duplicate_copies.update({copy.name: first.name for copy in copies})
        if len({(r.age_bin, r.gender, r.race) for r in (first, *copies)}) > 1:
            problems.label_conflicts += [r.name for r in (first, *copies)]
        else:
            kept.append(first)
    problems.label_conflicts.sort()
    return kept


def load_dataset(folder: Path, size: int = IMAGE_SIZE) -> FaceDataset:
    """Scan, deduplicate and decode a UTKFace folder, warning about everything left out."""
    folder = Path(folder)
    scan = scan_folder(folder)
    problems = DatasetProblems(malformed_names=scan.malformed_names, other_files=scan.other_files)
    distinct = _collapse_duplicates(scan, problems)
    pixels, bad = decode_folder_images(
        [folder / r.name for r in distinct], [r.content_hash for r in distinct], size
    )
    problems.unreadable = {distinct[i].name: reason for i, reason in bad.items()}
    keep = [i for i in range(len(distinct)) if i not in bad]
    if not keep:
        raise DatasetError(f"None of the {len(distinct)} images in {folder} could be decoded.")
    dataset = FaceDataset(folder, [distinct[i] for i in keep], pixels[keep], problems)
    _warn(problems, len(scan.records))
    return dataset


def _warn(problems: DatasetProblems, named: int) -> None:
    if problems.malformed_names:
        print(f"warning: skipped {len(problems.malformed_names)} file(s) with malformed names: "
              f"{', '.join(problems.malformed_names[:5])}", file=sys.stderr)
    if problems.unreadable:
        listed = "; ".join(f"{n} ({why})" for n, why in list(problems.unreadable.items())[:5])
        print(f"warning: skipped {len(problems.unreadable)} unreadable image(s): {listed}", file=sys.stderr)
    if problems.duplicate_copies:
        print(f"note: {len(problems.duplicate_copies)} of {named} well-named files are byte-identical "
              f"copies; each face is kept once, and {len(problems.label_conflicts)} files whose copies "
              "disagree on labels are left out",
              file=sys.stderr)
