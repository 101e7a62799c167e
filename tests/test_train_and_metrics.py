"""Training end-to-end on a tiny generated set, and the metrics against hand-computed answers."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gen.models.metrics import classification_metrics, expected_calibration_error, within_one_bin
from gen.models.registry import MODEL_SPECS
from gen.stats import clopper_pearson


@pytest.mark.slow
def test_training_end_to_end_on_a_tiny_set(tiny_utkface: Path, tmp_path: Path, monkeypatch) -> None:
    from gen.data.prepared import prepare_data
    from gen.models import train
    from gen.models.evaluate import evaluate_all
    from gen.models.keras import keras

    monkeypatch.setattr("gen.data.images.CACHE_DIR", tmp_path / "cache")
    data = prepare_data(tiny_utkface, manifest=None)
    quick = train.Schedule(max_epochs=1, learning_rate=1e-3, patience=1, batch_size=32)
    recipe = train.Recipe(size=64, pretrain=quick, finetune=dict.fromkeys(MODEL_SPECS, quick))
    runs = tmp_path / "runs"
    pretrained = train.pretrain(data, recipe, runs)
    assert train.pretrain(data, recipe, runs) == pretrained  # kept: not trained twice
    out = tmp_path / "models"
    for name in ("race_biased", "age_weighted"):
        train.train_model(MODEL_SPECS[name], data, pretrained, out_dir=out, recipe=recipe, run_dir=runs)

    model = keras.models.load_model(out / "race_biased" / "model.keras")  # plain load, no custom objects
    metadata = json.loads((out / "race_biased" / "metadata.json").read_text())
    assert {"task", "labels", "input_size", "training_subset", "data_hash"} <= metadata.keys()
    assert metadata["labels"] == list(MODEL_SPECS["race_biased"].labels) and metadata["training_subset"] == "biased"
    raw = data.dataset.pixels[:4].astype(np.float32)  # raw 0-255 pixels: preprocessing is inside the model
    probabilities = model.predict(raw, verbose=0)
    assert probabilities.shape == (4, 5)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)

    results = evaluate_all(data, ["race_biased", "age_weighted"], models_dir=out)
    written = json.loads((out / "age_weighted" / "metrics.json").read_text())
    assert written["n"] == len(data.split["test"]) and "within_one_bin" in written
    assert "Model card" in (out / "race_biased" / "card.md").read_text()
    assert results["race_biased"]["targets"] == []


def test_age_label_distributions_integrate_a_gaussian_over_the_bins() -> None:
    from scipy.stats import norm

    from gen.models.train import age_distribution
    targets = age_distribution(np.array([25, 30, 95]), sigma_years=3.0)
    np.testing.assert_allclose(targets.sum(axis=1), 1.0, rtol=1e-6)
    # 25 years, sigma 3: bin 20-29 holds P(20 <= age < 30) = Phi(5/3) - Phi(-5/3)
    assert targets[0, 2] == pytest.approx(norm.cdf(5 / 3) - norm.cdf(-5 / 3), abs=1e-6)
    # 30 years: half the mass below 30, and bin 20-29 loses what falls under 20
    assert targets[1, 2] == pytest.approx(0.5 - norm.cdf(-10 / 3), abs=1e-6)
    assert targets[1, 3] == pytest.approx(norm.cdf(10 / 3) - 0.5, abs=1e-6)
    assert targets[2, 8] == pytest.approx(1.0, abs=1e-6)  # the last bin is open-ended


def test_ece_and_within_one_bin_on_hand_made_predictions() -> None:
    probabilities = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    y_true = np.array([0, 1, 0, 0])
    # bin 0.9: confidence 0.9, accuracy 0.5 -> 0.4; bin 0.6: confidence 0.6, accuracy 1.0 -> 0.4
    assert expected_calibration_error(probabilities, y_true) == pytest.approx(0.4)
    assert within_one_bin(np.array([0, 3, 5, 8]), np.array([1, 3, 7, 8])) == pytest.approx(0.75)


def test_classification_metrics_on_hand_made_predictions() -> None:
    y_true = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    y_pred = np.array([0, 0, 1, 1, 1, 2, 0, 2])
    probabilities = np.eye(3)[y_pred] * 0.7 + 0.1
    groups = {"race": np.array(["A", "A", "A", "A", "B", "B", "B", "B"])}
    metrics = classification_metrics(probabilities, y_true, ("x", "y", "z"), groups, ordinal=False)
    assert metrics["accuracy"] == pytest.approx(6 / 8)
    assert metrics["macro_recall"] == pytest.approx((2 / 3 + 1 + 2 / 3) / 3)
    assert metrics["confusion_matrix"] == [[2, 1, 0], [0, 2, 0], [1, 0, 2]]
    assert metrics["per_class"]["x"]["precision"] == pytest.approx(2 / 3)
    assert metrics["groups"]["race"]["A"]["accuracy"] == pytest.approx(3 / 4)
    assert metrics["groups"]["race"]["B"]["accuracy"] == pytest.approx(3 / 4)
    group = metrics["groups"]["race"]["A"]
    assert group["ci_low"] <= group["accuracy"] <= group["ci_high"] and group["n"] == 4
    assert metrics["gaps"]["race"]["difference"] == pytest.approx(0.0)
    assert metrics["ece"] == pytest.approx(abs(0.8 - 0.75))
    assert metrics["accuracy_ci"] == pytest.approx(list(clopper_pearson(6, 8)))
    assert metrics["per_class"]["y"]["recall_ci"] == pytest.approx([0.025 ** 0.5, 1.0])  # 2 of 2: exact bound
    assert (group["ci_low"], group["ci_high"]) == pytest.approx(clopper_pearson(3, 4))
