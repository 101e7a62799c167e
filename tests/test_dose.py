"""The bias dose curve's pieces: subsets at each dose, scoring, intervals across seeds."""
import numpy as np
import pytest

from gen.analysis.dose import first_fall, score_run, seed_interval
from gen.config import CENSUS_SHARES, RACES
from gen.data.subsets import dose_shares, draw_dose_subset


def test_dose_shares_run_from_equal_to_census():
    assert dose_shares(0.0) == pytest.approx(dict.fromkeys(RACES, 0.2))
    assert dose_shares(1.0) == pytest.approx(CENSUS_SHARES)
    half = dose_shares(0.5)
    assert half["Indian"] == pytest.approx((0.2 + CENSUS_SHARES["Indian"]) / 2)
    assert sum(half.values()) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="dose runs from 0"):
        dose_shares(1.5)


def test_dose_subsets_have_the_total_and_are_nested_per_race_within_a_seed():
    races = np.random.default_rng(0).integers(0, len(RACES), size=20_000)
    draws = {d: draw_dose_subset(races, d, 4770, seed=3) for d in (0.0, 0.5, 1.0)}
    for dose, drawn in draws.items():
        assert len(drawn) == len(set(drawn)) == 4770
        counts = np.bincount(races[drawn], minlength=len(RACES)) / 4770
        assert counts == pytest.approx(list(dose_shares(dose).values()), abs=1e-3)
    for i in range(len(RACES)):
        small, large = sorted((set(d[races[d] == i]) for d in draws.values()), key=len)[::2]
        assert small <= large
    other_seed = draw_dose_subset(races, 0.5, 4770, seed=4)
    assert set(other_seed) != set(draws[0.5])


def test_a_model_that_never_answers_a_race_gets_an_exact_upper_bound():
    labels = np.repeat(np.arange(len(RACES)), 548)
    probabilities = np.eye(len(RACES))[np.where(labels == 3, 0, labels)]  # every Indian face called White
    scored = score_run(probabilities, labels)
    indian = scored["recall"]["Indian"]
    assert indian["value"] == 0 and indian["low"] == 0
    assert indian["high"] == pytest.approx(1 - 0.025 ** (1 / 548), rel=1e-9)  # about 0.67%
    assert scored["answered"]["Indian"] == 0 and scored["recall"]["White"]["high"] == 1.0
    assert scored["macro_recall"] == pytest.approx(0.8)


def test_seed_interval_is_the_t_interval_of_the_mean():
    interval = seed_interval([0.5, 0.6, 0.7])
    assert interval["mean"] == pytest.approx(0.6) and interval["sd"] == pytest.approx(0.1)
    assert interval["high"] - interval["mean"] == pytest.approx(4.302653 * 0.1 / np.sqrt(3), rel=1e-5)


def test_first_fall_is_the_first_dose_below_the_balanced_interval():
    rows = [{"dose": d, "recall": {"Indian": {"mean": m, "low": m - 0.05}}}
            for d, m in ((0.0, 0.6), (0.25, 0.57), (0.5, 0.5), (0.75, 0.3))]
    assert first_fall(rows, "Indian") == 0.5
    assert first_fall(rows[:2], "Indian") is None
