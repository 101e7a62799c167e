"""Age ranges you can trust: temperature scaling, then split conformal prediction over ordered bins.

The model's softmax is a score, not a promise: "add the most probable bins until they sum to 90%"
covers the true bin only as often as the softmax happens to be calibrated. Two steps fix that:

1. Temperature scaling (Guo et al., 2017). The model ends in a softmax, so its log-probabilities are
   its logits up to a per-face constant, and softmax(log p / T) is exactly softmax(logits / T). One
   scalar T is fitted by minimising the negative log-likelihood on held-out faces. It changes the
   confidence, never the ranking of the bins.
2. Split conformal prediction (Vovk et al., 2005; Angelopoulos & Bates, 2021) on other held-out faces
   gives a threshold with a finite-sample guarantee: P(true bin in range) >= 1 - alpha, for faces
   exchangeable with the calibration faces.

Why this conformity score. An age range must be contiguous ("20-39", never "20-29 or 50-59"). The set
{bins with p >= t} (LAC, Sadinle et al., 2019) has the smallest expected size among sets with a given
coverage, but it can skip a bin when the posterior has two bumps. Its convex hull cannot: the range
from the lowest to the highest bin with p >= t. Bin k is in that hull iff some bin at or below k and
some bin at or above k both reach t, so the score of a face with true bin y is

    s = min(max_{j <= y} p_j, max_{j >= y} p_j)

and the range for threshold t is {k : s(k) >= t}. The ranges are nested in t, which is all split
conformal needs; the hull only fills gaps, so for the single-bump posteriors age models mostly give it
is the LAC set itself. A score that grows a range outward from the argmax by cumulative mass is also
contiguous, but its sets change a whole bin at a time as the mass passes a level, so without
randomisation its coverage can land well above the target, paid for in width.

The browser reproduces a range from three numbers (see `RULE`): T, the threshold t, and the clip
floor for log(0).
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar

from gen.stats import wilson

PROBABILITY_FLOOR = 1e-12  # log(0) guard, also used by the browser
RULE = ("p_T = softmax(log(max(p, 1e-12)) / temperature); the range is every bin from the lowest to the "
        "highest bin whose p_T >= threshold; when no bin reaches the threshold, the range is the single "
        "most probable bin.")


def temperature_scale(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(log p / T): the same faces with confidence softened (T > 1) or sharpened (T < 1)."""
    logits = np.log(np.maximum(probabilities, PROBABILITY_FLOOR)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=1, keepdims=True)


def negative_log_likelihood(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Mean -log p(true class): the loss temperature scaling minimises."""
    picked = probabilities[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.maximum(picked, PROBABILITY_FLOOR))))


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray, bounds: tuple[float, float] = (0.05, 20.0)) -> float:
    """The T minimising held-out NLL, searched on log T (the NLL is smooth and unimodal there)."""
    result = minimize_scalar(
        lambda log_t: negative_log_likelihood(temperature_scale(probabilities, float(np.exp(log_t))), labels),
        bounds=tuple(np.log(bounds)), method="bounded", options={"xatol": 1e-5})
    return float(np.exp(result.x))


def top_k(probabilities: np.ndarray, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The k most probable bins per face and their probabilities, most probable first."""
    order = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(probabilities, order, axis=1)


def mass_rule_sets(probabilities: np.ndarray, level: float = 0.9) -> np.ndarray:
    """The baseline: add the most probable bins until their summed probability reaches `level`.

    Returns a boolean (n, bins) mask. The set need not be contiguous and its coverage is whatever the
    softmax's calibration makes it.
    """
    order = np.argsort(-probabilities, axis=1, kind="stable")
    sorted_mass = np.cumsum(np.take_along_axis(probabilities, order, axis=1), axis=1)
    keep_sorted = np.concatenate([np.ones((len(order), 1), bool), sorted_mass[:, :-1] < level], axis=1)
    mask = np.zeros_like(keep_sorted)
    np.put_along_axis(mask, order, keep_sorted, axis=1)
    return mask


def hull_scores(probabilities: np.ndarray) -> np.ndarray:
    """Per face and bin k: min(max_{j<=k} p_j, max_{j>=k} p_j), the highest threshold whose range holds k."""
    from_left = np.maximum.accumulate(probabilities, axis=1)
    from_right = np.maximum.accumulate(probabilities[:, ::-1], axis=1)[:, ::-1]
    return np.minimum(from_left, from_right)


def conformity_scores(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The hull score of each face's true bin (higher = the model finds the truth less surprising)."""
    return hull_scores(probabilities)[np.arange(len(labels)), labels]


def conformal_threshold(scores: np.ndarray, alpha: float) -> float:
    """The floor(alpha (n+1))-th smallest calibration score.

    A new exchangeable face's score falls below it with probability at most floor(alpha (n+1))/(n+1)
    <= alpha, so the range {k: s(k) >= threshold} holds its true bin with probability >= 1 - alpha.
    With too few faces for that rank, the threshold is 0 and the range is every bin.
    """
    rank = int(np.floor(alpha * (len(scores) + 1)))
    return 0.0 if rank < 1 else float(np.sort(scores)[rank - 1])


def coverage_spread(n: int, alpha: float) -> float:
    """Standard deviation of the coverage a threshold from n calibration faces delivers on new faces.

    Given the calibration faces, coverage is Beta(n + 1 - l, l) distributed with l = floor(alpha (n+1))
    (Vovk, 2012): about 0.007 for 1,700 faces, 0.03 for 100, which is how far a single calibration draw
    can land from the target.
    """
    rank = int(np.floor(alpha * (n + 1)))
    if rank < 1:
        return 0.0
    a, b = n + 1 - rank, rank
    return float(np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1))))


