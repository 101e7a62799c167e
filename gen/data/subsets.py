"""Training subsets for the race experiment and class weights for the weighted age model.

`fair` and `biased` hold the same number of training faces and differ only in race composition:
equal shares versus the US Census shares used by the FairFace fair-vs-biased study.
"""
from __future__ import annotations

import numpy as np

from gen.config import CENSUS_SHARES, RACES, SEED

SUBSET_SHARES: dict[str, dict[str, float]] = {
    "fair": {race: 1 / len(RACES) for race in RACES},
    "biased": CENSUS_SHARES,
}


def subset_counts(available: dict[str, int], shares_by_subset=SUBSET_SHARES) -> dict[str, dict[str, int]]:
    """Faces per race per subset: the largest common total that every subset's shares allow."""
    total = min(
        int(available[race] / share)
        for shares in shares_by_subset.values() for race, share in shares.items() if share > 0
    )
    return {name: _largest_remainder(shares, total) for name, shares in shares_by_subset.items()}


def _largest_remainder(shares: dict[str, float], total: int) -> dict[str, int]:
    exact = {race: share * total for race, share in shares.items()}
    counts = {race: int(value) for race, value in exact.items()}
    by_remainder = sorted(exact, key=lambda race: exact[race] - counts[race], reverse=True)
    for race in by_remainder[: total - sum(counts.values())]:
        counts[race] += 1
    return counts


def draw_subsets(train_races: np.ndarray, seed: int = SEED) -> dict[str, np.ndarray]:
    """Positions into the training split for each subset ("all", "fair", "biased")."""
    rng = np.random.default_rng(seed)
    positions = {race: np.flatnonzero(train_races == i) for i, race in enumerate(RACES)}
    counts = subset_counts({race: len(p) for race, p in positions.items()})
    subsets = {"all": np.arange(len(train_races))}
    for name, per_race in counts.items():
        drawn = [rng.choice(positions[race], size=n, replace=False) for race, n in per_race.items()]
        subsets[name] = np.sort(np.concatenate(drawn))
    return subsets


def balanced_class_weights(labels: np.ndarray, n_classes: int) -> dict[int, float]:
    """n / (k * count_c): each class contributes equally to the loss (absent classes get 0)."""
    counts = np.bincount(labels, minlength=n_classes)
    return {c: (len(labels) / (n_classes * counts[c]) if counts[c] else 0.0) for c in range(n_classes)}


def dose_shares(dose: float) -> dict[str, float]:
    """Race shares `dose` of the way from equal shares (0) to the Census shares of the biased subset (1)."""
    if not 0 <= dose <= 1:
        raise ValueError(f"a dose runs from 0 (balanced) to 1 (Census shares), got {dose}")
    return {race: (1 - dose) * SUBSET_SHARES["fair"][race] + dose * SUBSET_SHARES["biased"][race] for race in RACES}


def draw_dose_subset(train_races: np.ndarray, dose: float, total: int, seed: int) -> np.ndarray:
    """Positions into the training split: `total` faces with the race shares of `dose`.

    Each seed fixes one random order of every race's faces and every dose takes the first faces of that
    order, so one seed's subsets are nested across doses: the curve moves the composition, not the draw."""
    rng = np.random.default_rng([SEED, seed])
    counts = _largest_remainder(dose_shares(dose), total)
    drawn = [rng.permutation(np.flatnonzero(train_races == i))[: counts[race]] for i, race in enumerate(RACES)]
    return np.sort(np.concatenate(drawn))
