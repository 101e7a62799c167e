"""The age-range analysis: calibrate both age models on validation faces, report on the test split.

Writes two committed files:
- models/analysis/age_ranges.json: top-3 and the baseline "sum to 90%" rule against temperature scaling
  plus conformal ranges (marginal and per race), coverage and width overall, per race, gender and age bin,
  and the curated sample faces' ranges;
- models/analysis/age_calibration.json: what the browser needs to draw the same ranges.

The validation faces were never trained on, but they chose each model's best epoch (early stopping).
That selection looked at loss on all of them, not at any conformal score, so it does not favour the
threshold; the test split stays untouched until the report.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gen.age.calibration import (
    PROBABILITY_FLOOR,
    RULE,
    calibration_split,
    conformal_threshold,
    conformity_scores,
    contiguous_ranges,
    coverage_spread,
    fit_temperature,
    group_thresholds,
    mass_rule_sets,
    negative_log_likelihood,
    range_summary,
    temperature_scale,
    top_k,
)
from gen.age.outputs import held_out_outputs
from gen.age.paths import CALIBRATION, RANGES, analysis_dir
from gen.config import AGE_BIN_EDGES, AGE_BINS, GENDERS, MODELS_DIR, RACES, SEED, age_to_bin
from gen.data.prepared import PreparedData
from gen.data.samples import SAMPLES_DIR, read_samples, sample_pixels
from gen.models.keras import keras, load_trained
from gen.models.metrics import expected_calibration_error
from gen.models.predict import predict
from gen.models.registry import MODEL_SPECS, model_digests
from gen.stats import confidence_bins

ALPHA = 0.10  # ranges should miss the true bin at most 10% of the time
# Share of the validation faces that fits the temperature; the rest sets the conformal thresholds. One
# scalar is stable from a quarter (its spread over random quarters of age_base's validation faces was
# 0.03), while the per-race thresholds need every face they can get (Others has about 200).
TEMPERATURE_FRACTION = 0.25
BASELINE_LEVEL = 0.90
GOAL = {"coverage_low": 0.88, "coverage_high": 0.94, "max_mean_width": 2.3}
AGE_MODELS = tuple(name for name, spec in MODEL_SPECS.items() if spec.task == "age")
RELIABILITY_BINS = 10


@dataclass(frozen=True)
class AgeCalibration:
    """One age model's calibration: a temperature and conformal thresholds (shared, and per race)."""

    temperature: float
    threshold: float
    race_thresholds: dict[int, float]
    n_temperature: int
    n_conformal: int
    race_counts: dict[int, int]  # conformal calibration faces per race

    def ranges(self, probabilities: np.ndarray, races: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Contiguous ranges for raw model probabilities; per-race thresholds when `races` is given."""
        scaled = temperature_scale(probabilities, self.temperature)
        threshold = self.threshold if races is None else np.array([self.race_thresholds[r] for r in races])
        return contiguous_ranges(scaled, threshold)

    def export(self) -> dict:
        return {"temperature": self.temperature,
                "conformal": {"alpha": ALPHA, "threshold": self.threshold,
                              "by_race": {RACES[r]: t for r, t in sorted(self.race_thresholds.items())},
                              "probability_floor": PROBABILITY_FLOOR, "rule": RULE}}


def calibrate(probabilities: np.ndarray, labels: np.ndarray, races: np.ndarray, alpha: float = ALPHA,
              seed: int = SEED) -> AgeCalibration:
    """Temperature on one half of the validation faces, conformal thresholds on the other half."""
    fit_rows, conformal_rows = calibration_split(np.arange(len(labels)), races, seed, TEMPERATURE_FRACTION)
    temperature = fit_temperature(probabilities[fit_rows], labels[fit_rows])
    scaled = temperature_scale(probabilities[conformal_rows], temperature)
    scores = conformity_scores(scaled, labels[conformal_rows])
    counts = dict(zip(*np.unique(races[conformal_rows], return_counts=True)))
    return AgeCalibration(temperature, conformal_threshold(scores, alpha),
                          group_thresholds(scores, races[conformal_rows], alpha), len(fit_rows), len(conformal_rows),
                          {int(r): int(n) for r, n in counts.items()})


def reliability(probabilities: np.ndarray, labels: np.ndarray, n_bins: int = RELIABILITY_BINS) -> list[dict]:
    """Top-label confidence vs accuracy in equal-width bins, for the reliability diagram."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    bin_of = confidence_bins(confidence, n_bins)
    return [{"confidence": float(confidence[bin_of == b].mean()), "accuracy": float(correct[bin_of == b].mean()),
             "n": int((bin_of == b).sum())} for b in range(n_bins) if (bin_of == b).any()]


def _interval_report(low: np.ndarray, high: np.ndarray, labels: np.ndarray, groups: dict) -> dict:
    return range_summary((low <= labels) & (labels <= high), high - low + 1, groups)


def _mass_rule_report(probabilities: np.ndarray, labels: np.ndarray, groups: dict) -> dict:
    mask = mass_rule_sets(probabilities, BASELINE_LEVEL)
    summary = range_summary(mask[np.arange(len(labels)), labels], mask.sum(axis=1), groups)
    first, last = mask.argmax(axis=1), mask.shape[1] - 1 - mask[:, ::-1].argmax(axis=1)
    summary["contiguous_share"] = float(np.mean(mask.sum(axis=1) == last - first + 1))
    return summary


def _goal(report: dict) -> dict:
    by_race = [cell["coverage"] for cell in report["race"].values() if cell["coverage"] is not None]
    return {"every_race_in_band": bool(all(GOAL["coverage_low"] <= c <= GOAL["coverage_high"] for c in by_race)),
            "lowest_race_coverage": min(by_race), "highest_race_coverage": max(by_race),
            "mean_width_ok": bool(report["mean_width"] <= GOAL["max_mean_width"])}


def evaluate(calibration: AgeCalibration, probabilities: np.ndarray, labels: np.ndarray,
             races: np.ndarray, genders: np.ndarray) -> dict:
    """Everything the page reports for one model on the test split."""
    groups = {"race": (races, RACES), "gender": (genders, GENDERS), "age": (labels, AGE_BINS)}
    scaled = temperature_scale(probabilities, calibration.temperature)
    bins, _ = top_k(probabilities, 3)
    conformal = _interval_report(*calibration.ranges(probabilities), labels, groups)
    mondrian = _interval_report(*calibration.ranges(probabilities, races), labels, groups)
    return {
        "n_test": int(len(labels)),
        "temperature": calibration.temperature,
        "threshold": calibration.threshold,
        "race_thresholds": {RACES[r]: t for r, t in sorted(calibration.race_thresholds.items())},
        "calibration_faces": {"n": calibration.n_conformal,
                              "coverage_sd": coverage_spread(calibration.n_conformal, ALPHA),
                              "race": {RACES[r]: {"n": n, "coverage_sd": coverage_spread(n, ALPHA)}
                                       for r, n in sorted(calibration.race_counts.items())}},
        "top1_accuracy": float(np.mean(bins[:, 0] == labels)),
        "top3_coverage": float(np.mean((bins == labels[:, None]).any(axis=1))),
        "nll": {"raw": negative_log_likelihood(probabilities, labels),
                "scaled": negative_log_likelihood(scaled, labels)},
        "ece": {"raw": expected_calibration_error(probabilities, labels),
                "scaled": expected_calibration_error(scaled, labels)},
        "reliability": {"raw": reliability(probabilities, labels), "scaled": reliability(scaled, labels)},
        "baseline_raw": _mass_rule_report(probabilities, labels, groups),
        "baseline_scaled": _mass_rule_report(scaled, labels, groups),
        "conformal": conformal | {"goal": _goal(conformal)},
        "mondrian_race": mondrian | {"goal": _goal(mondrian)},
        "needs_group_conditional": bool(min(c["coverage"] for c in conformal["race"].values()) < GOAL["coverage_low"]),
    }


def range_label(low: int, high: int) -> str:
    """'20-39' for bins 2..3, '70+' when the range reaches the open last bin."""
    start = 0 if low == 0 else AGE_BIN_EDGES[low - 1]
    return f"{start}+" if high == len(AGE_BINS) - 1 else f"{start}-{AGE_BIN_EDGES[high] - 1}"


def sample_ranges(models: dict[str, keras.Model], calibrations: dict[str, AgeCalibration],
                  samples_dir: Path = SAMPLES_DIR) -> list[dict]:
    """Top-3 and calibrated ranges for the article's curated faces (decoded as the models see them)."""
    manifest = read_samples(samples_dir)
    pixels = sample_pixels(manifest, samples_dir)
    races = np.array([RACES.index(s["labels"]["race"]) for s in manifest])
    rows = [{"id": s["id"], "file": s["file"], "age": s["labels"]["age"], "race": s["labels"]["race"],
             "true_bin": AGE_BINS[age_to_bin(s["labels"]["age"])], "models": {}} for s in manifest]
    for name, model in models.items():
        probabilities = predict(model, pixels)
        calibration = calibrations[name]
        scaled = temperature_scale(probabilities, calibration.temperature)
        bins, values = top_k(probabilities, 3)
        ranges = calibration.ranges(probabilities)
        by_race = calibration.ranges(probabilities, races)
        for i, row in enumerate(rows):
            row["models"][name] = {
                "top3": [{"bin": AGE_BINS[b], "p": float(p), "p_scaled": float(scaled[i, b])}
                         for b, p in zip(bins[i], values[i])],
                "range": range_label(ranges[0][i], ranges[1][i]),
                "range_by_race": range_label(by_race[0][i], by_race[1][i]),
                "covered": bool(ranges[0][i] <= age_to_bin(row["age"]) <= ranges[1][i])}
    return rows


def analyse(data: PreparedData, names: tuple[str, ...] = AGE_MODELS,
            models_dir: Path = MODELS_DIR) -> tuple[dict, dict[str, AgeCalibration]]:
    """Calibrate and evaluate each age model; returns the report and the calibrations."""
    val, test = data.split["val"], data.split["test"]
    labels, races, genders = (data.dataset.labels(task) for task in ("age", "race", "gender"))
    report, calibrations = {}, {}
    for name in names:
        outputs = held_out_outputs(name, data, models_dir)
        p_val = outputs.probabilities[outputs.rows(val)]
        p_test = outputs.probabilities[outputs.rows(test)]
        calibrations[name] = calibrate(p_val, labels[val], races[val])
        report[name] = evaluate(calibrations[name], p_test, labels[test], races[test], genders[test])
    return report, calibrations


def write_age_ranges(data: PreparedData, names: tuple[str, ...] = AGE_MODELS, models_dir: Path = MODELS_DIR,
                     samples_dir: Path = SAMPLES_DIR) -> dict:
    """Run the analysis and write age_ranges.json and age_calibration.json under <models_dir>/analysis/."""
    report, calibrations = analyse(data, names, models_dir)
    models = {name: load_trained(name, models_dir) for name in names}
    any_calibration = next(iter(calibrations.values()))
    result = {
        "about": "Age ranges for the age models on the UTKFace test split. Temperature fitted on a quarter of the "
                 "validation split, conformal thresholds on the rest (stratified by race, fixed seed).",
        "alpha": ALPHA, "baseline_level": BASELINE_LEVEL, "goal": GOAL, "labels": list(AGE_BINS), "rule": RULE,
        "split": {"temperature_fit": any_calibration.n_temperature, "conformal": any_calibration.n_conformal,
                  "test": int(len(data.split["test"])), "seed": SEED},
        "models": report,
        "model_sha256": model_digests(names, models_dir),
        "samples": sample_ranges(models, calibrations, samples_dir),
    }
    out = analysis_dir(models_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / RANGES).write_text(json.dumps(result, indent=1) + "\n")
    (out / CALIBRATION).write_text(json.dumps({name: c.export() for name, c in calibrations.items()}, indent=1) + "\n")
    for name, model_report in report.items():
        c, m = model_report["conformal"], model_report["mondrian_race"]
        print(f"[age-ranges] {name}: T={model_report['temperature']:.2f}; baseline coverage "
              f"{model_report['baseline_raw']['coverage']:.3f}; conformal coverage {c['coverage']:.3f}, width "
              f"{c['mean_width']:.2f}, races {c['goal']['lowest_race_coverage']:.3f}-"
              f"{c['goal']['highest_race_coverage']:.3f}; per-race coverage {m['coverage']:.3f}, width "
              f"{m['mean_width']:.2f}", flush=True)
    return result
