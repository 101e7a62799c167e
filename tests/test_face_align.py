"""The alignment rule (gen/face/align.py, the same as the page's face.js): known similarity transforms are
recovered from five points, and the warp puts marked points where the transform says (< 2 px)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from gen.config import MODELS_DIR
from gen.face.align import Similarity, aligned_crop, alignment, five_points, template_points
from gen.face.template import spread

TEMPLATE = json.loads((MODELS_DIR / "analysis" / "face_template.json").read_text())
CASES = [Similarity(0.5, 0.0, 300.0, 120.0),  # (a, b, tx, ty): photo -> crop, i.e. faces at several scales and turns
         Similarity(0.3 * np.cos(0.3), 0.3 * np.sin(0.3), -50.0, 40.0),
         Similarity(1.6 * np.cos(-0.35), 1.6 * np.sin(-0.35), 10.0, -90.0),
         Similarity(0.12 * np.cos(0.1), 0.12 * np.sin(0.1), -20.0, -10.0)]


def test_the_template_records_what_it_averages() -> None:
    assert TEMPLATE["faces"] >= 1000 and TEMPLATE["faces"] <= TEMPLATE["faces_tried"]
    median, std = np.array(TEMPLATE["median"]), np.array(TEMPLATE["std"])
    assert median.shape == (5, 2) and std.shape == (5, 2) and (std > 0).all()
    left, right, nose, mouth_left, mouth_right = median
    assert left[0] < nose[0] < right[0] and mouth_left[0] < mouth_right[0]  # image left to right
    assert max(left[1], right[1]) < nose[1] < min(mouth_left[1], mouth_right[1])  # eyes, nose, mouth downwards


def test_the_target_is_the_median_spread_by_the_scale_chosen_on_validation() -> None:
    search = TEMPLATE["scale_search"]
    assert search["split"] == "val" and search["faces"] >= 0.9 * search["faces_tried"] >= 400
    kept = {scale: np.mean(list(search["top1_kept"][f"{scale:g}"].values())) for scale in search["scales"]}
    assert search["chosen"] == max(kept, key=kept.get)
    assert np.allclose(TEMPLATE["target"], spread(np.array(TEMPLATE["median"]), search["chosen"]), atol=1e-5)


def test_spread_scales_about_the_centre() -> None:
    points = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 3.0]])
    moved = spread(points, 1.5)
    assert np.allclose(moved.mean(0), points.mean(0))
    assert np.allclose(moved - moved.mean(0), 1.5 * (points - points.mean(0)))


@pytest.mark.parametrize("known", CASES)
def test_a_known_similarity_is_recovered_from_five_points(known: Similarity) -> None:
    rng = np.random.default_rng(0)
    crop = template_points(TEMPLATE)
    photo = known.inverse().apply(crop)
    estimated = alignment(photo, TEMPLATE)
    assert np.allclose([estimated.a, estimated.b, estimated.tx, estimated.ty],
                       [known.a, known.b, known.tx, known.ty], atol=1e-9)
    noisy = photo + rng.normal(0, 0.5 / known.scale, photo.shape)  # half a crop pixel of landmark noise
    assert np.abs(alignment(noisy, TEMPLATE).apply(photo) - crop).max() < 2.0


def test_five_points_are_the_group_means() -> None:
    landmarks = np.arange(136, dtype=float).reshape(68, 2)
    points = five_points(landmarks, TEMPLATE["groups"])
    assert np.allclose(points[0], landmarks[36:42].mean(0)) and np.allclose(points[2], landmarks[30])


def _marked_crop(side: int) -> tuple[Image.Image, np.ndarray]:
    """A grey crop with a bright dot on each template point."""
    image = Image.new("RGB", (side, side), (60, 60, 60))
    draw = ImageDraw.Draw(image)
    points = template_points(TEMPLATE, side)
    for x, y in points:
        draw.ellipse((x - 4, y - 4, x + 4, y + 4), fill=(255, 255, 255))
    return image, points


def _dots(image: Image.Image, points: np.ndarray) -> np.ndarray:
    """The brightness centroid near each expected point."""
    grey = np.asarray(image.convert("L"), np.float64) - 60
    found = []
    for x, y in points:
        x0, y0 = int(round(x)) - 10, int(round(y)) - 10
        window = np.clip(grey[y0:y0 + 21, x0:x0 + 21], 0, None)
        ys, xs = np.mgrid[y0:y0 + 21, x0:x0 + 21] + 0.5  # pixel centres
        found.append([(window * xs).sum() / window.sum(), (window * ys).sum() / window.sum()])
    return np.array(found)


@pytest.mark.parametrize("scale, angle", [(2.0, 0.3), (0.8, -0.35), (4.5, 0.1)])
def test_the_warp_puts_each_point_where_the_transform_says(scale: float, angle: float) -> None:
    side = TEMPLATE["crop_side"]
    crop, points = _marked_crop(side)
    # The "photo": the crop turned by `angle`, scaled by `scale` and placed well inside a larger frame.
    placed = Similarity(scale * np.cos(angle), scale * np.sin(angle), 1.5 * side * scale, 0.9 * side * scale)
    known = placed.inverse()  # photo -> crop
    photo_points = placed.apply(points)
    size = (int(3.2 * side * scale), int(3 * side * scale))
    photo = crop.transform(size, Image.Transform.AFFINE, (known.a, -known.b, known.tx, known.b, known.a, known.ty),
                           Image.Resampling.BICUBIC, fillcolor=(60, 60, 60))
    assert np.abs(_dots(photo, photo_points) - photo_points).max() < 2.0 / known.scale + 1.0  # the photo is right
    aligned = aligned_crop(photo, alignment(photo_points, TEMPLATE), side)
    assert np.abs(_dots(aligned, points) - points).max() < 2.0
