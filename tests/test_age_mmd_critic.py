"""MMD-critic on toy mixtures where the right prototypes and criticisms are known."""
from __future__ import annotations

import numpy as np
import pytest

from gen.age.mmd_critic import median_bandwidth, rbf_kernel, select_criticisms, select_prototypes, witness


def mixture(seed: int, per_outlier_group: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Two big Gaussian clusters (150 points each) in 8-d, plus two small planted groups of outliers
    far from both and from each other. Labels: 0, 1 clusters; 2, 3 outlier groups."""
    rng = np.random.default_rng(seed)
    centres = np.zeros((4, 8))
    centres[1, 0] = 10.0
    centres[2, :2] = (5.0, 25.0)
    centres[3, [0, 2]] = (5.0, 25.0)
    labels = np.repeat([0, 1, 2, 3], [150, 150, per_outlier_group, per_outlier_group])
    return centres[labels] + rng.normal(0, 0.5, (len(labels), 8)), labels


@pytest.mark.parametrize("seed", range(5))
def test_one_prototype_per_cluster_and_the_planted_outliers_as_criticisms(seed: int):
    points, labels = mixture(seed)
    kernel = rbf_kernel(points, points, median_bandwidth(points))
    prototypes = select_prototypes(kernel, 2)
    assert sorted(labels[prototypes]) == [0, 1]
    criticisms = select_criticisms(kernel, prototypes, 2)
    assert sorted(labels[criticisms]) == [2, 3]


def test_absolute_witness_would_rank_core_points_first():
    """Why criticisms use w, not the paper's |w|: with few prototypes w is most negative in the core."""
    points, labels = mixture(0)
    kernel = rbf_kernel(points, points, median_bandwidth(points))
    w = witness(kernel, select_prototypes(kernel, 2))
    assert labels[np.argmax(np.abs(w))] in (0, 1)
    assert labels[np.argmax(w)] in (2, 3)


def test_regulariser_spreads_criticisms_over_distinct_oddities():
    """Without log det both picks come from one outlier group; with it, one from each."""
    points, labels = mixture(1)
    kernel = rbf_kernel(points, points, median_bandwidth(points))
    prototypes = select_prototypes(kernel, 2)
    plain = select_criticisms(kernel, prototypes, 2, regularise=False)
    spread = select_criticisms(kernel, prototypes, 2)
    assert len(set(labels[plain])) == 1
    assert sorted(labels[spread]) == [2, 3]


def test_each_greedy_prototype_is_the_single_addition_that_lowers_mmd_most():
    points, _ = mixture(2)
    kernel = rbf_kernel(points, points, median_bandwidth(points))

    def mmd2(chosen: list[int]) -> float:
        return kernel.mean() - 2 * kernel[:, chosen].mean() + kernel[np.ix_(chosen, chosen)].mean()

    prototypes = select_prototypes(kernel, 4)
    assert len(set(prototypes)) == 4
    for step in range(4):
        before = prototypes[:step]
        best = min((i for i in range(len(points)) if i not in before), key=lambda i: mmd2(before + [i]))
        assert mmd2(before + [prototypes[step]]) == pytest.approx(mmd2(before + [best]), abs=1e-12)
    assert mmd2(prototypes) < mmd2(prototypes[:1])


def test_witness_is_zero_when_the_prototypes_are_the_whole_group():
    points, _ = mixture(3)
    kernel = rbf_kernel(points, points, median_bandwidth(points))
    np.testing.assert_allclose(witness(kernel, list(range(len(points)))), 0.0, atol=1e-12)
    assert set(select_criticisms(kernel, [0, 1], 5)).isdisjoint({0, 1})
