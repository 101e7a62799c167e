"""Test-split metrics for one classifier, overall and per group.

Group metrics use Fairlearn's MetricFrame (point estimates, bootstrap intervals, best/worst gaps)
rather than hand-rolled loops; the rest is scikit-learn plus two small measures it lacks
(expected calibration error and within-one-bin accuracy for ordered age bins).
"""
from __future__ import annotations

import numpy as np
from fairlearn.metrics import MetricFrame
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support, recall_score

from gen.config import CI_QUANTILES
from gen.stats import N_BOOTSTRAP, confidence_bins


def expected_calibration_error(probabilities: np.ndarray, y_true: np.ndarray, n_bins: int = 15) -> float:
    """Top-label ECE: |confidence - accuracy| averaged over equal-width confidence bins, weighted by size."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == y_true
    bin_of = confidence_bins(confidence, n_bins)
    total = 0.0
    for b in range(n_bins):
        members = bin_of == b
        if members.any():
            total += members.mean() * abs(confidence[members].mean() - correct[members].mean())
    return float(total)


def within_one_bin(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Share of predictions at most one ordered bin away from the truth (for age bins)."""
    return float(np.mean(np.abs(np.asarray(y_true) - np.asarray(y_pred)) <= 1))


def per_class_report(y_true: np.ndarray, y_pred: np.ndarray, labels: tuple[str, ...]) -> dict[str, dict]:
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=range(len(labels)), zero_division=0)
    return {label: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                    "support": int(support[i])} for i, label in enumerate(labels)}


def group_accuracy(y_true: np.ndarray, y_pred: np.ndarray, groups: np.ndarray, seed: int,
                   n_boot: int = N_BOOTSTRAP) -> dict:
    """Accuracy per group with 95% bootstrap intervals, and the best-vs-worst gap and ratio."""
    frame = MetricFrame(metrics=accuracy_score, y_true=y_true, y_pred=y_pred, sensitive_features=groups,
                        n_boot=n_boot, ci_quantiles=list(CI_QUANTILES), random_state=seed)
    low, high = frame.by_group_ci
    counts = dict(zip(*np.unique(groups, return_counts=True)))
    by_group = {str(g): {"accuracy": float(frame.by_group[g]), "ci_low": float(low[g]), "ci_high": float(high[g]),
                         "n": int(counts[g])} for g in frame.by_group.index}
    best, worst = frame.by_group.idxmax(), frame.by_group.idxmin()
    gap = {"best": str(best), "worst": str(worst), "best_accuracy": float(frame.group_max()),
           "worst_accuracy": float(frame.group_min()), "difference": float(frame.difference()),
           "ratio": float(frame.ratio())}
    return {"by_group": by_group, "gap": gap}


def classification_metrics(probabilities: np.ndarray, y_true: np.ndarray, labels: tuple[str, ...],
                           group_columns: dict[str, np.ndarray], ordinal: bool, seed: int,
                           n_boot: int = N_BOOTSTRAP) -> dict:
    """Everything the article and model card report for one model on one split.

    Bootstrap intervals dominate the cost (Fairlearn re-evaluates the frame n_boot times)."""
    y_pred = probabilities.argmax(axis=1)
    metrics = {
        "n": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_recall": float(recall_score(y_true, y_pred, labels=range(len(labels)), average="macro",
                                           zero_division=0)),
        "ece": expected_calibration_error(probabilities, y_true),
        "per_class": per_class_report(y_true, y_pred, labels),
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=range(len(labels))).tolist(),
        "groups": {}, "gaps": {},
    }
    overall = MetricFrame(metrics=accuracy_score, y_true=y_true, y_pred=y_pred,
                          sensitive_features=np.zeros(len(y_true)), n_boot=n_boot,
                          ci_quantiles=list(CI_QUANTILES), random_state=seed)
    metrics["accuracy_ci"] = [float(overall.overall_ci[0]), float(overall.overall_ci[1])]
    if ordinal:
        metrics["within_one_bin"] = within_one_bin(y_true, y_pred)
    for name, groups in group_columns.items():
        result = group_accuracy(y_true, y_pred, groups, seed, n_boot)
        metrics["groups"][name] = result["by_group"]
        metrics["gaps"][name] = result["gap"]
    return metrics
