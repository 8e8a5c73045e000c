"""Hyper-parameter search on one budget: a grid, random draws, or a model-based optimiser (Optuna's TPE).

A search space maps each hyper-parameter's name to a :class:`Param` (a range, on a log scale or not,
integer or not). :func:`search` spends ``n_trials`` calls of an objective (higher is better, e.g. a
validation AUC) on one of three methods, and returns one row a trial with the setting tried, its score, the
seconds the objective took, the seconds the method itself spent choosing, and the best score so far:
everything needed to plot score against compute and to price the search.

- ``"grid"``: the largest grid with at most ``n_trials`` points, levels shared out as evenly as the
  parameters allow, each level at the centre of an equal cell of the range (so no trial sits on an edge);
  the points are tried in a seeded random order, so a grid stopped early has not seen one corner only.
- ``"random"``: independent draws from the same ranges (Bergstra and Bengio, 2012).
- ``"tpe"``: Optuna's Tree-structured Parzen Estimator (Bergstra et al., 2011), asked for a setting and
  told its score after each trial; its first trials are random draws.

>>> space = {"x": Param(-3.0, 3.0), "n": Param(1, 9, integer=True)}
>>> trace = search(lambda p: -(p["x"] - 1) ** 2 - abs(p["n"] - 5), space, "random", n_trials=20, seed=0)
>>> len(trace), list(trace.columns[:4]), bool((trace["best"].diff().dropna() >= 0).all())
(20, ['method', 'trial', 'x', 'n'], True)
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from itertools import product
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from hclib.validate import check_choice, check_int, check_number

METHODS = ("grid", "random", "tpe")


@dataclass(frozen=True)
class Param:
    """A hyper-parameter's range ``[low, high]``; ``log`` draws it on a log scale, ``integer`` rounds it.

    >>> [round(v, 3) for v in Param(0.01, 1.0, log=True).levels(3)]
    [0.022, 0.1, 0.464]
    """

    low: float
    high: float
    log: bool = False
    integer: bool = False

    def __post_init__(self) -> None:
        for name in ("log", "integer"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"Param {name} must be True or False, got {getattr(self, name)!r}")
        low = check_number("Param low", self.low, minimum=0 if self.log else None, low_open=self.log)
        high = check_number("Param high", self.high)
        if high <= low:
            raise ValueError(f"Param high={high!r} must be above low={low!r}: pass the range as (low, high)")
        if self.integer and (low != int(low) or high != int(high)):
            raise ValueError(f"an integer Param needs whole-number ends, got low={low!r}, high={high!r}")
        object.__setattr__(self, "low", int(low) if self.integer else low)
        object.__setattr__(self, "high", int(high) if self.integer else high)

    def _value(self, u: float) -> float | int:
        """The value at position ``u`` in [0, 1] of the range (on the log scale when ``log``)."""
        if self.log:
            value = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            value = self.low + u * (self.high - self.low)
        return min(max(round(value), self.low), self.high) if self.integer else float(value)

    def levels(self, k: int) -> list:
        """``k`` grid levels: the centres of ``k`` equal cells of the range (distinct for integers)."""
        k = check_int("k (grid levels)", k, minimum=1, maximum=100_000)
        return list(dict.fromkeys(self._value((i + 0.5) / k) for i in range(k)))

    def sample(self, rng: np.random.Generator) -> float | int:
        """One draw, uniform over the range (log-uniform when ``log``)."""
        return self._value(float(rng.uniform()))


def _check_space(space: Mapping[str, Param]) -> dict[str, Param]:
    if not isinstance(space, Mapping) or not space:
        raise TypeError("space must be a non-empty dict {name: Param(low, high)}, e.g. "
                        "{'learning_rate': Param(0.01, 1.0, log=True)}")
    for name, param in space.items():
        if not isinstance(name, str) or not name or name in ("method", "trial", "score", "best"):
            raise ValueError(f"space: {name!r} cannot name a hyper-parameter; use a string that is not "
                             "'method', 'trial', 'score' or 'best'")
        if not isinstance(param, Param):
            raise TypeError(f"space[{name!r}] must be a Param(low, high, log=..., integer=...), got {param!r}")
    return dict(space)


def grid_levels(space: Mapping[str, Param], n_trials: int) -> dict[str, int]:
    """Levels per parameter of the largest grid with at most ``n_trials`` points, shared out in turn.

    >>> grid_levels({"a": Param(0, 1), "b": Param(0, 1), "c": Param(0, 1)}, 12)
    {'a': 3, 'b': 2, 'c': 2}
    """
    space = _check_space(space)
    n_trials = check_int("n_trials", n_trials, minimum=1, maximum=100_000)
    levels = {name: 1 for name in space}
    grown = True
    while grown:
        grown = False
        for name in space:
            if math.prod(levels.values()) // levels[name] * (levels[name] + 1) <= n_trials:
                levels[name] += 1
                grown = True
    return levels


def search(objective: Callable[[dict], float], space: Mapping[str, Param], method: str, n_trials: int,
           seed: int = 0) -> pd.DataFrame:
    """Spend up to ``n_trials`` calls of ``objective(setting) -> score`` (higher is better) with ``method``.

    Returns one row a trial: ``method``, ``trial``, the setting, ``score``, ``objective_seconds`` (the
    call's wall time), ``method_seconds`` (time spent choosing the setting and, for TPE, updating its
    model), ``seconds`` (their sum, running total) and ``best`` (the best score so far). The grid may use
    fewer trials than ``n_trials`` (its largest grid that fits); integer parameters with few values may
    repeat a grid level, and then the grid is smaller still.
    """
    if not callable(objective):
        raise TypeError(f"objective must be a function setting -> score, got {objective!r}")
    space = _check_space(space)
    method = check_choice("method", method, METHODS)
    n_trials = check_int("n_trials", n_trials, minimum=1, maximum=100_000)
    seed = check_int("seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    if method == "grid":
        axes = {name: space[name].levels(k) for name, k in grid_levels(space, n_trials).items()}
        points = [dict(zip(axes, values)) for values in product(*axes.values())]
        points = [points[i] for i in rng.permutation(len(points))]
    study = None
    if method == "tpe":
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
        distributions = {
            name: (optuna.distributions.IntDistribution(p.low, p.high, log=p.log) if p.integer
                   else optuna.distributions.FloatDistribution(p.low, p.high, log=p.log))
            for name, p in space.items()}
    rows = []
    for trial in range(len(points) if method == "grid" else n_trials):
        start = time.perf_counter()
        if method == "grid":
            setting = points[trial]
        elif method == "random":
            setting = {name: p.sample(rng) for name, p in space.items()}
        else:
            asked = study.ask(distributions)
            setting = dict(asked.params)
        chosen = time.perf_counter()
        score = objective(dict(setting))
        scored = time.perf_counter()
        if isinstance(score, (bool, np.bool_)) or not isinstance(score, (int, float, np.number)) \
                or not math.isfinite(float(score)):
            raise ValueError(f"objective returned {score!r} for {setting}; it must return a finite number "
                             "(higher is better, e.g. a validation AUC)")
        if study is not None:
            study.tell(asked, float(score))
        told = time.perf_counter()
        rows.append({"method": method, "trial": trial, **setting, "score": float(score),
                     "objective_seconds": scored - chosen, "method_seconds": (chosen - start) + (told - scored)})
    trace = pd.DataFrame(rows)
    trace["seconds"] = (trace["objective_seconds"] + trace["method_seconds"]).cumsum()
    trace["best"] = trace["score"].cummax()
    return trace


def best_setting(trace: pd.DataFrame) -> dict:
    """The setting of the trace's best-scoring trial (the first one, on a tie).

    >>> best_setting(search(lambda p: -abs(p["x"]), {"x": Param(-1.0, 1.0)}, "grid", n_trials=3))
    {'x': 0.0}
    """
    if not isinstance(trace, pd.DataFrame) or not {"score", "method_seconds", "seconds"} <= set(trace.columns) \
            or trace.empty:
        raise TypeError("trace must be the DataFrame search() returns (non-empty)")
    fixed = {"method", "trial", "score", "objective_seconds", "method_seconds", "seconds", "best"}
    row = trace.loc[trace["score"].idxmax()]
    return {name: (row[name].item() if hasattr(row[name], "item") else row[name])
            for name in trace.columns if name not in fixed}
