"""Evaluation figures: per-label precision, recall, F1, macro-F1 and calibration error."""

from __future__ import annotations

import numpy as np

from listening.labels import LABELS


def per_label(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, dict[str, float]]:
    out = {}
    for j, label in enumerate(LABELS):
        t, p = y_true[:, j] == 1, y_pred[:, j] == 1
        tp = float(np.sum(t & p))
        precision = tp / max(float(p.sum()), 1.0)
        recall = tp / max(float(t.sum()), 1.0)
        f1 = 2 * tp / max(float(p.sum() + t.sum()), 1.0)
        out[label] = {"precision": precision, "recall": recall, "f1": f1, "support": int(t.sum())}
    return out


def expected_calibration_error(y_true: np.ndarray, prob: np.ndarray, bins: int = 10) -> float:
    """Mean |accuracy - confidence| over equal-width probability bins, weighted by bin size."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(prob, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        chosen = index == b
        if chosen.any():
            total += chosen.mean() * abs(float(y_true[chosen].mean()) - float(prob[chosen].mean()))
    return total


def report(y_true: np.ndarray, prob: np.ndarray, thresholds: np.ndarray) -> dict:
    pred = (prob >= thresholds).astype(int)
    labels = per_label(y_true, pred)
    for j, label in enumerate(LABELS):
        labels[label]["ece"] = expected_calibration_error(y_true[:, j], prob[:, j])
    return {
        "replies": int(len(y_true)),
        "macro_f1": float(np.mean([labels[l]["f1"] for l in LABELS])),
        "mean_ece": float(np.mean([labels[l]["ece"] for l in LABELS])),
        "exact_match": float(np.mean((pred == y_true).all(1))) if len(y_true) else 0.0,
        "labels": labels,
    }
