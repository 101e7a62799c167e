"""`python -m gen samples add --align [--face N]`: an uncropped photo is aligned onto the template with the
page's own detector (in Chromium); no face or several faces get a clear message and nothing is written."""
from __future__ import annotations

import functools

import numpy as np
import pytest
from PIL import Image

from gen.__main__ import main
from gen.config import SITE_SRC
from gen.data.samples import read_samples
from gen.face.browser import CHROMIUM, FaceFinder
from gen.face.template import read_template
from gen.site.sample_faces import aligned_sample
from gen.site.samples import SampleError, add_samples, parse_labels
from tests.test_site_samples import LABELS, samples_dir  # noqa: F401  (fixture: a copy of the samples)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: `make browser` installs it")
SAMPLES = read_samples()


def _face(i: int) -> Image.Image:
    return Image.open(SITE_SRC / "samples" / SAMPLES[i]["file"]).convert("RGB")


def _frame(*faces: tuple[int, float, tuple[int, int]], size=(1000, 750)) -> Image.Image:
    """Samples pasted (index, scale, top-left) into a plain frame, turned a little so alignment has work to do."""
    frame = Image.new("RGB", size, (90, 110, 100))
    for index, scale, place in faces:
        face = _face(index).resize((round(200 * scale),) * 2, Image.Resampling.BICUBIC).convert("RGBA").rotate(
            12, resample=Image.Resampling.BICUBIC, expand=True)
        frame.paste(face, place, face)
    return frame


@pytest.fixture(scope="module")
def finder():
    with FaceFinder() as running:
        yield running


def test_an_uncropped_photo_becomes_the_aligned_crop(samples_dir, tmp_path, finder):  # noqa: F811
    path = tmp_path / "party.png"
    _frame((2, 1.6, (420, 180))).save(path)
    align = functools.partial(aligned_sample, finder=finder, template=read_template())
    # The face pasted (scaled, turned) into a photo gives the crop the original face gives: same alignment.
    from_photo = np.asarray(align(path), float)
    from_original = np.asarray(align(SITE_SRC / "samples" / SAMPLES[2]["file"]), float)
    assert from_photo.shape == (200, 200, 3) and np.abs(from_photo - from_original).mean() < 10
    added = add_samples([path], parse_labels(LABELS), samples_dir=samples_dir, align=align)
    with Image.open(samples_dir / f"{added[0]}.jpg") as stored:
        assert stored.size == (200, 200)
    with pytest.raises(SampleError, match=f"the same picture as {added[0]}.jpg"):
        add_samples([path], parse_labels(LABELS), samples_dir=samples_dir, align=align)


def test_several_faces_need_face_n_and_no_face_is_refused(samples_dir, tmp_path, finder, capsys):  # noqa: F811
    two = tmp_path / "two.png"
    _frame((5, 1.2, (80, 200)), (7, 1.9, (520, 150))).save(two)
    align = functools.partial(aligned_sample, finder=finder, template=read_template())
    before = (samples_dir / "manifest.json").read_text()
    with pytest.raises(SampleError, match=r"2 faces found \(largest first: 1: .*; 2: .*\); choose one with --face N"):
        add_samples([two], parse_labels(LABELS), samples_dir=samples_dir, align=align)
    with pytest.raises(SampleError, match=r"--face 3, but 2 face\(s\) found"):
        aligned_sample(two, finder, read_template(), face=3)
    small = np.asarray(aligned_sample(two, finder, read_template(), face=2), float)
    assert np.abs(small - np.asarray(_face(5), float)).mean() < 25  # face 2 is the smaller, on the left
    empty = tmp_path / "wall.png"
    Image.new("RGB", (640, 480), (200, 190, 170)).save(empty)
    with pytest.raises(SampleError, match="no face found; give the face's square with --box"):
        add_samples([empty], parse_labels(LABELS), samples_dir=samples_dir, align=align)
    assert (samples_dir / "manifest.json").read_text() == before  # nothing written
    assert main(["samples", "add", str(empty), "--align", "--box", "1,1,200,200", "--label", LABELS]) == 2
    assert "exclude each other" in capsys.readouterr().err
