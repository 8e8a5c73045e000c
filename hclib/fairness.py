"""Whom a classifier fails: error rates per group, with group sizes and bootstrap intervals.

For a yes/no decision with 1 the "positive" prediction (here: predicted to default, so refused):

- selection rate: the share predicted 1;
- false-positive rate (FPR): among true 0s, the share predicted 1 (good payers refused);
- false-negative rate (FNR): among true 1s, the share predicted 0 (defaulters accepted).

:func:`group_rates` gives these per group with percentile-bootstrap intervals; :func:`rate_gap`
gives the largest difference between groups (Fairlearn's ``difference(method="between_groups")``)
with its interval. Resampling is :func:`hclib.metrics.resample_indices` stratified by group, so each
resample keeps the groups' sizes. The interval of a gap says how much it varies, not whether the
groups differ: a largest-minus-smallest of noisy rates is above zero even when the true rates are
equal. :func:`gap_permutation_test` asks that question, by shuffling the group labels.

>>> y, p = np.array([1, 1, 0, 0] * 25), np.array([1, 0, 0, 0] * 25)
>>> g = np.array(["a", "b"] * 50)
>>> float(group_rates(y, p, g, n_resamples=200).loc["a", "FNR"])
0.0
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from hclib.metrics import resample_indices
from hclib.validate import check_array, check_choice, check_int, check_number

RATES = ("selection rate", "FPR", "FNR", "accuracy")


def _check(y_true, y_pred, groups) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The decisions as 0/1 integers, and the groups as names and as integer codes into the names."""
    y = check_array("y_true", y_true, ndim=1)
    p = check_array("y_pred", y_pred, ndim=1)
    g = check_array("groups", groups, ndim=1, numeric=False)
    if not (len(y) == len(p) == len(g)):
        raise ValueError(f"y_true, y_pred and groups must have one length, got {len(y)}, {len(p)}, {len(g)}")
    for name, v in (("y_true", y), ("y_pred", p)):
        if not set(np.unique(v).tolist()) <= {0, 1}:
            raise ValueError(f"{name} must hold 0/1 decisions; threshold probabilities first (p > 0.5)")
    if pd.isna(pd.Series(g)).any():
        raise ValueError("groups holds missing values; drop those rows or name their group (e.g. 'unknown')")
    names, codes = np.unique(g.astype(str), return_inverse=True)
    return y.astype(int), p.astype(int), names, codes


