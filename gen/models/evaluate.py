"""`python -m gen evaluate`: test-split metrics, target checks and a model card for every model.

The test split is used here and nowhere else: nothing in training or model selection reads it.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from gen.config import GENDERS, MODELS_DIR, RACES
from gen.data.prepared import PreparedData
from gen.models.keras import load_trained
from gen.models.metrics import classification_metrics
from gen.models.predict import predict
from gen.models.registry import MODEL_SPECS, RACE_PAIR, ModelSpec, model_digests


def group_columns(data: PreparedData, indices: np.ndarray) -> dict[str, np.ndarray]:
    """Race, gender and race x gender names for each face, for group metrics."""
    race = np.array([RACES[r] for r in data.dataset.labels("race")[indices]])
    gender = np.array([GENDERS[g] for g in data.dataset.labels("gender")[indices]])
    return {"race": race, "gender": gender, "race_gender": np.char.add(np.char.add(race, " · "), gender)}


def check_targets(name: str, metrics: dict) -> list[dict]:
    values = dict(metrics, min_class_recall=min(c["recall"] for c in metrics["per_class"].values()))
    return [{"metric": metric, "minimum": minimum, "value": values[metric], "met": values[metric] >= minimum}
            for metric, minimum in MODEL_SPECS[name].goals]


def evaluate_model(spec: ModelSpec, data: PreparedData, models_dir: Path = MODELS_DIR) -> dict:
    test = data.split["test"]
    probabilities = predict(load_trained(spec.name, models_dir), data.dataset.pixels[test])
    metrics = classification_metrics(probabilities, data.dataset.labels(spec.task)[test], spec.labels,
                                     group_columns(data, test), ordinal=spec.task == "age")
    metrics = {"model": spec.name, "task": spec.task, "labels": list(spec.labels), "split": "test",
               "data_hash": data.dataset.fingerprint, "model_sha256": model_digests([spec.name], models_dir)[spec.name],
               **metrics}
    metrics["targets"] = check_targets(spec.name, metrics)
    return metrics


def compare_race_models(fair: dict, biased: dict) -> dict:
    """Per-race recall of the biased model minus the fair one (negative: the biased model is worse)."""
    return {race: biased["per_class"][race]["recall"] - fair["per_class"][race]["recall"] for race in RACES}


def evaluate_all(data: PreparedData, names: list[str] | None = None, models_dir: Path = MODELS_DIR) -> dict:
    results = {}
    for name in tqdm(names or list(MODEL_SPECS), desc="evaluating", unit="model"):
        results[name] = evaluate_model(MODEL_SPECS[name], data, models_dir)
        print(summary_line(results[name]), flush=True)
    fair, biased = RACE_PAIR
    if {fair, biased} <= results.keys():
        results[biased]["recall_minus_fair"] = compare_race_models(results[fair], results[biased])
    for name, metrics in results.items():
        model_dir = models_dir / name
        (model_dir / "metrics.json").write_text(json.dumps(metrics, indent=1))
        metadata = json.loads((model_dir / "metadata.json").read_text())
        (model_dir / "card.md").write_text(model_card(metadata, metrics))
    return results


def summary_line(metrics: dict) -> str:
    worst = metrics["gaps"]["race"]
    text = (f"{metrics['model']}: accuracy {metrics['accuracy']:.3f}, macro recall {metrics['macro_recall']:.3f}, "
            f"ECE {metrics['ece']:.3f}, race accuracy {worst['worst']} {worst['worst_accuracy']:.3f} .. "
            f"{worst['best']} {worst['best_accuracy']:.3f}")
    if "within_one_bin" in metrics:
        text += f", within one bin {metrics['within_one_bin']:.3f}"
    return text


def model_card(metadata: dict, metrics: dict) -> str:
    """A short model card (Mitchell et al. 2019 headings) written from the measured numbers."""
    per_class = "\n".join(f"| {label} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |"
                          for label, c in metrics["per_class"].items())
    per_race = "\n".join(f"| {group} | {g['accuracy']:.3f} | {g['ci_low']:.3f}–{g['ci_high']:.3f} | {g['n']} |"
                         for group, g in metrics["groups"]["race"].items())
    targets = "\n".join(f"- {t['metric']} ≥ {t['minimum']}: measured {t['value']:.3f} — "
                        f"{'met' if t['met'] else 'NOT met'}" for t in metrics["targets"]) or "- none set"
    gap = metrics["gaps"]["race"]
    extra = f"\n- Within one age bin: {metrics['within_one_bin']:.3f}" if "within_one_bin" in metrics else ""
    return f"""# Model card: `{metadata['name']}`

## Model details
- Task: predict **{metadata['task']}** ({', '.join(metadata['labels'])}) from a {metadata['input_size']}×{metadata['input_size']} aligned face crop.
- Architecture: small residual separable CNN (`gen/architecture.py`), {metadata['parameters']:,} parameters;
  trunk pretrained on gender and age (no race labels) over the training split, then fine-tuned.
- Input: {metadata['input']}. Output: {metadata['output']}.
- Trained with `python -m gen train --only {metadata['name']}`; seed {metadata['seed']}; data hash `{metadata['data_hash']}`.

## Intended use
Illustration and teaching: showing what a classifier trained on a given data composition attends to.
Not for decisions about people, identification, or inferring anyone's self-identified race, gender or age.

## Training data
UTKFace (Zhang, Song & Qi, CVPR 2017), research-only licence. Training subset `{metadata['training_subset']}`:
{metadata['training_faces']:,} faces ({', '.join(f'{k} {v:,}' for k, v in metadata['training_faces_per_class'].items())}).
Labels are UTKFace's annotations, not self-identification; race uses five coarse groups including "Others".

## Evaluation (test split, {metrics['n']:,} faces never used for training or selection)
- Accuracy {metrics['accuracy']:.3f} (95% CI {metrics['accuracy_ci'][0]:.3f}–{metrics['accuracy_ci'][1]:.3f}), macro recall {metrics['macro_recall']:.3f}, expected calibration error {metrics['ece']:.3f}{extra}
- Best vs worst race: {gap['best']} {gap['best_accuracy']:.3f} vs {gap['worst']} {gap['worst_accuracy']:.3f} (difference {gap['difference']:.3f}, ratio {gap['ratio']:.3f})

| class | precision | recall | F1 | support |
| --- | --- | --- | --- | --- |
{per_class}

| race | accuracy | 95% CI | n |
| --- | --- | --- | --- |
{per_race}

## Targets
{targets}

## Caveats
UTKFace faces are frontal, aligned web photos; accuracy on other photos (pose, lighting, cameras) will be lower.
Intervals are exact (Clopper-Pearson) 95% intervals over the test faces; small groups have wide intervals.
"""
