"""Made-up but schema-true model outputs, for testing the site without trained models or the dataset."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gen.config import AGE_BINS, CENSUS_SHARES, GENDERS, RACES, SEED
from gen.models.registry import MODEL_SPECS


def _group(rng: np.random.Generator, n: int) -> dict:
    accuracy = float(rng.uniform(0.5, 0.95))
    return {"accuracy": accuracy, "ci_low": accuracy - 0.04, "ci_high": min(accuracy + 0.04, 1.0), "n": n}


def _gap(groups: dict) -> dict:
    best = max(groups, key=lambda g: groups[g]["accuracy"])
    worst = min(groups, key=lambda g: groups[g]["accuracy"])
    high, low = groups[best]["accuracy"], groups[worst]["accuracy"]
    return {"best": best, "worst": worst, "best_accuracy": high, "worst_accuracy": low,
            "difference": high - low, "ratio": low / high}


def fake_metrics(name: str, rng: np.random.Generator) -> dict:
    spec = MODEL_SPECS[name]
    labels = list(spec.labels)
    matrix = rng.integers(0, 20, size=(len(labels), len(labels))) + np.eye(len(labels), dtype=int) * 200
    groups = {"race": {r: _group(rng, 300) for r in RACES}, "gender": {g: _group(rng, 900) for g in GENDERS},
              "race_gender": {f"{r} · {g}": _group(rng, 150) for r in RACES for g in GENDERS}}
    metrics = {"model": name, "task": spec.task, "labels": labels, "split": "test", "n": int(matrix.sum()),
               "accuracy": 0.8, "macro_recall": 0.75, "ece": 0.04,
               "per_class": {label: {"precision": 0.8, "recall": 0.7, "f1": 0.75, "support": 100} for label in labels},
               "confusion_matrix": matrix.tolist(), "groups": groups,
               "gaps": {key: _gap(value) for key, value in groups.items()}, "accuracy_ci": [0.78, 0.82],
               "targets": [{"metric": "accuracy", "minimum": 0.5, "value": 0.8, "met": True}]}
    if spec.task == "age":
        metrics["within_one_bin"] = 0.9
    return metrics


def fake_history(rng: np.random.Generator) -> dict:
    def run(keys: tuple[str, ...], epochs: int) -> dict:
        curve = np.linspace(1.5, 0.6, epochs)
        return {"history": {k: (curve + rng.uniform(0, 0.1, epochs)).tolist() for k in keys},
                "epochs_run": epochs, "best_epoch": epochs - 2, "seconds": 60.0}
    return {"pretrain": run(("loss", "val_loss", "age_accuracy", "gender_accuracy"), 8),
            "finetune": run(("loss", "val_loss", "accuracy", "val_accuracy"), 6)}


def fake_metadata(name: str) -> dict:
    spec = MODEL_SPECS[name]
    return {"name": name, "task": spec.task, "labels": list(spec.labels), "input_size": 64,
            "training_subset": spec.subset, "training_faces": 4770, "parameters": 154000,
            "balanced_class_weights": spec.balanced_class_weights, "seed": SEED}


def fake_data_report() -> dict:
    def counts(n: int) -> dict:
        return {"n": n, "race": dict.fromkeys(RACES, n // 5), "gender": dict.fromkeys(GENDERS, n // 2),
                "age": dict.fromkeys(AGE_BINS, n // 9)}
    biased = {r: int(round(share * 1000)) for r, share in CENSUS_SHARES.items()}
    return {"folder_files": 1010, "malformed_names": ["bad.jpg"], "unreadable": {}, "duplicate_copies": 3,
            "label_conflicts": 2, "faces": 1000, "splits": {s: counts(n) for s, n in
                                                            (("train", 700), ("val", 150), ("test", 150))},
            "subsets": {"all": counts(700), "fair": {"n": 1000, "race": dict.fromkeys(RACES, 200)},
                        "biased": {"n": 1000, "race": biased}},
            "census_shares": CENSUS_SHARES, "split_fractions": {"train": 0.7, "val": 0.15, "test": 0.15},
            "seed": SEED}


def write_fixture_models(models_dir: Path) -> Path:
    """models/<name>/{metadata,metrics,history}.json + card.md and models/analysis/data_report.json."""
    rng = np.random.default_rng(0)
    for name in MODEL_SPECS:
        folder = Path(models_dir) / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "metadata.json").write_text(json.dumps(fake_metadata(name)))
        (folder / "metrics.json").write_text(json.dumps(fake_metrics(name, rng)))
        (folder / "history.json").write_text(json.dumps(fake_history(rng)))
        (folder / "card.md").write_text(f"# Model card: `{name}`\n\n## Model details\nmade up for a test\n")
    (Path(models_dir) / "analysis").mkdir(parents=True, exist_ok=True)
    (Path(models_dir) / "analysis" / "data_report.json").write_text(json.dumps(fake_data_report()))
    return Path(models_dir)
