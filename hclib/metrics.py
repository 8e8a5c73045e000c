"""Metrics with their spread: thin wrappers over scikit-learn, seqeval and SciPy."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from scipy import stats
from sklearn.metrics import accuracy_score, classification_report


def _check_pair(y_true: Sequence, y_pred: Sequence) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D and of one length, got shapes {y_true.shape} and "
                         f"{y_pred.shape}")
    if len(y_true) == 0:
        raise ValueError("y_true is empty; pass at least one label")
    return y_true, y_pred


def classification_summary(y_true: Sequence, y_pred: Sequence, names: Sequence[str] | None = None) -> dict:
    """Accuracy, macro F1 and per-class precision / recall / F1 (scikit-learn's report, as a dict).

    >>> classification_summary([0, 1, 1], [0, 1, 0])["accuracy"]
    0.6666666666666666
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    report = classification_report(y_true, y_pred, target_names=names, output_dict=True, zero_division=0)
    return {"accuracy": accuracy_score(y_true, y_pred), "macro_f1": report["macro avg"]["f1-score"],
            "per_class": {k: v for k, v in report.items() if k not in ("accuracy", "macro avg", "weighted avg")}}


def bootstrap_interval(y_true: Sequence, y_pred: Sequence, metric: Callable = accuracy_score,
                       n_resamples: int = 1000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of ``metric`` over the test examples.

    >>> lo, hi = bootstrap_interval([1] * 80 + [0] * 20, [1] * 100); lo < 0.8 < hi
    True
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), got {level!r}")
    if n_resamples < 100:
        raise ValueError(f"n_resamples must be at least 100 for a usable interval, got {n_resamples!r}")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(y_true), size=(n_resamples, len(y_true)))
    scores = np.array([metric(y_true[i], y_pred[i]) for i in idx])
    return float(np.quantile(scores, (1 - level) / 2)), float(np.quantile(scores, (1 + level) / 2))


def mean_interval(values: Sequence[float], level: float = 0.95) -> dict[str, float]:
    """Mean, standard deviation and Student-t interval of a few runs (e.g. one per seed).

    >>> r = mean_interval([0.84, 0.85, 0.83]); round(r["mean"], 3), round(r["std"], 3)
    (0.84, 0.01)
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or len(x) < 2:
        raise ValueError(f"need at least two values (runs) for a spread, got {len(np.atleast_1d(x))}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), got {level!r}")
    mean, std = x.mean(), x.std(ddof=1)
    half = stats.t.ppf((1 + level) / 2, len(x) - 1) * std / np.sqrt(len(x))
    return {"mean": float(mean), "std": float(std), "low": float(mean - half), "high": float(mean + half),
            "n": len(x)}


def entity_scores(true_tags: list[list[str]], pred_tags: list[list[str]]) -> dict:
    """Strict entity-level precision, recall and F1 (seqeval), overall and per type, from BIO tags.

    >>> entity_scores([["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]])["f1"]
    0.0
    """
    from seqeval.metrics import classification_report as seq_report
    from seqeval.scheme import IOB2

    if len(true_tags) != len(pred_tags):
        raise ValueError(f"{len(true_tags)} gold sentences but {len(pred_tags)} predicted; pass one tag list each")
    for i, (t, p) in enumerate(zip(true_tags, pred_tags)):
        if len(t) != len(p):
            raise ValueError(f"sentence {i}: {len(t)} gold tags but {len(p)} predicted; lengths must match")
    report = seq_report(true_tags, pred_tags, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    micro = report["micro avg"]
    return {"precision": float(micro["precision"]), "recall": float(micro["recall"]), "f1": float(micro["f1-score"]),
            "per_type": {k: v for k, v in report.items() if not k.endswith("avg")}}
