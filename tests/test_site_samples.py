"""`python -m gen samples add`: checked, cropped, resized, appended; bad input refused with a clear reason."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gen.__main__ import main
from gen.config import SITE_SRC
from gen.site.samples import SampleError, add_samples, parse_box, parse_labels

LABELS = "race=indian,gender=female,age=31"


@pytest.fixture
def samples_dir(tmp_path: Path) -> Path:
    """A copy of the committed samples (manifest and photos), so the real ones are never modified."""
    folder = tmp_path / "samples"
    shutil.copytree(SITE_SRC / "samples", folder)
    return folder


def photo(path: Path, width: int, height: int, seed: int = 0) -> Path:
    """A smooth random colour picture (like a photo, distinct per seed)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(6, 6, 3), dtype=np.uint8)
    Image.fromarray(small).resize((width, height), Image.Resampling.BICUBIC).save(path, quality=95)
    return path


def test_add_crops_resizes_and_appends(samples_dir, tmp_path):
    before = json.loads((samples_dir / "manifest.json").read_text())["samples"]
    added = add_samples([photo(tmp_path / "wide.jpg", 640, 400)], parse_labels(LABELS), samples_dir=samples_dir)
    assert added == ["indian-female-31"]
    manifest = json.loads((samples_dir / "manifest.json").read_text())["samples"]
    assert manifest[:-1] == before
    assert manifest[-1]["labels"] == {"race": "Indian", "gender": "Female", "age": 31}
    with Image.open(samples_dir / "indian-female-31.jpg") as image:
        assert (image.format, image.size) == ("JPEG", (200, 200))


def test_box_is_used_and_ids_stay_unique(samples_dir, tmp_path):
    first = photo(tmp_path / "a.jpg", 600, 600, seed=1)
    second = photo(tmp_path / "b.jpg", 600, 600, seed=2)
    added = add_samples([first, second], parse_labels(LABELS), box=parse_box("100,50,300,300"),
                        samples_dir=samples_dir)
    assert added == ["indian-female-31", "indian-female-31-2"]
    with Image.open(first) as original, Image.open(samples_dir / "indian-female-31.jpg") as stored:
        expected = np.asarray(original.crop((100, 50, 400, 350)).resize((200, 200)), dtype=float)
        assert np.abs(np.asarray(stored, dtype=float) - expected).mean() < 4


@pytest.mark.parametrize("make, message", [
    (lambda d: (d / "notes.jpg").write_text("not a picture") and d / "notes.jpg", "not an image"),
    (lambda d: photo(d / "tiny.jpg", 80, 60), "at least 100x100"),
    (lambda d: d / "absent.jpg", "no such file"),
])
def test_bad_photos_are_refused_and_nothing_is_written(samples_dir, tmp_path, make, message):
    good = photo(tmp_path / "good.jpg", 300, 300, seed=3)
    before = (samples_dir / "manifest.json").read_text()
    with pytest.raises(SampleError, match=message):
        add_samples([good, make(tmp_path)], parse_labels(LABELS), samples_dir=samples_dir)
    assert (samples_dir / "manifest.json").read_text() == before
    assert not (samples_dir / "indian-female-31.jpg").exists()


def test_duplicates_are_refused_even_re_encoded(samples_dir, tmp_path):
    existing = samples_dir / "white-male-42.jpg"
    with Image.open(existing) as image:
        image.resize((400, 400)).save(tmp_path / "again.png")
    with pytest.raises(SampleError, match="same picture as white-male-42.jpg"):
        add_samples([tmp_path / "again.png"], parse_labels(LABELS), samples_dir=samples_dir)
    twice = photo(tmp_path / "twice.jpg", 300, 300, seed=4)
    with pytest.raises(SampleError, match="same picture as indian-female-31.jpg"):
        add_samples([twice, twice], parse_labels(LABELS), samples_dir=samples_dir)


@pytest.mark.parametrize("text, message", [
    ("race=Martian,gender=female,age=3", "race must be one of"),
    ("race=Black,gender=female", "exactly race"),
    ("race=Black,gender=female,age=old", "whole number"),
    ("race=Black,gender=female,age=200", "between 0 and"),
])
def test_bad_labels_are_refused(text, message):
    with pytest.raises(SampleError, match=message):
        parse_labels(text)


def test_box_outside_photo_is_refused(samples_dir, tmp_path):
    with pytest.raises(SampleError, match="not inside the 300x300 photo"):
        add_samples([photo(tmp_path / "p.jpg", 300, 300)], parse_labels(LABELS), box=parse_box("200,200,200,200"),
                    samples_dir=samples_dir)


def test_command_line_reports_errors_without_a_traceback(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("text")
    assert main(["samples", "add", str(tmp_path / "notes.txt"), "--label", LABELS]) == 2
    assert "not an image" in capsys.readouterr().err
