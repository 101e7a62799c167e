"""The explanation quality measures on models whose right answers are known."""
from __future__ import annotations

import numpy as np
import pytest

from gen.analysis import explanations as quality
from gen.explain.base import Explanation, Method
from gen.explain.gradcam import METHOD as GRAD_CAM
from gen.explain.gradcam import grad_cam
from tests.explain_helpers import planted_cam_model, planted_faces, red_square, trained_classifier


def test_ranks_put_the_largest_value_first_and_break_ties_at_random() -> None:
    maps = np.zeros((2, 4, 4), np.float32)
    maps[:, 1, 2] = 1.0
    ranks = quality._ranks(maps, np.random.default_rng(0))
    assert (ranks[:, 1, 2] == 0).all() and sorted(ranks[0].ravel()) == list(range(16))
    assert not np.array_equal(ranks[0], ranks[1])  # equal zeros ordered differently per map


def test_deletion_and_insertion_reward_a_faithful_map() -> None:
    model = planted_cam_model()
    images = np.concatenate([red_square(slice(r, r + 8), slice(c, c + 8)) for r, c in ((0, 0), (8, 16), (20, 4))])
    targets = np.ones(3, int)
    faithful = quality.deletion_insertion(model, images, targets, grad_cam(model, images, targets).maps)
    random = quality.deletion_insertion(model, images, targets, np.random.default_rng(1).random(images.shape[:3]))
    assert faithful["deletion_auc"].mean() < random["deletion_auc"].mean()
    assert faithful["insertion_auc"].mean() > random["insertion_auc"].mean()
    assert faithful["deletion_curve"][0] == pytest.approx(faithful["insertion_curve"][-1])  # both: the full image


@pytest.fixture(scope="module")
def tiny():
    return trained_classifier()


def test_randomisation_flags_a_map_that_ignores_the_model(tiny, monkeypatch) -> None:
    """Grad-CAM changes when the weights are randomised; a map of the image's own brightness cannot."""
    def brightness(model, images, targets):
        return Explanation(maps=images.mean(axis=-1), targets=targets)

    images, labels = planted_faces(4, seed=8)
    methods = {"gradcam": GRAD_CAM, "brightness": Method("brightness", "Brightness", brightness, sources=())}
    result = quality.sanity(tiny, images, labels, methods=methods)
    assert result["steps"] == [group[0].split("_")[0] for group in quality.cascade_groups(tiny)]
    assert result["steps"][0] == "probabilities" and result["steps"][-1] == "stem"
    assert result["methods"]["brightness"]["flagged"]
    assert not result["methods"]["gradcam"]["flagged"]


def test_completeness_chooses_the_fewest_steps_meeting_the_goal(tiny, monkeypatch) -> None:
    monkeypatch.setattr(quality, "COMPLETENESS_STEPS", (4, 64))
    images, labels = planted_faces(4, seed=9)
    result = quality.completeness(tiny, images, labels)["blurred/trapezoid"]
    medians = {row["steps"]: row["median"] for row in result["by_steps"]}
    assert medians[64] < medians[4]
    assert result["chosen_steps"] == next((s for s in (4, 64) if medians[s] <= 0.01), None)
