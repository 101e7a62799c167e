"""Intervals and bins, one rule each, for every number the site states.

- A proportion (accuracy, recall, coverage) gets an exact Clopper-Pearson interval: it stays honest at 0
  or n successes, where a bootstrap percentile interval collapses to a point ("0.0-0.0%").
- Differences, ratios and areas get a bootstrap interval; a paired bootstrap when the two numbers come
  from the same faces, so what the faces share cancels.
- Confidence bins are equal-width and half-open, [a, b), the last one closed at 1.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import beta, norm

LEVEL = 0.95  # every interval on the site is a 95% interval
N_BOOTSTRAP = 1000


def clopper_pearson(successes: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Exact (conservative) interval for a binomial proportion from its beta-distribution bounds."""
    if n <= 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n > 0, got {successes} of {n}")
    tail = (1 - level) / 2
    low = 0.0 if successes == 0 else float(beta.ppf(tail, successes, n - successes + 1))
    high = 1.0 if successes == n else float(beta.ppf(1 - tail, successes + 1, n - successes))
    return low, high


def wilson(successes: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (narrower than Clopper-Pearson, nearly exact)."""
    if n <= 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n > 0, got {successes} of {n}")
    z = float(norm.ppf(1 - (1 - level) / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, float(centre - half)), min(1.0, float(centre + half))


def proportion(hits: np.ndarray, level: float = LEVEL) -> dict:
    """A proportion of boolean outcomes with its Clopper-Pearson interval: {value, low, high, n}."""
    hits = np.asarray(hits, bool)
    low, high = clopper_pearson(int(hits.sum()), len(hits), level)
    return {"value": float(hits.mean()), "low": low, "high": high, "n": int(len(hits))}


def paired_bootstrap(first: np.ndarray, second: np.ndarray, statistic: Callable[[np.ndarray], float] = np.mean,
                     n_boot: int = N_BOOTSTRAP, level: float = LEVEL, seed: int = 0) -> dict:
    """statistic(first) - statistic(second) over the same items (faces), with a paired percentile interval.

    `excludes_zero` says whether the data can tell the two apart at this level."""
    first, second = np.asarray(first, float), np.asarray(second, float)
    if first.shape[0] != second.shape[0] or first.shape[0] == 0:
        raise ValueError(f"paired values need the same, non-zero length: {first.shape[0]} and {second.shape[0]}")
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(first), size=(n_boot, len(first)))
    differences = np.array([statistic(first[r]) - statistic(second[r]) for r in rows])
    tail = (1 - level) / 2
    low, high = (float(v) for v in np.quantile(differences, [tail, 1 - tail]))
    return {"difference": float(statistic(first) - statistic(second)), "low": low, "high": high,
            "excludes_zero": bool(low > 0 or high < 0), "n": int(len(first))}


def bootstrap(values: np.ndarray, statistic: Callable[[np.ndarray], float] = np.mean, n_boot: int = N_BOOTSTRAP,
              level: float = LEVEL, seed: int = 0) -> dict:
    """statistic(values) with a percentile bootstrap interval over the items (for means of shares, areas)."""
    values = np.asarray(values, float)
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(values), size=(n_boot, len(values)))
    draws = np.array([statistic(values[r]) for r in rows])
    tail = (1 - level) / 2
    low, high = (float(v) for v in np.quantile(draws, [tail, 1 - tail]))
    return {"value": float(statistic(values)), "low": low, "high": high, "n": int(len(values))}


def confidence_bins(confidence: np.ndarray, n_bins: int) -> np.ndarray:
    """The bin of each confidence in n equal-width bins [a, b); 1.0 falls in the last bin."""
    return np.minimum((np.asarray(confidence) * n_bins).astype(int), n_bins - 1)
