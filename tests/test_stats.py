"""The interval and binning rules against values computed by hand or published."""
from __future__ import annotations

import numpy as np
import pytest

from gen.stats import bootstrap, clopper_pearson, confidence_bins, paired_bootstrap, proportion, wilson


def test_clopper_pearson_at_the_edges_and_the_middle() -> None:
    # 0 of 548: the upper bound solves (1 - p)^548 = 0.025, about 0.67%, never 0.
    assert clopper_pearson(0, 548) == pytest.approx((0.0, 1 - 0.025 ** (1 / 548)), abs=1e-9)
    assert clopper_pearson(0, 548)[1] == pytest.approx(0.00671, abs=5e-5)
    assert clopper_pearson(548, 548) == pytest.approx((0.025 ** (1 / 548), 1.0), abs=1e-9)
    low, high = clopper_pearson(274, 548)
    assert low == pytest.approx(0.4573, abs=5e-4) and high == pytest.approx(0.5427, abs=5e-4)
    assert low + high == pytest.approx(1.0)  # symmetric around one half


def test_wilson_matches_its_formula_and_stays_inside_zero_one() -> None:
    low, high = wilson(274, 548)
    assert low == pytest.approx(0.4582, abs=5e-4) and high == pytest.approx(0.5418, abs=5e-4)
    z2 = 1.959964**2  # with no successes the upper bound is z^2 / (n + z^2)
    assert wilson(0, 548) == pytest.approx((0.0, z2 / (548 + z2)), abs=1e-7)
    with pytest.raises(ValueError):
        wilson(5, 4)


def test_proportion_reports_value_interval_and_count() -> None:
    result = proportion(np.array([True] * 3 + [False] * 7))
    assert result["value"] == pytest.approx(0.3) and result["n"] == 10
    assert (result["low"], result["high"]) == pytest.approx(clopper_pearson(3, 10))


def test_paired_bootstrap_sees_a_consistent_shift_and_not_noise() -> None:
    rng = np.random.default_rng(0)
    faces = rng.normal(size=300)  # what the faces share: large, and cancelled by pairing
    shifted = paired_bootstrap(faces * 5 + 0.1, faces * 5)
    assert shifted["difference"] == pytest.approx(0.1) and shifted["excludes_zero"]
    noise = paired_bootstrap(faces + rng.normal(scale=0.01, size=300), faces)
    assert not noise["excludes_zero"] and noise["low"] < 0 < noise["high"]
    with pytest.raises(ValueError):
        paired_bootstrap(np.ones(3), np.ones(4))


def test_bootstrap_interval_covers_the_mean() -> None:
    values = np.arange(100, dtype=float)
    result = bootstrap(values)
    assert result["low"] < 49.5 < result["high"] and result["value"] == 49.5


def test_confidence_bins_are_half_open_with_the_last_closed() -> None:
    np.testing.assert_array_equal(confidence_bins(np.array([0.0, 0.0999, 0.1, 0.95, 1.0]), 10), [0, 0, 1, 9, 9])
