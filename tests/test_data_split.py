"""The split is deterministic, disjoint and stratified; the subsets have the shares they promise."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from gen.config import CENSUS_SHARES, RACES, SEED
from gen.data.dataset import load_dataset
from gen.data.prepared import prepare_data
from gen.data.split import read_split_manifest, split_records, stratum, write_split_manifest
from gen.data.subsets import balanced_class_weights, draw_subsets, subset_counts
from gen.data.utkface import FaceRecord


def _records(n_per_stratum: int = 20) -> list[FaceRecord]:
    return [FaceRecord(f"{age}_{g}_{r}_{i}.jpg.chip.jpg", age, g, r, f"{r}{g}{age}{i}")
            for r in range(5) for g in range(2) for age in (5, 25, 45, 85) for i in range(n_per_stratum)]


def test_split_is_deterministic_disjoint_and_complete() -> None:
    records = _records()
    first, again = split_records(records, seed=SEED), split_records(records, seed=SEED)
    for name in first:
        np.testing.assert_array_equal(first[name], again[name])
    assert not (set(first["train"]) & set(first["val"]) or set(first["train"]) & set(first["test"])
                or set(first["val"]) & set(first["test"]))
    assert sum(len(v) for v in first.values()) == len(records)
    other = split_records(records, seed=SEED + 1)
    assert not np.array_equal(first["test"], other["test"])


def test_split_is_stratified_by_race_gender_and_age_bin() -> None:
    records = _records()
    split = split_records(records)
    for name, expected in (("train", 14), ("val", 3), ("test", 3)):
        per_stratum = Counter(stratum(records[i]) for i in split[name])
        assert set(per_stratum.values()) == {expected}, name
        assert len(per_stratum) == 5 * 2 * 4


def test_manifest_round_trip(tiny_utkface: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("gen.data.images.CACHE_DIR", tmp_path / "cache")
    dataset = load_dataset(tiny_utkface, size=16)
    split = split_records(dataset.records)
    manifest = tmp_path / "split.csv"
    write_split_manifest(dataset, split, manifest)
    back = read_split_manifest(manifest, dataset)
    for name in split:
        np.testing.assert_array_equal(back[name], split[name])


def test_subsets_have_equal_size_and_target_shares() -> None:
    rng = np.random.default_rng(0)
    races = rng.choice(5, size=20000, p=[0.44, 0.19, 0.14, 0.16, 0.07])
    subsets = draw_subsets(races)
    fair, biased = subsets["fair"], subsets["biased"]
    assert len(fair) == len(biased) and set(fair) <= set(range(len(races)))
    assert len(set(fair)) == len(fair) and len(set(biased)) == len(biased)
    fair_counts = np.bincount(races[fair], minlength=5)
    assert fair_counts.max() - fair_counts.min() <= 1
    biased_shares = np.bincount(races[biased], minlength=5) / len(biased)
    for i, race in enumerate(RACES):
        assert biased_shares[i] == pytest.approx(CENSUS_SHARES[race], abs=1 / len(biased))
    assert len(subsets["all"]) == len(races)


def test_subset_total_is_limited_by_the_scarcest_group() -> None:
    counts = subset_counts({"White": 7000, "Black": 3000, "Asian": 2200, "Indian": 2500, "Others": 1000})
    # Others at 20.9% of the biased subset is the binding limit: 1000 / 0.209 = 4784 faces in each subset.
    assert sum(counts["biased"].values()) == sum(counts["fair"].values()) == 4784
    assert counts["biased"]["Others"] <= 1000 and counts["fair"]["Others"] <= 1000


def test_balanced_class_weights_equalise_class_totals() -> None:
    labels = np.array([0] * 90 + [1] * 10)
    weights = balanced_class_weights(labels, 3)
    assert weights[0] * 90 == pytest.approx(weights[1] * 10)
    assert weights[2] == 0.0


def test_real_split_matches_the_committed_manifest(utkface_dir: Path) -> None:
    """Recomputing the split from the dataset and seed reproduces models/split.csv exactly."""
    data = prepare_data(utkface_dir, manifest=None)
    committed = read_split_manifest(Path(__file__).parent.parent / "models" / "split.csv", data.dataset)
    for name in data.split:
        np.testing.assert_array_equal(committed[name], data.split[name])
    problems = data.dataset.problems
    assert len(problems.malformed_names) == 5 and len(problems.duplicate_copies) > 300
    assert np.bincount(data.dataset.labels("race")[data.subsets["fair"]], minlength=5).min() > 900
