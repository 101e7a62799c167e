"""One fixed-seed train/validation/test split, stratified by race x gender x age bin.

Records are already one per distinct image (see dataset.py), so stratifying records is splitting by
content. The split is written to `models/split.csv` (every file name, duplicates included) so anyone
can audit it or reproduce it.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from gen.config import SEED, SPLIT_FRACTIONS
from gen.data.dataset import FaceDataset
from gen.data.utkface import FaceRecord

SPLITS = ("train", "val", "test")


def stratum(record: FaceRecord) -> tuple[int, int, int]:
    return record.race, record.gender, record.age_bin


def split_records(
    records: list[FaceRecord], fractions: dict[str, float] = SPLIT_FRACTIONS, seed: int = SEED
) -> dict[str, np.ndarray]:
    """Indices of `records` per split. Each stratum is shuffled and cut by the fractions."""
    rng = np.random.default_rng(seed)
    by_stratum: dict[tuple[int, int, int], list[int]] = {}
    for index, record in enumerate(records):
        by_stratum.setdefault(stratum(record), []).append(index)
    chosen: dict[str, list[int]] = {name: [] for name in SPLITS}
    for key in sorted(by_stratum):
        members = rng.permutation(by_stratum[key])
        n_test = int(round(len(members) * fractions["test"]))
        n_val = int(round(len(members) * fractions["val"]))
        chosen["test"].extend(members[:n_test])
        chosen["val"].extend(members[n_test:n_test + n_val])
        chosen["train"].extend(members[n_test + n_val:])
    return {name: np.array(sorted(indices), dtype=np.int64) for name, indices in chosen.items()}


def write_split_manifest(dataset: FaceDataset, split: dict[str, np.ndarray], path: Path) -> None:
    """CSV of every file name (copies too) with its content hash and split."""
    split_of = {dataset.records[i].name: name for name, indices in split.items() for i in indices}
    rows = [(r.name, r.content_hash[:16], split_of[r.name]) for r in dataset.records]
    rows += [(copy, "", split_of[kept]) for copy, kept in dataset.problems.duplicate_copies.items()
             if kept in split_of]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("file", "sha256_16", "split"))
        writer.writerows(sorted(rows))


def read_split_manifest(path: Path, dataset: FaceDataset) -> dict[str, np.ndarray]:
    """Indices of `dataset` per split as recorded in a manifest; unknown names are ignored."""
    index_of = {r.name: i for i, r in enumerate(dataset.records)}
    chosen: dict[str, list[int]] = {name: [] for name in SPLITS}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["file"] in index_of:
                chosen[row["split"]].append(index_of[row["file"]])
    return {name: np.array(sorted(indices), dtype=np.int64) for name, indices in chosen.items()}
