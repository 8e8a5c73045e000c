"""One benchmark for every served variant of a model: size, latency, throughput, accuracy.

- **latency**: one text a call (batch 1), after ``warmup`` calls that are not timed; the 50th and
  95th percentiles of the wall time of each call, in milliseconds;
- **throughput**: texts a second at ``batch`` texts a call;
- **accuracy**: on the labelled test texts, with each variant's predictions kept so that two
  variants can be compared by a paired bootstrap (:func:`hclib.metrics.paired_bootstrap`).

Times are wall-clock (``time.perf_counter``), with no profiler attached; the thread count is the
predictor's own (see :mod:`hclib.inference`) and belongs in every table that shows these numbers.

>>> fake = lambda texts: [0.9 for _ in texts]
>>> r = latency(fake, ["a", "b"], warmup=1, calls=5)
>>> sorted(r), r["calls"]
(['calls', 'p50_ms', 'p95_ms', 'times_ms'], 5)
"""
from __future__ import annotations

import time
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from hclib.metrics import paired_ratio
from hclib.validate import check_array, check_int, check_number, check_str, check_strings


def _check_predict(predict) -> None:
    if not callable(predict):
        raise TypeError(f"predict must be a function from a list of texts to probabilities, got {predict!r}")


def latency(predict: Callable[[list[str]], Sequence[float]], texts: Sequence[str], warmup: int = 10,
            calls: int = 100) -> dict[str, float]:
    """Batch-1 latency: ``calls`` timed calls of ``predict([text])``, cycling through ``texts``.

    >>> latency(lambda t: [0.5], ["x"], warmup=0, calls=3)["calls"]
    3
    """
    _check_predict(predict)
    texts = check_strings("texts", texts)
    warmup = check_int("warmup", warmup, minimum=0)
    calls = check_int("calls", calls, minimum=1)
    for i in range(warmup):
        predict([texts[i % len(texts)]])
    times = np.empty(calls)
    for i in range(calls):
        text = texts[i % len(texts)]
        start = time.perf_counter()
        predict([text])
        times[i] = time.perf_counter() - start
    return {"p50_ms": float(np.percentile(times, 50) * 1000), "p95_ms": float(np.percentile(times, 95) * 1000),
            "calls": calls, "times_ms": times * 1000}


def median_ratio(times_a: Sequence[float], times_b: Sequence[float], n_resamples: int = 2000,
                 level: float = 0.95, seed: int = 0) -> dict[str, float]:
    """``median(a) / median(b)`` of two latency samples timed on the same texts in the same order, with a
    paired percentile-bootstrap interval (the calls are resampled together). It holds the call-to-call
    noise of one session, not the differences between sessions or machines.

    >>> r = median_ratio([2.0, 2.2, 1.8] * 20, [1.0, 1.1, 0.9] * 20)
    >>> round(r["ratio"], 2), r["low"] <= 2.0 <= r["high"]
    (2.0, True)
    """
    a = check_array("times_a", times_a, ndim=1, min_rows=2)
    b = check_array("times_b", times_b, ndim=1, min_rows=2)
    if len(a) != len(b):
        raise ValueError(f"times_a has {len(a)} calls, times_b {len(b)}; time both on the same texts")
    if (a <= 0).any() or (b <= 0).any():
        raise ValueError("latencies must be positive times")
    n_resamples = check_int("n_resamples", n_resamples, minimum=100)
    level = check_number("level", level, minimum=0, maximum=1, low_open=True, high_open=True)
    idx = np.random.default_rng(seed).integers(0, len(a), size=(n_resamples, len(a)))
    ratios = np.median(a[idx], axis=1) / np.median(b[idx], axis=1)
    low, high = np.quantile(ratios, [(1 - level) / 2, (1 + level) / 2])
    return {"ratio": float(np.median(a) / np.median(b)), "low": float(low), "high": float(high)}


def throughput(predict: Callable[[list[str]], Sequence[float]], texts: Sequence[str], batch: int = 32,
               warmup: int = 1, batches: int = 8) -> float:
    """Texts a second when ``predict`` gets ``batch`` texts a call (``batches`` timed calls).

    >>> throughput(lambda t: [0.5] * len(t), ["x"] * 64, batch=32, batches=2) > 0
    True
    """
    _check_predict(predict)
    texts = check_strings("texts", texts)
    batch = check_int("batch", batch, minimum=1)
    warmup = check_int("warmup", warmup, minimum=0)
    batches = check_int("batches", batches, minimum=1)
    chunks = [[texts[(i * batch + j) % len(texts)] for j in range(batch)] for i in range(batches)]
    for i in range(warmup):
        predict(chunks[i % len(chunks)])
    start = time.perf_counter()
    for chunk in chunks:
        predict(chunk)
    return batch * batches / (time.perf_counter() - start)


def benchmark(predict: Callable[[list[str]], Sequence[float]], texts: Sequence[str], labels: Sequence[int],
              timing_texts: Sequence[str] | None = None, warmup: int = 10, calls: int = 100,
              batch: int = 32, batches: int = 8) -> dict:
    """Latency, throughput and test accuracy of one variant; ``probs`` keeps its predictions.

    ``timing_texts`` (default: ``texts``) are the texts the timings cycle through.

    >>> r = benchmark(lambda t: np.full(len(t), 0.9), ["a", "b"], [1, 0], warmup=0, calls=2, batches=1)
    >>> r["accuracy"]
    0.5
    """
    texts = check_strings("texts", texts)
    labels = np.asarray(labels)
    if len(labels) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels; pass one label a text")
    timing = check_strings("timing_texts", timing_texts) if timing_texts is not None else texts
    probs = np.asarray(predict(texts), dtype=float)
    row = latency(predict, timing, warmup=warmup, calls=calls)
    row["texts_per_s"] = throughput(predict, timing, batch=batch, batches=batches)
    row["accuracy"] = float(((probs > 0.5).astype(int) == labels).mean())
    row["probs"] = probs
    return row


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
