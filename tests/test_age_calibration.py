"""Calibration and conformal age ranges on synthetic data whose true distribution is known."""
from __future__ import annotations

import numpy as np

from gen.age import calibration

N_BINS = 9


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def planted(n: int, temperature: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Overconfident 'model' probabilities softmax(z), labels drawn from the true softmax(z / T)."""
    rng = np.random.default_rng(seed)
    centre = rng.integers(0, N_BINS, n)
    logits = -0.8 * (np.arange(N_BINS)[None, :] - centre[:, None]) ** 2 + rng.normal(0, 1.5, (n, N_BINS))
    truth = softmax(logits / temperature)
    labels = (truth.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    return softmax(logits), labels


def test_temperature_scaling_recovers_a_planted_temperature():
    probabilities, labels = planted(20000, temperature=2.0, seed=0)
    assert abs(calibration.fit_temperature(probabilities, labels) - 2.0) < 0.1
    sharp, sharp_labels = planted(20000, temperature=0.5, seed=1)
    assert abs(calibration.fit_temperature(sharp, sharp_labels) - 0.5) < 0.05


def test_temperature_scaling_keeps_the_ranking():
    probabilities = softmax(np.random.default_rng(2).normal(0, 3, (500, N_BINS)))
    scaled = calibration.temperature_scale(probabilities, 3.0)
    np.testing.assert_array_equal(np.argsort(scaled, axis=1), np.argsort(probabilities, axis=1))
    np.testing.assert_allclose(calibration.temperature_scale(probabilities, 1.0), probabilities, atol=1e-9)


def test_conformal_coverage_lands_within_its_bound():
    """Over many calibration/test draws the mean coverage is within [1 - alpha, 1 - alpha + 1/(n+1)]
    (up to Monte-Carlo error), and no single draw is far outside it."""
    alpha, n_cal, coverages = 0.1, 500, []
    for seed in range(40):
        probabilities, labels = planted(n_cal + 2000, temperature=1.7, seed=100 + seed)
        scores = calibration.conformity_scores(probabilities[:n_cal], labels[:n_cal])
        threshold = calibration.conformal_threshold(scores, alpha)
        low, high = calibration.contiguous_ranges(probabilities[n_cal:], threshold)
        test_labels = labels[n_cal:]
        coverages.append(np.mean((low <= test_labels) & (test_labels <= high)))
    mean = float(np.mean(coverages))
    assert 1 - alpha - 0.005 <= mean <= 1 - alpha + 1 / (n_cal + 1) + 0.005
    assert min(coverages) > 0.85


def test_raw_mass_rule_under_covers_an_overconfident_model():
    probabilities, labels = planted(5000, temperature=2.0, seed=3)
    mask = calibration.mass_rule_sets(probabilities, 0.9)
    assert mask[np.arange(len(labels)), labels].mean() < 0.85
    sorted_mass = np.sort(probabilities * mask, axis=1)[:, ::-1].cumsum(axis=1)
    assert np.all(mask.sum(axis=1) >= 1) and np.all((probabilities * mask).sum(axis=1) >= 0.9 - 1e-9)
    # dropping the least probable kept bin must fall below the level: the rule keeps no extra bin
    kept = mask.sum(axis=1)
    assert np.all(sorted_mass[np.arange(len(kept)), kept - 2][kept > 1] < 0.9)


def test_ranges_are_contiguous_and_hold_every_bin_over_the_threshold_even_for_two_bumps():
    rng = np.random.default_rng(4)
    bumps = np.zeros((2000, N_BINS))
    first, second = rng.integers(0, N_BINS, (2, 2000))
    bumps[np.arange(2000), first] += rng.random(2000) + 0.5
    bumps[np.arange(2000), second] += rng.random(2000) + 0.5
    probabilities = (bumps + 0.02 * rng.random(bumps.shape))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    for threshold in (0.05, 0.2, 0.4, 0.99):
        low, high = calibration.contiguous_ranges(probabilities, threshold)
        assert np.all(low <= high)
        inside = (np.arange(N_BINS)[None, :] >= low[:, None]) & (np.arange(N_BINS)[None, :] <= high[:, None])
        # every bin at or over the threshold is in the range (the range skips none)
        assert not np.any((probabilities >= threshold) & ~inside)
        # the range is exactly the bins whose hull score reaches the threshold (or the argmax alone)
        reached = calibration.hull_scores(probabilities) >= threshold
        none = ~reached.any(axis=1)
        np.testing.assert_array_equal(inside[~none], reached[~none])
        np.testing.assert_array_equal(low[none], probabilities[none].argmax(axis=1))
        np.testing.assert_array_equal(high[none], low[none])


def test_group_thresholds_give_each_group_its_coverage():
    """A group the model is overconfident about under-covers with one threshold and not with its own."""
    easy, easy_labels = planted(6000, temperature=1.0, seed=5)
    hard, hard_labels = planted(6000, temperature=3.0, seed=6)
    probabilities = np.concatenate([easy, hard])
    labels = np.concatenate([easy_labels, hard_labels])
    groups = np.repeat([0, 1], 6000)
    cal = np.arange(12000) % 2 == 0
    scores = calibration.conformity_scores(probabilities[cal], labels[cal])
    shared = calibration.conformal_threshold(scores, 0.1)
    per_group = calibration.group_thresholds(scores, groups[cal], 0.1)
    test = ~cal

    def coverage(threshold: float | np.ndarray, group: int) -> float:
        low, high = calibration.contiguous_ranges(probabilities[test], threshold)
        ok = (low <= labels[test]) & (labels[test] <= high)
        return float(ok[groups[test] == group].mean())

    assert coverage(shared, 1) < 0.88
    rows = np.array([per_group[g] for g in groups[test]])
    for group in (0, 1):
        assert coverage(rows, group) >= 0.88


def test_top_k_is_sorted_and_matches_probabilities():
    probabilities, _ = planted(100, temperature=1.0, seed=7)
    bins, values = calibration.top_k(probabilities, 3)
    assert np.all(np.diff(values, axis=1) <= 0)
    np.testing.assert_array_equal(values[:, 0], probabilities.max(axis=1))
    np.testing.assert_array_equal(np.take_along_axis(probabilities, bins, axis=1), values)


def test_threshold_is_zero_with_too_few_faces():
    assert calibration.conformal_threshold(np.array([0.5, 0.6]), 0.1) == 0.0


def test_coverage_spread_matches_simulated_calibration_draws():
    """Coverage given n calibration scores is 1 - U_(l) for uniform scores; its spread matches the formula."""
    rng = np.random.default_rng(8)
    for n in (100, 1000):
        rank = int(np.floor(0.1 * (n + 1)))
        coverage = 1 - np.sort(rng.random((4000, n)), axis=1)[:, rank - 1]
        assert abs(coverage.std() - calibration.coverage_spread(n, 0.1)) < 0.1 * calibration.coverage_spread(n, 0.1)
        assert coverage.mean() >= 0.9 - 3 * coverage.std() / np.sqrt(4000)
