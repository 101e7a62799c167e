"""MMD-critic (Kim, Khanna & Koyejo, NeurIPS 2016): prototypes that summarise a group, criticisms it misses.

Prototypes are chosen greedily to make the maximum mean discrepancy (MMD) between the group and the
prototypes small: they are the few faces whose kernel mean embedding best matches the whole group's.
Criticisms are where that match fails: faces with the largest witness

    w(x) = mean_i k(x, x_i) - mean_j k(x, z_j),

which compares the group's density around x (the x_i) with the prototypes' (the z_j). A log-determinant
regulariser log det K[C, C] keeps the criticisms apart, so they are not several copies of one oddity.

One change from the paper, which ranks by |w|: we rank by w itself. With the few prototypes a page can
show, the prototypes put all their mass in the dense core, so w is negative across the core and |w|
ranks core faces, near-copies of the prototypes, first (tests/test_age_mmd_critic.py shows it on a toy
mixture; on the models' groups the top-|w| faces sit among the ~10% closest to a prototype, recorded as
"absolute_witness_closeness" in models/analysis/prototypes.json).
Positive w is the paper's meaning of a criticism: faces the group has and the prototypes
do not represent.

Works on any kernel matrix; `rbf_kernel` with `median_bandwidth` is the paper's default, and it has no
free scale parameter to tune per group.
"""
from __future__ import annotations

import numpy as np


def median_bandwidth(points: np.ndarray) -> float:
    """Median Euclidean distance between distinct points: the scale where the RBF kernel is neither
    ~1 everywhere (too wide) nor ~0 off the diagonal (too narrow)."""
    squared = _squared_distances(points, points)
    upper = squared[np.triu_indices(len(points), k=1)]
    return float(np.sqrt(np.median(upper))) if len(upper) else 1.0


def rbf_kernel(a: np.ndarray, b: np.ndarray, bandwidth: float) -> np.ndarray:
    """k(x, y) = exp(-|x - y|^2 / (2 bandwidth^2))."""
    return np.exp(-_squared_distances(a, b) / (2.0 * bandwidth ** 2))


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(squared, 0.0)


def select_prototypes(kernel: np.ndarray, m: int) -> list[int]:
    """Greedily grow the prototype set S maximising

        J(S) = 2/(n|S|) sum_{i, j in S} k(x_i, z_j) - 1/|S|^2 sum_{j, l in S} k(z_j, z_l),

    which is the constant mean_{i,i'} k(x_i, x_i') minus MMD^2(group, S): each step adds the face that
    lowers MMD the most. Running sums keep each step O(n).
    """
    n = len(kernel)
    data_mean = kernel.mean(axis=0)  # mean_i k(x_i, c) for every candidate c
    diagonal = np.diag(kernel).copy()
    to_chosen = np.zeros(n)  # sum_{j in S} k(z_j, c)
    chosen: list[int] = []
    data_term = within = 0.0
    for _ in range(min(m, n)):
        size = len(chosen) + 1
        objective = 2.0 * (data_term + data_mean) / size - (within + 2.0 * to_chosen + diagonal) / size ** 2
        objective[chosen] = -np.inf
        best = int(np.argmax(objective))
        data_term += data_mean[best]
        within += 2.0 * to_chosen[best] + diagonal[best]
        to_chosen += kernel[best]
        chosen.append(best)
    return chosen


def witness(kernel: np.ndarray, prototypes: list[int]) -> np.ndarray:
    """w(x_l) for every point: positive where the group is denser than the prototypes (under-covered),
    negative where the prototypes over-represent it."""
    return kernel.mean(axis=1) - kernel[:, prototypes].mean(axis=1)


def select_criticisms(kernel: np.ndarray, prototypes: list[int], c: int, regularise: bool = True) -> list[int]:
    """Greedily grow the criticism set C (never a prototype) maximising

        L(C) = sum_{l in C} w(x_l) + log det K[C, C].

    The gain of adding x is w(x) + log of the Schur complement k(x, x) - k_xC K_CC^-1 k_Cx, the part
    of x's kernel feature not explained by the criticisms already chosen (1 for the first pick of an
    RBF kernel, towards 0 for a near-copy of one already chosen).
    """
    strength = witness(kernel, prototypes)
    blocked = np.zeros(len(kernel), bool)
    blocked[prototypes] = True
    chosen: list[int] = []
    for _ in range(min(c, int((~blocked).sum()))):
        gain = strength.copy()
        if regularise and chosen:
            solved = np.linalg.solve(kernel[np.ix_(chosen, chosen)], kernel[chosen])
            residual = np.diag(kernel) - np.einsum("cn,cn->n", kernel[chosen], solved)
            with np.errstate(divide="ignore"):
                gain += np.log(np.maximum(residual, 0.0))
        gain[blocked] = -np.inf
        best = int(np.argmax(gain))
        blocked[best] = True
        chosen.append(best)
    return chosen
