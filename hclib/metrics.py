"""Metrics with their spread: thin wrappers over scikit-learn, seqeval and SciPy."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from scipy import stats
from sklearn.metrics import accuracy_score, classification_report

from hclib.validate import check_array, check_int, check_list, check_number, check_strings


def _check_pair(y_true: Sequence, y_pred: Sequence) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(check_list("y_true", y_true), dtype=object), np.asarray(check_list("y_pred", y_pred),
                                                                                       dtype=object)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D and of one length, got shapes {y_true.shape} and "
                         f"{y_pred.shape}")
    if len(y_true) == 0:
        raise ValueError("y_true is empty; pass at least one label")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if any(isinstance(v, float) and not np.isfinite(v) for v in y):
            raise ValueError(f"{name} holds NaN or infinite values; drop those examples first")
    kinds = {str if isinstance(v, str) else float if isinstance(v, (int, float, np.number)) else object
             for v in y_true.tolist() + y_pred.tolist()}
    if len(kinds) > 1:
        raise ValueError("y_true and y_pred must hold labels of one kind (all numbers or all strings); convert one")
    return y_true, y_pred


def classification_summary(y_true: Sequence, y_pred: Sequence, names: Sequence[str] | None = None) -> dict:
    """Accuracy, macro F1 and per-class precision / recall / F1 (scikit-learn's report, as a dict).

    >>> classification_summary([0, 1, 1], [0, 1, 0])["accuracy"]
    0.6666666666666666
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    y_true, y_pred = y_true.tolist(), y_pred.tolist()
    if names is not None:
        names = check_strings("names", names)
        if len(names) != len(set(y_true) | set(y_pred)):
            raise ValueError(f"names has {len(names)} entries but the labels hold {len(set(y_true) | set(y_pred))} "
                             "classes; pass one name a class")
    report = classification_report(y_true, y_pred, target_names=names, output_dict=True, zero_division=0)
    return {"accuracy": accuracy_score(y_true, y_pred), "macro_f1": report["macro avg"]["f1-score"],
            "per_class": {k: v for k, v in report.items() if k not in ("accuracy", "macro avg", "weighted avg")}}


def bootstrap_interval(y_true: Sequence, y_pred: Sequence, metric: Callable = accuracy_score,
                       n_resamples: int = 1000, level: float = 0.95, seed: int = 0,
                       strata: Sequence | None = None) -> tuple[float, float]:
    """Percentile bootstrap interval of ``metric`` over the test examples.

    With ``strata`` (one label an example, e.g. a group), examples are drawn within each stratum, so every
    resample keeps the strata's sizes (:func:`resample_indices`).

    >>> lo, hi = bootstrap_interval([1] * 80 + [0] * 20, [1] * 100); lo < 0.8 < hi
    True
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    level, idx = _resampling(metric, level, n_resamples, len(y_true), seed, strata)
    if all(isinstance(v, (int, float, np.number)) for v in y_true.tolist() + y_pred.tolist()):
        y_true, y_pred = np.asarray(y_true.tolist()), np.asarray(y_pred.tolist())  # numbers as numbers
    try:
        scores = np.array([metric(y_true[i], y_pred[i]) for i in idx], dtype=float)
    except ValueError as e:  # e.g. ROC AUC of a resample that holds one class only
        raise ValueError(f"metric failed on a bootstrap resample of y_true ({e}); with {len(y_true)} examples a "
                         "resample may lack a class: pass more examples or another metric") from e
    if not np.isfinite(scores).all():
        raise ValueError("metric returned NaN or infinity on some resamples; pass more examples or another metric")
    return float(np.quantile(scores, (1 - level) / 2)), float(np.quantile(scores, (1 + level) / 2))


def paired_bootstrap(y_true: Sequence, pred_a: Sequence, pred_b: Sequence, metric: Callable = accuracy_score,
                     n_resamples: int = 2000, level: float = 0.95, seed: int = 0) -> dict[str, float]:
    """``metric(a) - metric(b)`` on the same test examples, with a paired percentile-bootstrap interval.

    Each resample draws test examples with replacement and scores *both* predictions on it, so the
    noise the two share (which examples happen to be in the test set) cancels in the difference.

    >>> r = paired_bootstrap([1, 0, 1, 1] * 50, [1, 0, 1, 1] * 50, [1, 0, 0, 1] * 50)
    >>> round(r["diff"], 2), r["low"] > 0
    (0.25, True)
    """
    y_true, pred_a = _check_pair(y_true, pred_a)
    _, pred_b = _check_pair(y_true, pred_b)
    level, idx = _resampling(metric, level, n_resamples, len(y_true), seed)
    y_true, pred_a, pred_b = (np.asarray(v.tolist()) for v in (y_true, pred_a, pred_b))
    diffs = np.array([metric(y_true[i], pred_a[i]) - metric(y_true[i], pred_b[i]) for i in idx], dtype=float)
    low, high = np.quantile(diffs, [(1 - level) / 2, (1 + level) / 2])
    return {"diff": float(metric(y_true, pred_a) - metric(y_true, pred_b)), "low": float(low), "high": float(high)}


def paired_bootstrap_runs(y_true: Sequence, runs_a: Sequence, runs_b: Sequence, n_resamples: int = 2000,
                          level: float = 0.95, seed: int = 0) -> dict[str, float]:
    """Mean accuracy over method A's runs minus method B's, on the same test examples, with an interval that
    holds both sources of noise: which examples are in the test set, and which seeds were run.

    ``runs_a`` and ``runs_b`` are (runs x examples) predicted labels, one row a seed (a deterministic
    method has one row). The test part is a paired bootstrap: the examples are drawn with replacement,
    shared by A and B, and the difference of their run-averaged accuracies recomputed. The seed part is
    a Student-t half-width from the spread of each method's run accuracies (Welch's degrees of freedom;
    none for a method with one run). The two half-widths add in quadrature, since the sources are
    independent. With few runs the t factor is large: three seeds is the least that shows any spread.

    >>> y = np.array([1, 0, 1, 1] * 50)
    >>> r = paired_bootstrap_runs(y, [y, y], [np.r_[1 - y[:50], y[50:]]])
    >>> round(r["diff"], 2), r["low"] > 0
    (0.25, True)
    """
    y = check_array("y_true", y_true, ndim=1)
    runs = []
    for name, values in (("runs_a", runs_a), ("runs_b", runs_b)):
        r = check_array(name, values, ndim=2 if np.ndim(values) == 2 else 1)
        r = r.reshape(1, -1) if r.ndim == 1 else r
        if r.shape[1] != len(y):
            raise ValueError(f"{name} must be (runs x examples) predictions for the {len(y)} examples of y_true, "
                             f"got shape {r.shape}")
        runs.append(r == y)  # right or wrong, run by example
    level, idx = _resampling(accuracy_score, level, n_resamples, len(y), seed)
    per_example = runs[0].mean(0) - runs[1].mean(0)  # run-averaged difference, example by example
    diff = float(per_example.mean())
    low, high = np.quantile([per_example[rows].mean() for rows in idx], [(1 - level) / 2, (1 + level) / 2])
    variances = [r.mean(1).var(ddof=1) / len(r) if len(r) > 1 else 0.0 for r in runs]
    seed_half = 0.0
    if sum(variances) > 0:
        dof = sum(variances) ** 2 / sum(v**2 / (len(r) - 1) for v, r in zip(variances, runs) if v > 0)
        seed_half = stats.t.ppf((1 + level) / 2, dof) * np.sqrt(sum(variances))
    return {"diff": diff, "low": float(diff - np.hypot(diff - low, seed_half)),
            "high": float(diff + np.hypot(high - diff, seed_half)), "seed_half_width": float(seed_half)}


def mean_interval(values: Sequence[float], level: float = 0.95,
                  test_train_ratio: float | None = None) -> dict[str, float]:
    """Mean, standard deviation and Student-t interval of a few runs (e.g. one per seed).

    When the runs are random splits of one data set, their test sets overlap and the runs are not
    independent, so the plain interval is too narrow. ``test_train_ratio`` (test examples over the
    examples used for fitting, in one split) applies Nadeau and Bengio's (2003) corrected variance,
    ``std**2 * (1 / n + test_train_ratio)`` in place of ``std**2 / n``.

    >>> r = mean_interval([0.84, 0.85, 0.83]); round(r["mean"], 3), round(r["std"], 3)
    (0.84, 0.01)
    >>> mean_interval([0.84, 0.85, 0.83], test_train_ratio=0.25)["high"] > r["high"]
    True
    """
    x = check_array("values", values, ndim=1, min_rows=0).astype(float)
    if len(x) < 2:
        raise ValueError(f"values: need at least two values (runs) for a spread, got {len(x)}")
    level = _check_level(level)
    ratio = 0.0 if test_train_ratio is None else check_number(
        "test_train_ratio (test over fitting examples of one split, e.g. 0.25)", test_train_ratio, minimum=0,
        low_open=True)
    mean, std = x.mean(), x.std(ddof=1)
    half = stats.t.ppf((1 + level) / 2, len(x) - 1) * std * np.sqrt(1 / len(x) + ratio)
    return {"mean": float(mean), "std": float(std), "low": float(mean - half), "high": float(mean + half),
            "n": len(x)}


def paired_ratio(values_a: Sequence[float], values_b: Sequence[float], level: float = 0.95) -> dict[str, float]:
    """``a / b`` for positive measurements paired by index (e.g. the seconds of two variants in the same round):
    the geometric mean of the per-pair ratios with a Student-t interval, computed on the logarithms and taken
    back. The pairs are the unit of spread, so time each pair in its own round (:func:`hclib.benchmark.time_in_rounds`);
    a ratio above 1 means ``a`` takes more.

    >>> r = paired_ratio([2.0, 2.2, 1.8, 2.1], [1.0, 1.1, 0.9, 1.0])
    >>> round(r["ratio"], 2), r["low"] < 2.0 < r["high"], r["n"]
    (2.02, True, 4)
    """
    a = check_array("values_a", values_a, ndim=1, min_rows=2).astype(float)
    b = check_array("values_b", values_b, ndim=1, min_rows=2).astype(float)
    if len(a) != len(b):
        raise ValueError(f"values_a has {len(a)} values, values_b {len(b)}: pair them (one of each a round)")
    if not (np.isfinite(a) & np.isfinite(b)).all() or (a <= 0).any() or (b <= 0).any():
        raise ValueError("paired_ratio needs positive, finite values (times, sizes); got a zero, negative or NaN")
    logs = mean_interval(np.log(a / b), level)
    return {"ratio": float(np.exp(logs["mean"])), "low": float(np.exp(logs["low"])),
            "high": float(np.exp(logs["high"])), "n": logs["n"]}


def resample_indices(n: int, n_resamples: int = 1000, seed: int = 0, strata: Sequence | None = None) -> np.ndarray:
    """Row indices of bootstrap resamples of ``n`` examples, drawn with replacement (``n_resamples`` x ``n``).

    With ``strata`` (one label an example), each example's column is redrawn from its own stratum, so every
    resample keeps the strata's sizes and a rate per stratum is defined in every resample.

    >>> idx = resample_indices(4, 100, strata=["a", "a", "b", "b"])
    >>> idx.shape, set(idx[:, :2].ravel().tolist()), set(idx[:, 2:].ravel().tolist())
    ((100, 4), {0, 1}, {2, 3})
    """
    n = check_int("n", n, minimum=1)
    n_resamples = check_int("n_resamples", n_resamples, minimum=100, maximum=100_000)
    if n_resamples * n > 10**8:
        raise ValueError(f"n_resamples={n_resamples} resamples of {n} examples would not fit in memory; "
                         "use fewer resamples (1,000 give a usable 95 % interval)")
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    if strata is None:
        return rng.integers(0, n, size=(n_resamples, n))
    strata = check_array("strata", strata, ndim=1, numeric=False)
    if len(strata) != n:
        raise ValueError(f"strata must hold one label for each of the {n} examples, got {len(strata)}")
    labels = strata.astype(str)
    idx = np.empty((n_resamples, n), dtype=np.int64)
    for k in np.unique(labels):
        members = np.flatnonzero(labels == k)
        idx[:, members] = rng.choice(members, size=(n_resamples, len(members)))
    return idx


def _resampling(metric: Callable, level: float, n_resamples: int, n: int, seed: int,
                strata: Sequence | None = None) -> tuple[float, np.ndarray]:
    """Check a bootstrap's settings; return the level and the resampled indices (n_resamples x n)."""
    if not callable(metric):
        raise TypeError(f"metric must be a function metric(y_true, y_pred) -> float, got {metric!r}")
    return _check_level(level), resample_indices(n, n_resamples, seed, strata)


