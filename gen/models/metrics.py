"""Test-split metrics for one classifier, overall and per group.

Group metrics use Fairlearn's MetricFrame (point estimates, best/worst gaps) rather than hand-rolled
loops; every proportion gets an exact interval from gen/stats.py; the rest is scikit-learn plus two
small measures it lacks (expected calibration error and within-one-bin accuracy for ordered age bins).
"""
from __future__ import annotations

import numpy as np
from fairlearn.metrics import MetricFrame
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support, recall_score

from gen.stats import clopper_pearson, confidence_bins


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


def group_accuracy(y_true: np.ndarray, y_pred: np.ndarray, groups: np.ndarray) -> dict:
    """Accuracy per group with exact 95% intervals, and the best-vs-worst gap and ratio."""
    frame = MetricFrame(metrics=accuracy_score, y_true=y_true, y_pred=y_pred, sensitive_features=groups)
    by_group = {}
    for group in frame.by_group.index:
        hits = y_true[groups == group] == y_pred[groups == group]
        low, high = clopper_pearson(int(hits.sum()), len(hits))
        by_group[str(group)] = {"accuracy": float(frame.by_group[group]), "ci_low": low, "ci_high": high,
                                "n": int(len(hits))}
    best, worst = frame.by_group.idxmax(), frame.by_group.idxmin()
    gap = {"best": str(best), "worst": str(worst), "best_accuracy": float(frame.group_max()),
           "worst_accuracy": float(frame.group_min()), "difference": float(frame.difference()),
           "ratio": float(frame.ratio())}
    return {"by_group": by_group, "gap": gap}


def classification_metrics(probabilities: np.ndarray, y_true: np.ndarray, labels: tuple[str, ...],
                           group_columns: dict[str, np.ndarray], ordinal: bool) -> dict:
    """Everything the article and model card report for one model on one split. Proportions (accuracy,
    recall, within one bin) carry exact Clopper-Pearson 95% intervals (gen/stats.py)."""
    y_true = np.asarray(y_true)
    y_pred = probabilities.argmax(axis=1)
    correct = y_pred == y_true
    metrics = {
        "n": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "accuracy_ci": list(clopper_pearson(int(correct.sum()), len(correct))),
        "macro_recall": float(recall_score(y_true, y_pred, labels=range(len(labels)), average="macro",
                                           zero_division=0)),
        "ece": expected_calibration_error(probabilities, y_true),
        "per_class": per_class_report(y_true, y_pred, labels),
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=range(len(labels))).tolist(),
        "groups": {}, "gaps": {},
    }
    for index, label in enumerate(labels):
        members = y_true == index
        if members.any():
            metrics["per_class"][label]["recall_ci"] = list(clopper_pearson(int(correct[members].sum()),
                                                                            int(members.sum())))
    if ordinal:
        near = np.abs(y_true - y_pred) <= 1
        metrics["within_one_bin"] = within_one_bin(y_true, y_pred)
        metrics["within_one_bin_ci"] = list(clopper_pearson(int(near.sum()), len(near)))
    for name, groups in group_columns.items():
        result = group_accuracy(y_true, y_pred, groups)
        metrics["groups"][name] = result["by_group"]
        metrics["gaps"][name] = result["gap"]
    return metrics
