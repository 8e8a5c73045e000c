"""Timing served variants of a model fairly: in rounds, in a shuffled order, paired by round.

- :func:`time_in_rounds` runs named steps once each a round, in a shuffled order, and records the wall
  seconds of each; a slow spell of a shared machine then hits every step alike and the rounds pair them;
- :func:`step_ratio` reads one step's time over another's from those rounds, with a paired interval
  (:func:`hclib.metrics.paired_ratio`);
- :func:`time_variants` builds the steps of a serving benchmark for several predictors: in each round,
  single-text calls (latency at batch 1) and one call of a batch (throughput) on the same texts for all.

Times are wall-clock (``time.perf_counter``), with no profiler attached; the thread count is the
predictor's own (see :mod:`hclib.inference`) and belongs in every table that shows these numbers.

>>> fake = {"a": lambda texts: [0.9] * len(texts), "b": lambda texts: [0.1] * len(texts)}
>>> t = time_variants(fake, ["x", "y"], rounds=3, calls=2, batch=4)
>>> sorted(t.kind.unique()), len(t)
(['batch', 'call'], 18)
"""
from __future__ import annotations

import itertools
import time
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from hclib.metrics import paired_ratio
from hclib.validate import check_int, check_str, check_strings


def time_variants(predictors: Mapping[str, Callable[[list[str]], Sequence[float]]], texts: Sequence[str],
                  rounds: int, calls: int = 10, batch: int = 32, warmup: int = 1, seed: int = 0) -> pd.DataFrame:
    """Batch-1 latency and batch throughput of several predictors (texts in, probabilities out), timed in
    ``rounds`` rounds after ``warmup`` untimed ones by :func:`time_in_rounds`.

    In round ``r`` every predictor gets the same texts (cycling through ``texts``): ``calls`` calls of one
    text each, every call timed (rows of kind ``"call"``), and one call of ``batch`` texts (kind
    ``"batch"``); the two steps of every predictor are shuffled together within the round. Returns the
    columns ``repeat`` (the round), ``step`` (the predictor's name), ``kind`` and ``seconds``; the per-round
    medians of the calls, or the batch rows, go to :func:`step_ratio`.

    >>> t = time_variants({"p": lambda texts: [0.5] * len(texts)}, ["a"], rounds=2, calls=3, batch=2)
    >>> t.groupby("kind").size().to_dict()
    {'batch': 2, 'call': 6}
    """
    if not isinstance(predictors, Mapping) or not predictors:
        raise TypeError("predictors must be a non-empty dict {name: function from texts to probabilities}")
    for name, predict in predictors.items():
        check_str("predictors' names", name)
        if not callable(predict):
            raise TypeError(f"predictors[{name!r}] must be a function from a list of texts to probabilities, "
                            f"got {predict!r}")
    texts = check_strings("texts", texts)
    calls = check_int("calls", calls, minimum=1)
    batch = check_int("batch", batch, minimum=1)
    warmup = check_int("warmup", warmup, minimum=0)
    timed: list[dict] = []

    def one_by_one(name: str, predict: Callable) -> Callable[[], None]:
        rounds_seen = itertools.count(-warmup)  # each step runs once a round: its own count is the round

        def step() -> None:
            r = next(rounds_seen)
            for j in range(calls):
                text = [texts[(r * calls + j) % len(texts)]]
                start = time.perf_counter()
                predict(text)
                if r >= 0:
                    timed.append({"repeat": r, "step": name, "kind": "call",
                                  "seconds": time.perf_counter() - start})
        return step

    def batched(predict: Callable) -> Callable[[], None]:
        rounds_seen = itertools.count(-warmup)

        def step() -> None:
            r = next(rounds_seen)
            predict([texts[(r * batch + j) % len(texts)] for j in range(batch)])
        return step

    steps: dict[str, Callable[[], None]] = {}
    batch_steps: dict[str, str] = {}  # step name -> predictor name
    for name, predict in predictors.items():
        steps[f"{name}, one text a call"] = one_by_one(name, predict)
        steps[f"{name}, a batch"] = batched(predict)
        batch_steps[f"{name}, a batch"] = name
    table = time_in_rounds(steps, rounds, warmup, seed)
    batches = table[table.step.isin(batch_steps)].assign(step=lambda t: t.step.map(batch_steps), kind="batch")
    return pd.concat([pd.DataFrame(timed), batches], ignore_index=True)[["repeat", "step", "kind", "seconds"]]


def time_in_rounds(steps: Mapping[str, Callable[[], Any]], repeats: int, warmup: int = 1,
                   seed: int | None = 0) -> pd.DataFrame:
    """Wall seconds of each named step, every step once a round, ``repeats`` rounds after ``warmup`` rounds.

    The order within a round is shuffled (``seed``; ``None`` keeps the given order), so neither a slow spell
    of a shared machine nor going first favours one step, and the rounds pair the steps for
    :func:`step_ratio`. Nothing else is measured meanwhile (no profiler, no memory tracker).

    >>> t = time_in_rounds({"short": lambda: sum(range(10)), "long": lambda: sum(range(10_000))}, repeats=3)
    >>> sorted(t.columns), len(t)
    (['repeat', 'seconds', 'step'], 6)
    """
    if not isinstance(steps, Mapping) or not steps:
        raise TypeError("steps must be a non-empty dict {name: function of no arguments}")
    for name, fn in steps.items():
        check_str("steps' names", name)
        if not callable(fn):
            raise TypeError(f"steps[{name!r}] must be a function of no arguments, got {fn!r}")
    repeats = check_int("repeats", repeats, minimum=2)
    warmup = check_int("warmup", warmup, minimum=0)
    rng = None if seed is None else np.random.default_rng(check_int("seed", seed, minimum=0))
    names = list(steps)
    rows = []
    for r in range(warmup + repeats):
        order = names if rng is None else [names[i] for i in rng.permutation(len(names))]
        for name in order:
            start = time.perf_counter()
            steps[name]()
            seconds = time.perf_counter() - start
            if r >= warmup:
                rows.append({"repeat": r - warmup, "step": name, "seconds": seconds})
    return pd.DataFrame(rows)


def step_ratio(table: pd.DataFrame, step: str, baseline: str, level: float = 0.95) -> dict[str, float]:
    """Time of ``step`` over time of ``baseline`` in a :func:`time_in_rounds` table, paired by round
    (:func:`hclib.metrics.paired_ratio`); above 1 means ``step`` is slower.

    >>> t = pd.DataFrame({"repeat": [0, 0, 1, 1, 2, 2], "step": ["a", "b"] * 3,
    ...                   "seconds": [1.0, 2.0, 1.1, 2.1, 0.9, 1.9]})
    >>> round(step_ratio(t, "b", "a")["ratio"], 2)
    2.01
    """
    if not isinstance(table, pd.DataFrame) or not {"repeat", "step", "seconds"} <= set(table.columns):
        raise TypeError("table must be the DataFrame time_in_rounds returns (columns repeat, step, seconds)")
    wide = table.pivot(index="repeat", columns="step", values="seconds")
    for name in (step, baseline):
        if name not in wide.columns:
            raise ValueError(f"no step named {name!r}; the steps are {list(wide.columns)}")
    both = wide[[step, baseline]].dropna()
    if len(both) < 2:
        raise ValueError("a paired interval needs at least two rounds that timed both steps")
    return paired_ratio(both[step].to_numpy(), both[baseline].to_numpy(), level)
