"""Display normalisation is explicit and honest: per-map and shared scales, signed maps, overlays."""
from __future__ import annotations

import numpy as np

from gen.site import display


def test_per_map_scale_fills_each_map_but_shared_keeps_their_ratio() -> None:
    strong = np.full((8, 8), 4.0, np.float32)
    weak = np.full((8, 8), 1.0, np.float32)
    per_map, divisors = display.normalise(np.stack([strong, weak]), scale="per_map")
    assert np.allclose(per_map, 1.0) and divisors.tolist() == [4.0, 1.0]
    shared, divisors = display.normalise(np.stack([strong, weak]), scale="shared")
    assert np.allclose(shared[0], 1.0) and np.allclose(shared[1], 0.25) and divisors.tolist() == [4.0, 4.0]


def test_raw_maps_are_not_changed_and_signs_survive_when_asked() -> None:
    raw = np.array([[[-2.0, 1.0], [0.0, 2.0]]], np.float32)
    kept = raw.copy()
    unsigned, _ = display.normalise(raw, scale=2.0)
    signed, _ = display.normalise(raw, scale=2.0, signed=True)
    np.testing.assert_array_equal(raw, kept)
    assert unsigned.min() == 0.0 and signed.min() == -1.0 and signed.max() == 1.0


def test_an_empty_map_stays_empty_instead_of_dividing_by_zero() -> None:
    normalised, divisors = display.normalise(np.zeros((1, 4, 4), np.float32))
    assert divisors.tolist() == [1.0] and not normalised.any()


def test_overlay_shows_the_face_where_there_is_no_evidence() -> None:
    picture = np.full((32, 32, 3), 90, np.uint8)
    heat = np.zeros((8, 8), np.float32)
    heat[:2, :2] = 1.0
    drawn = display.overlay(picture, heat)
    assert drawn.shape == (32, 32, 3) and drawn.dtype == np.uint8
    assert (drawn[-8:, -8:] == 90).all()  # far corner: no evidence, the face itself
    assert not (drawn[:4, :4] == 90).all()  # hot corner: coloured
    assert display.heatmap(heat).shape == (8, 8, 3)
