"""UTKFace and FairFace loaders on generated folders that contain every fault the real data has."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from gen.__main__ import main
from gen.data.dataset import load_dataset
from gen.data.fairface import load_fairface
from gen.data.utkface import DatasetError, parse_name, scan_folder
from tests.faces import write_face


def test_parse_name_reads_labels_and_rejects_malformed_names() -> None:
    assert parse_name("24_1_3_20170116220224657.jpg.chip.jpg") == (24, 1, 3)
    for bad in ("24_0_1_20170116220224657 .jpg.chip.jpg", "39_1_20170116174525125.jpg.chip.jpg",
                "55_0_0_20170116232725357jpg.chip.jpg", "24_2_1_2017.jpg.chip.jpg", "24_0_5_2017.jpg.chip.jpg"):
        assert parse_name(bad) is None, bad


def test_loader_skips_counts_and_collapses(tiny_utkface: Path, monkeypatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setattr("gen.data.images.CACHE_DIR", tmp_path / "cache")
    rng = np.random.default_rng(1)
    write_face(tiny_utkface / "39_1_20170116174525125.jpg.chip.jpg", rng)  # malformed: no race
    write_face(tiny_utkface / "24_0_1_20170116220224657 .jpg.chip.jpg", rng)  # malformed: stray space
    (tiny_utkface / "notes.txt").write_text("not an image")
    good = sorted(tiny_utkface.glob("25_0_0_*"))[0]
    truncated = tiny_utkface / "30_1_2_20170101000000001.jpg.chip.jpg"
    truncated.write_bytes(good.read_bytes()[:300])
    shutil.copy(good, tiny_utkface / "25_0_0_29990101000000000.jpg.chip.jpg")  # same labels: folded
    shutil.copy(good, tiny_utkface / "60_1_4_29990101000000000.jpg.chip.jpg")  # other labels: conflict

    dataset = load_dataset(tiny_utkface, size=32)

    problems = dataset.problems
    assert len(problems.malformed_names) == 2 and problems.other_files == ["notes.txt"]
    assert list(problems.unreadable) == [truncated.name]
    assert len(problems.duplicate_copies) == 2
    assert good.name in problems.label_conflicts  # every copy of a face with disagreeing labels is out
    names = {r.name for r in dataset.records}
    assert good.name not in names and truncated.name not in names
    assert len(names) == 5 * 2 * 9 * 4 - 1  # the conflicting face is gone
    assert len({r.content_hash for r in dataset.records}) == len(dataset.records)
    assert dataset.pixels.shape == (len(dataset.records), 32, 32, 3) and dataset.pixels.dtype == np.uint8
    err = capsys.readouterr().err
    assert "skipped 2 file(s) with malformed names" in err and "skipped 1 unreadable image(s)" in err


def test_decoded_pixels_are_cached_by_content(tiny_utkface: Path, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr("gen.data.images.CACHE_DIR", tmp_path / "cache")
    first = load_dataset(tiny_utkface, size=16)
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    np.testing.assert_array_equal(load_dataset(tiny_utkface, size=16).pixels, first.pixels)
    write_face(tiny_utkface / "33_0_0_20990101000000000.jpg.chip.jpg", np.random.default_rng(5))
    load_dataset(tiny_utkface, size=16)
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2


def test_missing_or_empty_folder_is_a_clear_error(tmp_path: Path, capsys) -> None:
    with pytest.raises(DatasetError, match="not found"):
        scan_folder(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="No UTKFace images"):
        scan_folder(tmp_path / "empty")
    assert main(["data-report", "--data-dir", str(tmp_path / "nope")]) == 2
    assert "UTKFace folder not found" in capsys.readouterr().err


def test_fairface_loader_reads_labels_and_lists_bad_rows(tmp_path: Path) -> None:
    images = tmp_path / "fairface"
    (images / "train").mkdir(parents=True)
    rng = np.random.default_rng(2)
    for i in range(3):
        write_face(images / "train" / f"{i}.jpg", rng)
    csv_path = tmp_path / "labels.csv"
    csv_path.write_text("file,age,gender,race,service_test\n"
                        "train/0.jpg,20-29,Female,East Asian,True\n"
                        "train/1.jpg,more than 70,Male,Middle Eastern,False\n"
                        "train/2.jpg,20-29,Male,Martian,False\n"
                        "train/9.jpg,3-9,Male,White,False\n")
    loaded = load_fairface(csv_path, images)
    assert [(r.race, r.utk_race, r.gender_index) for r in loaded.records] == [
        ("East Asian", 2, 1), ("Middle Eastern", 4, 0)]
    assert [line for line, _ in loaded.bad_rows] == [4, 5]
    assert "Martian" in loaded.bad_rows[0][1] and "not found" in loaded.bad_rows[1][1]
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("file,age\nx.jpg,3-9\n")
    with pytest.raises(DatasetError, match="lacks column"):
        load_fairface(bad_csv, images)