def _check_level(level: float) -> float:
    return check_number("level (between 0 and 1, e.g. 0.95)", level, minimum=0, maximum=1, low_open=True,
                        high_open=True)


def check_tag_lists(true_tags: Sequence[Sequence[str]], pred_tags: Sequence[Sequence[str]]) -> None:
    """Gold and predicted BIO tags: one tag list a sentence, of one length each, tags ``O``, ``B-X`` or ``I-X``."""
    true_tags, pred_tags = check_list("true_tags", true_tags), check_list("pred_tags", pred_tags)
    if len(true_tags) != len(pred_tags):
        raise ValueError(f"{len(true_tags)} gold sentences but {len(pred_tags)} predicted; pass one tag list each")
    for i, (t, p) in enumerate(zip(true_tags, pred_tags)):
        t, p = check_strings(f"true_tags[{i}]", t, min_length=0), check_strings(f"pred_tags[{i}]", p, min_length=0)
        if len(t) != len(p):
            raise ValueError(f"sentence {i}: {len(t)} gold tags but {len(p)} predicted; lengths must match")
        bad = next((tag for tag in t + p if tag != "O" and (tag[:2] not in ("B-", "I-") or len(tag) < 3)), None)
        if bad is not None:
            raise ValueError(f"sentence {i}: tag {bad!r} is not BIO ('O', 'B-TYPE' or 'I-TYPE'); convert BMES tags "
                             "with hclib.data.bmes_to_bio")


def entity_scores(true_tags: list[list[str]], pred_tags: list[list[str]]) -> dict:
    """Strict entity-level precision, recall and F1 (seqeval), overall and per type, from BIO tags.

    >>> entity_scores([["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]])["f1"]
    0.0
    """
    from seqeval.metrics import classification_report as seq_report
    from seqeval.scheme import IOB2

    check_tag_lists(true_tags, pred_tags)
    true_tags, pred_tags = [list(t) for t in true_tags], [list(p) for p in pred_tags]
    report = seq_report(true_tags, pred_tags, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    micro = report["micro avg"]
    return {"precision": float(micro["precision"]), "recall": float(micro["recall"]), "f1": float(micro["f1-score"]),
            "per_type": {k: v for k, v in report.items() if not k.endswith("avg")}}
