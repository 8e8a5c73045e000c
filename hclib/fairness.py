"""Whom a classifier fails: error rates per group, with group sizes and bootstrap intervals.

For a yes/no decision with 1 the "positive" prediction (here: predicted to default, so refused):

- selection rate: the share predicted 1;
- false-positive rate (FPR): among true 0s, the share predicted 1 (good payers refused);
- false-negative rate (FNR): among true 1s, the share predicted 0 (defaulters accepted).

:func:`group_rates` gives these per group with percentile-bootstrap intervals; :func:`rate_gap`
gives the largest difference between groups (Fairlearn's ``difference(method="between_groups")``)
with its interval. Resampling is stratified by group, so each resample keeps the groups' sizes.

>>> y, p = np.array([1, 1, 0, 0] * 25), np.array([1, 0, 0, 0] * 25)
>>> g = np.array(["a", "b"] * 50)
>>> float(group_rates(y, p, g, n_resamples=200).loc["a", "FNR"])
0.0
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from hclib.validate import check_array, check_choice, check_int, check_number

RATES = ("selection rate", "FPR", "FNR", "accuracy")


def _rates(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    neg, pos = y == 0, y == 1
    return {"selection rate": p.mean() if len(p) else np.nan,
            "FPR": p[neg].mean() if neg.any() else np.nan,
            "FNR": (1 - p[pos]).mean() if pos.any() else np.nan,
            "accuracy": (p == y).mean() if len(p) else np.nan}


def _check(y_true, y_pred, groups) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    return y.astype(int), p.astype(int), g.astype(str)


def _resamples(g: np.ndarray, n_resamples: int, seed: int) -> list[np.ndarray]:
    """Row indices of each resample, drawn with replacement within each group."""
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(g == k) for k in np.unique(g)]
    return [np.concatenate([rng.choice(m, len(m)) for m in members]) for _ in range(n_resamples)]


def group_rates(y_true: Sequence, y_pred: Sequence, groups: Sequence, n_resamples: int = 1000,
                level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Size, share of true 1s, and each rate of :data:`RATES` per group, with ``low``/``high`` bootstrap bounds.

    A rate a group cannot have (FNR of a group with no true 1s) is NaN.
    """
    y, p, g = _check(y_true, y_pred, groups)
    n_resamples = check_int("n_resamples", n_resamples, minimum=100, maximum=100_000)
    level = check_number("level", level, minimum=0, maximum=1, low_open=True, high_open=True)
    seed = check_int("seed", seed, minimum=0)
    rows = {}
    for k in np.unique(g):
        yk, pk = y[g == k], p[g == k]
        rng = np.random.default_rng([seed, len(rows)])
        boot = [_rates(yk[i], pk[i]) for i in rng.integers(0, len(yk), (n_resamples, len(yk)))]
        row = {"n": len(yk), "true 1s": int(yk.sum())}
        for name, value in _rates(yk, pk).items():
            values = np.array([b[name] for b in boot], dtype=float)
            values = values[np.isfinite(values)]
            q = np.quantile(values, [(1 - level) / 2, (1 + level) / 2]) if len(values) else (np.nan, np.nan)
            row |= {name: float(value), f"{name} low": float(q[0]), f"{name} high": float(q[1])}
        rows[k] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def rate_gap(y_true: Sequence, y_pred: Sequence, groups: Sequence, rate: str = "FNR", n_resamples: int = 1000,
             level: float = 0.95, seed: int = 0) -> dict[str, float]:
    """Largest minus smallest ``rate`` over the groups, with a stratified percentile-bootstrap interval.

    >>> y = np.array([1, 0] * 100); g = np.array(["a"] * 100 + ["b"] * 100)
    >>> p = np.r_[np.array([1, 0] * 50), np.array([0, 0] * 50)]
    >>> r = rate_gap(y, p, g, "FNR", n_resamples=200); r["gap"], r["low"] > 0.8
    (1.0, True)
    """
    check_choice("rate", rate, RATES)
    y, p, g = _check(y_true, y_pred, groups)
    n_resamples = check_int("n_resamples", n_resamples, minimum=100, maximum=100_000)
    level = check_number("level", level, minimum=0, maximum=1, low_open=True, high_open=True)
    keys = np.unique(g)
    if len(keys) < 2:
        raise ValueError(f"groups holds one group ({keys[0]!r}); a gap needs at least two")

    def gap(idx: np.ndarray) -> float:
        values = [_rates(y[idx][g[idx] == k], p[idx][g[idx] == k])[rate] for k in keys]
        return float(np.nanmax(values) - np.nanmin(values))

    boot = np.array([gap(i) for i in _resamples(g, n_resamples, check_int("seed", seed, minimum=0))])
    low, high = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
    return {"gap": gap(np.arange(len(y))), "low": float(low), "high": float(high)}


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