def _rates(y: np.ndarray, p: np.ndarray, codes: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Each rate of :data:`RATES` for each of the ``k`` groups (NaN where a group has no such examples)."""
    def count(weights=None):
        return np.bincount(codes, weights=weights, minlength=k)

    n, ones, chosen, hits = count(), count(y), count(p), count(y * p)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"selection rate": chosen / n, "FPR": (chosen - hits) / (n - ones), "FNR": (ones - hits) / ones,
                "accuracy": (n - ones - chosen + 2 * hits) / n}


def _interval(values: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval of the finite values (NaN, NaN when there are none)."""
    values = values[np.isfinite(values)]
    if not len(values):
        return np.nan, np.nan
    low, high = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def _check_settings(n_resamples: int, level: float, seed: int) -> tuple[int, float, int]:
    return (check_int("n_resamples", n_resamples, minimum=100, maximum=100_000),
            check_number("level", level, minimum=0, maximum=1, low_open=True, high_open=True),
            check_int("seed", seed, minimum=0))


def group_rates(y_true: Sequence, y_pred: Sequence, groups: Sequence, n_resamples: int = 1000,
                level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Size, share of true 1s, and each rate of :data:`RATES` per group, with ``low``/``high`` bootstrap bounds.

    A rate a group cannot have (FNR of a group with no true 1s) is NaN.
    """
    y, p, names, codes = _check(y_true, y_pred, groups)
    n_resamples, level, seed = _check_settings(n_resamples, level, seed)
    k = len(names)
    draws = [_rates(y[i], p[i], codes[i], k) for i in resample_indices(len(y), n_resamples, seed, strata=codes)]
    table = pd.DataFrame({"n": np.bincount(codes, minlength=k), "true 1s": np.bincount(codes, y, k).astype(int)},
                         index=names)
    for name, values in _rates(y, p, codes, k).items():
        bounds = [_interval(np.array([d[name][j] for d in draws]), level) for j in range(k)]
        table[name], table[f"{name} low"], table[f"{name} high"] = values, *np.array(bounds).T
    return table


def _check_rate(rate: str | Sequence[str]) -> tuple[str, ...]:
    rates = (rate,) if isinstance(rate, str) else tuple(rate)
    if not rates:
        raise ValueError(f"rate must name one of {RATES}, or a tuple of them such as ('FNR', 'FPR')")
    return tuple(check_choice("rate", r, RATES) for r in rates)


def _gap(y: np.ndarray, p: np.ndarray, codes: np.ndarray, k: int, rates: tuple[str, ...]) -> float:
    """The largest over ``rates`` of (largest minus smallest rate over the groups)."""
    values = _rates(y, p, codes, k)
    return float(max(np.nanmax(values[name]) - np.nanmin(values[name]) for name in rates))


def _check_groups(names: np.ndarray) -> int:
    if len(names) < 2:
        raise ValueError(f"groups holds one group ({names[0]!r}); a gap needs at least two")
    return len(names)


def rate_gap(y_true: Sequence, y_pred: Sequence, groups: Sequence, rate: str | Sequence[str] = "FNR",
             n_resamples: int = 1000, level: float = 0.95, seed: int = 0) -> dict[str, float]:
    """Largest minus smallest ``rate`` over the groups, with a stratified percentile-bootstrap interval.

    ``rate`` may be a tuple of rates, whose largest gap is taken: ``("FNR", "FPR")`` is Fairlearn's
    equalized-odds difference (the true-positive-rate gap equals the FNR gap).

    >>> y = np.array([1, 0] * 100); g = np.array(["a"] * 100 + ["b"] * 100)
    >>> p = np.r_[np.array([1, 0] * 50), np.array([0, 0] * 50)]
    >>> r = rate_gap(y, p, g, "FNR", n_resamples=200); r["gap"], r["low"] > 0.8
    (1.0, True)
    """
    rates = _check_rate(rate)
    y, p, names, codes = _check(y_true, y_pred, groups)
    n_resamples, level, seed = _check_settings(n_resamples, level, seed)
    k = _check_groups(names)
    boot = np.array([_gap(y[i], p[i], codes[i], k, rates)
                     for i in resample_indices(len(y), n_resamples, seed, strata=codes)])
    low, high = _interval(boot, level)
    return {"gap": _gap(y, p, codes, k, rates), "low": low, "high": high}


def gap_permutation_test(y_true: Sequence, y_pred: Sequence, groups: Sequence, rate: str | Sequence[str] = "FNR",
                         n_permutations: int = 1000, seed: int = 0) -> dict[str, float]:
    """Is the gap larger than groups of these sizes show by chance? Shuffle the group labels among the examples.

    Under the null hypothesis that the decisions and outcomes do not depend on the group, every reshuffling of
    the labels is as likely as the one observed. Returns the observed ``gap``, the one-sided ``p`` value
    ``(1 + #{shuffled gap >= observed}) / (1 + n_permutations)``, and ``null_median``, the median gap of the
    shuffles: what a gap looks like when the groups do not differ (small groups make it large).

    >>> y = np.array([1, 0] * 100); g = np.array(["a"] * 100 + ["b"] * 100)
    >>> p = np.r_[np.array([1, 0] * 50), np.array([0, 0] * 50)]
    >>> r = gap_permutation_test(y, p, g, "FNR", n_permutations=200); r["gap"], r["p"] < 0.01
    (1.0, True)
    """
    rates = _check_rate(rate)
    y, p, names, codes = _check(y_true, y_pred, groups)
    n_permutations = check_int("n_permutations", n_permutations, minimum=100, maximum=100_000)
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    k = _check_groups(names)
    observed = _gap(y, p, codes, k, rates)
    null = np.array([_gap(y, p, rng.permutation(codes), k, rates) for _ in range(n_permutations)])
    null = null[np.isfinite(null)]
    return {"gap": observed, "p": float((1 + (null >= observed - 1e-12).sum()) / (1 + len(null))),
            "null_median": float(np.median(null))}


def age_bands(age: Sequence, edges: Sequence[int] = (30, 45)) -> np.ndarray:
    """Label ages by band: with edges (30, 45), 'under 30', '30-44' and '45 and over'.

    >>> age_bands([18, 30, 44, 45]).tolist()
    ['under 30', '30-44', '30-44', '45 and over']
    """
    age = check_array("age", age, ndim=1)
    edges = [check_int(f"edges[{i}]", e, minimum=1) for i, e in enumerate(edges)]
    if not edges or edges != sorted(set(edges)):
        raise ValueError(f"edges must be increasing ages, e.g. (30, 45), got {edges}")
    names = [f"under {edges[0]}"] + [f"{a}-{b - 1}" for a, b in zip(edges, edges[1:])] + [f"{edges[-1]} and over"]
    return np.array(names, dtype=object)[np.searchsorted(edges, age, side="right")].astype(str)