def group_thresholds(scores: np.ndarray, groups: np.ndarray, alpha: float) -> dict[int, float]:
    """Mondrian (group-conditional) conformal: one threshold per group, so each group gets >= 1 - alpha."""
    return {int(g): conformal_threshold(scores[groups == g], alpha) for g in np.unique(groups)}


def contiguous_ranges(probabilities: np.ndarray, threshold: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lowest bin, highest bin) per face: the hull of bins with p >= threshold (per face if an array).

    When no bin reaches the threshold the range is the argmax bin: adding it only adds coverage.
    """
    reach = probabilities >= np.reshape(threshold, (-1, 1))
    empty = ~reach.any(axis=1)
    reach[empty, probabilities[empty].argmax(axis=1)] = True
    n_bins = probabilities.shape[1]
    low = reach.argmax(axis=1)
    high = n_bins - 1 - reach[:, ::-1].argmax(axis=1)
    return low, high


def calibration_split(indices: np.ndarray, groups: np.ndarray, seed: int,
                      fraction: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Cut held-out faces into (temperature fit, conformal calibration), stratified by group.

    Fitting T and the conformal threshold on disjoint faces keeps the calibration scores exchangeable
    with test scores given T; stratifying keeps every group present in both parts.
    """
    rng = np.random.default_rng(seed)
    first, second = [], []
    for g in np.unique(groups):
        members = rng.permutation(indices[groups == g])
        cut = int(round(len(members) * fraction))
        first.append(members[:cut])
        second.append(members[cut:])
    return np.sort(np.concatenate(first)), np.sort(np.concatenate(second))


def range_summary(covered: np.ndarray, widths: np.ndarray,
                  groups: dict[str, tuple[np.ndarray, tuple[str, ...]]]) -> dict:
    """Coverage (with its 95% Wilson interval: a group of 200 test faces measures coverage only to about
    +-4 points) and mean width, overall and per named grouping ({name: (group index per face, names)})."""
    def cell(mask: np.ndarray) -> dict:
        if not mask.any():
            return {"n": 0, "coverage": None, "coverage_ci": None, "mean_width": None}
        low, high = wilson(int(covered[mask].sum()), int(mask.sum()))
        return {"n": int(mask.sum()), "coverage": float(covered[mask].mean()),
                "coverage_ci": [low, high], "mean_width": float(widths[mask].mean())}
    summary = cell(np.ones(len(covered), bool))
    for name, (group_of, names) in groups.items():
        summary[name] = {label: cell(group_of == i) for i, label in enumerate(names)}
    return summary
