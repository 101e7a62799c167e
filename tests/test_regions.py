"""Face regions on the landmark template: a partition of the crop that puts each landmark where it belongs."""
import json

import numpy as np
import pytest

from gen.analysis.regions import REGIONS_FILE, is_stale, region_shares
from gen.face.regions import REGIONS, region_masks
from gen.face.template import read_template

MEAN68 = np.array(read_template()["mean68"])


def region_at(masks: np.ndarray, x: float, y: float) -> str:
    size = masks.shape[1]
    return REGIONS[int(np.argmax(masks[:, int(y * size), int(x * size)]))]


@pytest.mark.parametrize("size", [64, 200])
def test_every_pixel_is_in_exactly_one_region_and_every_region_is_used(size):
    masks = region_masks(MEAN68, size)
    assert masks.shape == (len(REGIONS), size, size)
    assert (masks.sum(axis=0) == 1).all()
    assert masks.any(axis=(1, 2)).all()


def test_landmarks_fall_in_their_own_regions():
    masks = region_masks(MEAN68, 200)
    assert region_at(masks, *MEAN68[36:42].mean(axis=0)) == "eyes"
    assert region_at(masks, *MEAN68[42:48].mean(axis=0)) == "eyes"
    assert region_at(masks, *MEAN68[19]) == "brows"
    assert region_at(masks, *MEAN68[30]) == "nose"
    assert region_at(masks, *MEAN68[48]) == region_at(masks, *MEAN68[54]) == "mouth"
    assert region_at(masks, *(MEAN68[4] + MEAN68[48]) / 2) == "jaw and cheeks"
    assert region_at(masks, 0.5, 0.02) == "forehead and hair"
    assert region_at(masks, 0.02, 0.98) == region_at(masks, 0.98, 0.98) == "background"


def test_region_shares_count_positive_mass_only():
    masks = region_masks(MEAN68, 64)
    eyes = masks[REGIONS.index("eyes")].astype(float)
    maps = np.stack([eyes, np.ones((64, 64)), eyes - 2 * masks[REGIONS.index("mouth")], np.zeros((64, 64))])
    shares = region_shares(maps, masks)
    assert shares[0] == pytest.approx(np.eye(len(REGIONS))[0])
    assert shares[1] == pytest.approx(masks.mean(axis=(1, 2)))  # a uniform map: each region's area
    assert shares[2] == pytest.approx(np.eye(len(REGIONS))[0])  # negative evidence on the mouth is left out
    assert shares[3] == pytest.approx(np.zeros(len(REGIONS)))


def test_the_committed_regions_match_the_template_and_a_moved_template_makes_them_stale():
    template = read_template()
    measured = json.loads(REGIONS_FILE.read_text())
    assert not is_stale(measured, template, 64), "regions.json was measured with other masks: `python -m gen regions`"
    moved = {**template, "mean68": (MEAN68 + [0.0, 0.01]).tolist()}  # every landmark 1% of the side lower
    assert is_stale(measured, moved, 64)
