"""The age steps end to end on a generated UTKFace-style folder and briefly trained tiny models:
the committed files have the promised shape, and the build step draws once and then reuses its cache."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from gen.config import IMAGE_SIZE, SITE_SRC
from gen.models.registry import MODEL_SPECS

pytestmark = pytest.mark.slow  # trains models or converts them to TF.js


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    from gen.age.prototypes import write_prototypes
    from gen.age.ranges import write_age_ranges
    from gen.data.prepared import prepare_data
    from gen.models.architecture import build_classifier
    from gen.models.keras import keras
    from gen.models.registry import PAIRED
    from tests.faces import write_face

    folder = tmp_path_factory.mktemp("utkface")
    rng = np.random.default_rng(0)
    for race in range(5):
        for gender in range(2):
            for age in (5, 15, 25, 35, 45, 55, 65, 75, 85):
                for copy in range(4):
                    write_face(folder / f"{age}_{gender}_{race}_2017{race}{gender}{age:03d}{copy}.jpg.chip.jpg", rng)
    data = prepare_data(folder, manifest=None)
    models_dir = tmp_path_factory.mktemp("models")
    train = data.split["train"]
    trained = {}
    for name in PAIRED:  # one briefly trained model per task, saved under both names of its pair
        spec = MODEL_SPECS[name]
        if spec.task not in trained:
            keras.utils.set_random_seed(0)
            trained[spec.task] = build_classifier(len(spec.labels), IMAGE_SIZE)
            trained[spec.task].compile(optimizer="adam", loss="sparse_categorical_crossentropy")
            trained[spec.task].fit(data.dataset.pixels[train].astype(np.float32),
                                   data.dataset.labels(spec.task)[train], epochs=1, batch_size=128, verbose=0)
            trained[spec.task].save(models_dir / f"{spec.task}.keras")
        (models_dir / name).mkdir()
        shutil.copy(models_dir / f"{spec.task}.keras", models_dir / name / "model.keras")
    write_age_ranges(data, models_dir=models_dir, samples_dir=SITE_SRC / "samples")
    write_prototypes(data, models_dir=models_dir)
    return models_dir, data


def test_age_files_have_the_promised_shape(pipeline):
    models_dir, _ = pipeline
    ranges = json.loads((models_dir / "analysis" / "age_ranges.json").read_text())
    calibration = json.loads((models_dir / "analysis" / "age_calibration.json").read_text())
    assert set(ranges["models"]) == set(calibration) == {"age_base", "age_weighted"}
    for name, report in ranges["models"].items():
        for rule in ("baseline_raw", "baseline_scaled", "conformal", "mondrian_race"):
            races = report[rule]["race"]
            assert set(races) == {"White", "Black", "Asian", "Indian", "Others"}
            faces = sum(group["n"] for group in races.values())
            assert faces == report[rule]["n"]  # the race groups partition the test faces
            # the overall figures are the face-weighted means of the groups' (an aggregation can go wrong)
            assert report[rule]["coverage"] == pytest.approx(
                sum(group["coverage"] * group["n"] for group in races.values()) / faces)
            assert report[rule]["mean_width"] == pytest.approx(
                sum(group["mean_width"] * group["n"] for group in races.values()) / faces)
        # split conformal prediction covers 1 - alpha of exchangeable faces whatever the model's quality
        assert abs(report["conformal"]["coverage"] - (1 - ranges["alpha"])) < 0.03
        assert calibration[name]["temperature"] > 0
        assert set(calibration[name]["conformal"]["by_race"]) == set(report["conformal"]["race"])
    assert len(ranges["samples"]) == len(json.loads((SITE_SRC / "samples" / "manifest.json").read_text())["samples"])


def test_prototype_files_name_real_thumbnails_and_grad_cams(pipeline):
    models_dir, _ = pipeline
    document = json.loads((models_dir / "analysis" / "prototypes.json").read_text())
    for face in document["faces"].values():
        assert (models_dir / "analysis" / face["thumbnail"]).stat().st_size < 8000
    for result in document["models"].values():
        for group in result["groups"].values():
            assert len(group["prototypes"]) == 3 and len(group["criticisms"]) == 3
            assert not {e["face"] for e in group["prototypes"]} & {e["face"] for e in group["criticisms"]}
            for entry in group["prototypes"] + group["criticisms"] + [group["simple_criticism"]]:
                assert entry["face"] in document["faces"]
                assert len(entry["cam"]) == 8 and all(len(row) == 8 and row.isdigit() for row in entry["cam"])


def test_build_step_draws_once_then_reuses_its_cache(pipeline, tmp_path: Path):
    from gen.site.age_figures import UNITS, make_figures

    models_dir, _ = pipeline
    docs, cache = tmp_path / "docs", tmp_path / "cache"
    assert sorted(make_figures(docs, models_dir, cache)) == sorted(unit.name for unit in UNITS)
    drawn = sorted(p.name for p in (docs / "generated" / "age").iterdir())
    assert "age_coverage.png" in drawn and "prototypes_race_fair.webp" in drawn
    assert make_figures(docs, models_dir, cache) == []


def test_absolute_witness_picks_sit_next_to_the_prototypes_in_a_blob():
    """The measure behind page 09's reason for ranking by w, not |w|: in one Gaussian group with three
    prototypes (like a race or age group), the largest-|w| faces are among those closest to a prototype,
    while the same witness values shuffled over the faces land in the middle."""
    from gen.age.mmd_critic import median_bandwidth, rbf_kernel, select_prototypes, witness
    from gen.age.prototypes import absolute_witness_closeness

    rng = np.random.default_rng(0)
    points = rng.normal(0, 1, (400, 16))
    kernel = rbf_kernel(points, points, median_bandwidth(points))
    prototypes = select_prototypes(kernel, 3)
    strength = witness(kernel, prototypes)
    assert absolute_witness_closeness(kernel, prototypes, strength, 3) < 0.25
    assert 0.35 < absolute_witness_closeness(kernel, prototypes, rng.permutation(strength), 50) < 0.65
