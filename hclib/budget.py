"""Label-budget curves: how many labels a method needs to reach a score, and how many another saves.

A curve is a method's mean score at each label budget (over seeds, each seed drawing its own labels).
The labels a method needs for a target score are read off its curve by linear interpolation on the
log scale of the budget, between the two budgets that bracket the target; a curve that never reaches
the target inside the grid gives NaN, never an extrapolation. "Labels saved" by method B over method A
at that target is A's need minus B's, the horizontal distance between the curves, and its interval
comes from resampling the seeds (each seed draws one run's labels and initial weights for every
method and budget), with replicates that miss the target counted, not dropped.

>>> labels_to_reach([100, 1000, 10000], [0.5, 0.7, 0.8], target=0.6)
316.2...
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from hclib.validate import check_int, check_number


def labels_to_reach(budgets: Sequence[float], scores: Sequence[float], target: float) -> float:
    """Budget at which the curve first reaches ``target`` (log-linear interpolation); NaN if it never does
    inside the grid, or if it is already above the target at the smallest budget.

    The curve is made non-decreasing first (a running maximum), so noise cannot make it cross twice.
    """
    budgets, scores = np.asarray(budgets, dtype=float), np.asarray(scores, dtype=float)
    if budgets.ndim != 1 or budgets.shape != scores.shape or len(budgets) < 2:
        raise ValueError(f"budgets and scores must be two 1-d sequences of the same length >= 2, got shapes "
                         f"{budgets.shape} and {scores.shape}")
    if (budgets <= 0).any() or (np.diff(budgets) <= 0).any():
        raise ValueError(f"budgets must be positive and increasing, got {budgets.tolist()}")
    target = check_number("target", target)
    best = np.maximum.accumulate(scores)
    if best[-1] < target:
        return float("nan")
    i = int(np.argmax(best >= target))
    if i == 0:  # already above the target at the smallest budget: where it crossed is outside the grid
        return float(budgets[0]) if scores[0] == target else float("nan")
    lo, hi = best[i - 1], best[i]
    share = (target - lo) / (hi - lo)
    return float(np.exp(np.log(budgets[i - 1]) + share * (np.log(budgets[i]) - np.log(budgets[i - 1]))))


def _needs(table: pd.DataFrame, method: str, target: float) -> float:
    curve = table[table.method == method].groupby("labels")["score"].mean().sort_index()
    return labels_to_reach(curve.index.to_numpy(float), curve.to_numpy(float), target)


def _order_statistic(values: np.ndarray, q: float) -> float:
    """The smallest value with at least a share ``q`` of ``values`` at or below it (infinities allowed)."""
    ordered = np.sort(values)
    return float(ordered[max(int(np.ceil(q * len(ordered))) - 1, 0)])


def labels_saved(runs: pd.DataFrame, slower: str, faster: str, target: float, n_resamples: int = 2000,
                 level: float = 0.95, seed: int = 0, unit: str = "seed") -> dict[str, float]:
    """Labels ``faster`` saves over ``slower`` to reach ``target``, with a bootstrap interval.

    ``runs`` has one row a run with the columns ``method``, ``labels``, ``score`` and ``unit`` (the seed
    that drew the run's labels and initial weights, shared by both methods). Each bootstrap replicate
    draws units with replacement and keeps every run of the drawn units, for both methods and all budgets
    at once, so the pairing of the methods on the same label draws is kept. A replicate in which only the
    slower curve misses the target counts as an unbounded saving (+inf), only the faster one as -inf, and
    one in which both miss widens both ends of the interval; none is dropped. An interval end outside
    the grid is therefore infinite. Returns the saving (NaN where either mean curve does not reach the
    target inside the grid), its interval, both needs, their ratio, and the share of replicates in
    which both curves reached the target.

    >>> runs = pd.DataFrame({"method": ["a"] * 6 + ["b"] * 6, "labels": [100, 100, 1000, 1000, 10000, 10000] * 2,
    ...                      "seed": [0, 1] * 6,
    ...                      "score": [.4, .42, .6, .62, .8, .82, .6, .62, .8, .82, .85, .86]})
    >>> r = labels_saved(runs, "a", "b", target=0.65, n_resamples=200)
    >>> round(r["slower_needs"]), round(r["faster_needs"]), r["low"] > 0
    (1585, 158, True)
    """
    missing = {"method", "labels", "score", unit} - set(getattr(runs, "columns", []))
    if missing:
        raise ValueError(f"runs must be a DataFrame with the columns method, labels, score and {unit!r} (unit=); "
                         f"missing {sorted(missing)}")
    for name, method in (("slower", slower), ("faster", faster)):
        if method not in set(runs.method):
            raise ValueError(f"{name}={method!r} is not a method of runs; choose from {sorted(set(runs.method))}")
    n_resamples = check_int("n_resamples", n_resamples, minimum=10)
    level = check_number("level", level, minimum=0.5, maximum=1, high_open=True)
    table = runs[runs.method.isin([slower, faster])][["method", "labels", "score", unit]].reset_index(drop=True)
    slow, fast = _needs(table, slower, target), _needs(table, faster, target)
    by_unit = {u: idx.to_numpy() for u, idx in table.groupby(unit).groups.items()}
    units = list(by_unit)
    rng = np.random.default_rng(seed)
    saved = np.empty(n_resamples)
    for r in range(n_resamples):
        sample = table.iloc[np.concatenate([by_unit[units[i]] for i in rng.integers(len(units), size=len(units))])]
        s, f = _needs(sample, slower, target), _needs(sample, faster, target)
        saved[r] = s - f if np.isfinite(s) and np.isfinite(f) else (
            np.inf if np.isfinite(f) else -np.inf if np.isfinite(s) else np.nan)
    tail = (1 - level) / 2
    low = _order_statistic(np.where(np.isnan(saved), -np.inf, saved), tail)
    high = _order_statistic(np.where(np.isnan(saved), np.inf, saved), 1 - tail)
    return {"saved": slow - fast, "low": float(low), "high": float(high), "slower_needs": slow,
            "faster_needs": fast, "ratio": slow / fast, "reached_share": float(np.isfinite(saved).mean())}
