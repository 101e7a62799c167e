"""The age-range report's contract: the exported rule reproduces the Python ranges, splits never mix."""
from __future__ import annotations

import numpy as np

from gen.age.calibration import calibration_split, range_summary
from gen.age.ranges import AgeCalibration, calibrate, range_label
from gen.config import AGE_BINS, RACES


def browser_rule(probabilities: np.ndarray, exported: dict, race: str | None = None) -> list[tuple[int, int]]:
    """The rule as age_calibration.json states it, written independently, one face at a time (as JS does)."""
    conformal = exported["conformal"]
    threshold = conformal["threshold"] if race is None else conformal["by_race"][race]
    ranges = []
    for p in probabilities:
        logits = np.log(np.maximum(p, conformal["probability_floor"])) / exported["temperature"]
        scaled = np.exp(logits - logits.max())
        scaled /= scaled.sum()
        reach = [k for k in range(len(p)) if scaled[k] >= threshold]
        ranges.append((min(reach), max(reach)) if reach else (int(np.argmax(scaled)),) * 2)
    return ranges


def synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(AGE_BINS), n)
    logits = -0.5 * (np.arange(len(AGE_BINS))[None, :] - labels[:, None]) ** 2 * rng.uniform(0.2, 3, (n, 1))
    logits += rng.normal(0, 1.0, logits.shape)
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return probabilities, labels, rng.integers(0, len(RACES), n)


def test_exported_rule_reproduces_the_python_ranges():
    probabilities, labels, races = synthetic(2000, 0)
    calibration = calibrate(probabilities[:1000], labels[:1000], races[:1000])
    exported = calibration.export()
    low, high = calibration.ranges(probabilities[1000:])
    assert browser_rule(probabilities[1000:], exported) == list(zip(low.tolist(), high.tolist()))
    race = RACES[2]
    rows = probabilities[1000:][races[1000:] == 2]
    low, high = calibration.ranges(rows, np.full(len(rows), 2))
    assert browser_rule(rows, exported, race) == list(zip(low.tolist(), high.tolist()))


def test_calibration_halves_are_disjoint_stratified_and_fixed_by_the_seed():
    indices = np.arange(100, 1100)
    groups = np.repeat(np.arange(5), 200)
    first, second = calibration_split(indices, groups, seed=7)
    assert not set(first) & set(second) and len(first) + len(second) == len(indices)
    for g in range(5):
        assert abs(np.isin(first, indices[groups == g]).sum() - 100) <= 1
    again, _ = calibration_split(indices, groups, seed=7)
    np.testing.assert_array_equal(first, again)
    other, _ = calibration_split(indices, groups, seed=8)
    assert not np.array_equal(first, other)


def test_calibration_counts_and_temperature_are_sane():
    probabilities, labels, races = synthetic(1000, 1)
    calibration = calibrate(probabilities, labels, races)
    assert isinstance(calibration, AgeCalibration)
    assert calibration.n_temperature + calibration.n_conformal == 1000
    assert 0.05 < calibration.temperature < 20
    assert set(calibration.race_thresholds) == set(range(len(RACES)))


def test_range_labels_read_as_ages():
    assert range_label(2, 3) == "20-39"
    assert range_label(0, 0) == "0-9"
    assert range_label(7, len(AGE_BINS) - 1) == "70+"


def test_range_summary_counts_per_group():
    covered = np.array([True, False, True, True])
    widths = np.array([1, 2, 3, 2])
    summary = range_summary(covered, widths, {"race": (np.array([0, 0, 1, 1]), ("A", "B", "C"))})
    assert summary["coverage"] == 0.75 and summary["mean_width"] == 2.0
    assert summary["race"]["A"]["n"] == 2 and summary["race"]["A"]["coverage"] == 0.5
    assert summary["race"]["A"]["mean_width"] == 1.5
    low, high = summary["race"]["A"]["coverage_ci"]
    assert 0.0 < low < 0.5 < high < 1.0
    assert summary["race"]["C"] == {"n": 0, "coverage": None, "coverage_ci": None, "mean_width": None}
