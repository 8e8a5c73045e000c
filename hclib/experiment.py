"""Run a comparison the way the book reports one: named settings x seeds (x data draws), then paired differences.

Every comparison in the book has the same three steps:

1. :func:`run_settings` calls one run function for each named setting, seed and data draw, times it and
   collects what it returns into one tidy table (a row a run).
2. :func:`paired_differences` compares each setting with a baseline *on the same seeds and draws*: the mean
   of the per-unit differences with a 95 % Student-t interval, and a verdict read from the interval
   ("helps", "hurts" or "cannot tell").
3. :func:`seeds_needed` says how many seeds (or draws) a comparison needs to resolve an effect of a given
   size from the spread it measured.

>>> def run(seed, draw, shift):
...     return {"accuracy": 0.7 + shift + 0.01 * ((seed * 7 + draw) % 3)}
>>> table = run_settings(run, {"baseline": {"shift": 0.0}, "better": {"shift": 0.02}}, seeds=range(4))
>>> paired_differences(table, "accuracy", baseline="baseline").loc["better", "verdict"]
'helps'
"""
from __future__ import annotations

import time
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from hclib.metrics import mean_interval
from hclib.validate import check_int, check_list, check_number, check_str

UNIT = ("seed", "draw")  # the columns that pair two runs: the same seed on the same data draw


def _check_ints(name: str, values: Iterable[int]) -> list[int]:
    values = check_list(name, values, min_length=1)
    values = [check_int(f"{name}[{i}]", v, minimum=0) for i, v in enumerate(values)]
    if len(set(values)) != len(values):
        raise ValueError(f"{name} holds repeated values {values}; each must appear once")
    return values


def run_settings(run: Callable[..., Mapping], settings: Mapping[str, Mapping], seeds: Iterable[int],
                 draws: Iterable[int] = (0,), progress: bool = False) -> pd.DataFrame:
    """Call ``run(seed=, draw=, **settings[name])`` for every setting, seed and draw; one row a run.

    ``run`` returns a mapping of results (numbers, or arrays such as predicted probabilities, which stay in
    the table for ensembles). The table has the columns ``setting``, ``seed``, ``draw``, the returned keys,
    and ``seconds`` (the wall time of the call) unless ``run`` returns its own ``seconds`` (for example the
    training time alone). Settings run in the order given, all seeds and draws of one before the next.
    """
    if not callable(run):
        raise TypeError(f"run must be a function run(seed=, draw=, **setting) -> dict, got {run!r}")
    if not isinstance(settings, Mapping) or not settings:
        raise TypeError("settings must be a non-empty dict {name: {argument: value}}, e.g. "
                        "{'baseline': {}, 'dropout 0.3': {'dropout': 0.3}}")
    for name, params in settings.items():
        check_str("settings key (a setting's name)", name)
        if not isinstance(params, Mapping):
            raise TypeError(f"settings[{name!r}] must be a dict of run()'s arguments, got {params!r}")
        clash = {"seed", "draw"} & set(params)
        if clash:
            raise ValueError(f"settings[{name!r}] sets {sorted(clash)}; seeds and draws come from run_settings' "
                             "own seeds= and draws= arguments")
    seeds, draws = _check_ints("seeds", seeds), _check_ints("draws", draws)
    rows = []
    for name, params in settings.items():
        started = time.perf_counter()
        for draw in draws:
            for seed in seeds:
                start = time.perf_counter()
                result = run(seed=seed, draw=draw, **params)
                seconds = time.perf_counter() - start
                if not isinstance(result, Mapping):
                    raise TypeError(f"run returned {type(result).__name__} for setting {name!r}; it must return a "
                                    "dict of results, e.g. {'accuracy': 0.81}")
                reserved = {"setting", "seed", "draw"} & set(result)
                if reserved:
                    raise ValueError(f"run's result holds {sorted(reserved)}, which run_settings fills itself; "
                                     "rename those keys")
                rows.append({"setting": name, "seed": seed, "draw": draw, "seconds": seconds, **result})
        if progress:
            print(f"{name}: {len(seeds) * len(draws)} runs in {time.perf_counter() - started:.1f} s")
    return pd.DataFrame(rows)


def _check_direction(higher_is_better) -> None:
    if not isinstance(higher_is_better, (bool, np.bool_)):
        raise TypeError(f"higher_is_better must be True (accuracy) or False (a loss), got {higher_is_better!r}")


def verdict(low: float, high: float, higher_is_better: bool = True) -> str:
    """'helps', 'hurts' or 'cannot tell', read from a difference's interval (setting minus baseline).

    >>> verdict(0.002, 0.011), verdict(-0.03, 0.01), verdict(-0.03, -0.01, higher_is_better=False)
    ('helps', 'cannot tell', 'helps')
    """
    low, high = check_number("low", low), check_number("high", high)
    _check_direction(higher_is_better)
    if low > high:
        raise ValueError(f"low={low} is above high={high}; pass the interval's ends in order")
    if low > 0:
        return "helps" if higher_is_better else "hurts"
    if high < 0:
        return "hurts" if higher_is_better else "helps"
    return "cannot tell"


def seeds_needed(sd_diff: float, effect: float, level: float = 0.95, power: float = 0.8) -> int:
    """Smallest number of paired runs that resolves a true difference of ``effect``.

    With ``n`` paired runs whose differences have standard deviation ``sd_diff``, the test at ``level``
    detects a true difference ``effect`` with probability about ``power`` when
    ``(t_{(1+level)/2, n-1} + t_{power, n-1}) * sd_diff / sqrt(n) <= effect``. ``power=0.5`` asks only that
    the interval's half-width fall below ``effect``.

    >>> seeds_needed(0.01, 0.01, power=0.5), seeds_needed(0.01, 0.01)
    (7, 10)
    """
    sd_diff = check_number("sd_diff (the spread of the paired differences)", sd_diff, minimum=0)
    effect = check_number("effect (the difference to resolve, > 0)", effect, minimum=0, low_open=True)
    level = check_number("level (e.g. 0.95)", level, minimum=0, maximum=1, low_open=True, high_open=True)
    power = check_number("power (e.g. 0.8)", power, minimum=0.5, maximum=1, high_open=True)
    if sd_diff == 0:
        return 2
    for low, high in ((2, 1_001), (1_001, 1_000_001)):  # the common case first: under a thousand runs
        n = np.arange(low, high)
        reach = (stats.t.ppf((1 + level) / 2, n - 1) + stats.t.ppf(power, n - 1)) * sd_diff / np.sqrt(n)
        if (reach <= effect).any():
            return int(n[np.argmax(reach <= effect)])
    raise ValueError(f"no number of runs up to a million resolves effect={effect} with sd_diff={sd_diff}; "
                     "shrink the spread (a larger test set, a steadier recipe) or ask about a larger effect")


def paired_differences(table: pd.DataFrame, metric: str, baseline: str, level: float = 0.95,
                       effect: float | None = None, higher_is_better: bool = True,
                       unit: Sequence[str] = UNIT, test_train_ratio: float | None = None) -> pd.DataFrame:
    """Each setting of ``table`` against ``baseline`` on the runs they share (same seed and draw).

    One row a setting: its mean and standard deviation of ``metric``, the mean paired difference
    (setting minus baseline) with its Student-t interval at ``level``, the difference's standard deviation
    ``sd_diff``, the number of pairs ``n``, the verdict, and, when ``effect`` is given, the paired runs needed
    to resolve a difference of that size (:func:`seeds_needed`). The baseline's own row has no difference.
    When the draws are random splits of one data set, pass ``test_train_ratio`` (test over fitting examples
    of one split) for Nadeau and Bengio's corrected interval (:func:`hclib.metrics.mean_interval`).
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be the DataFrame run_settings returns, got {type(table).__name__}")
    metric, baseline = check_str("metric", metric), check_str("baseline", baseline)
    if isinstance(unit, str) or not isinstance(unit, Sequence) or not unit:
        raise TypeError(f"unit must be a list of the columns that pair runs, e.g. ('seed', 'draw'), got {unit!r}")
    unit = [check_str("unit", u) for u in unit]
    missing = [c for c in ("setting", metric, *unit) if c not in table.columns]
    if missing:
        raise ValueError(f"table has no column(s) {missing} (metric={metric!r}, unit={unit}); its columns are "
                         f"{list(table.columns)}")
    settings = list(dict.fromkeys(table["setting"]))
    if baseline not in settings:
        raise ValueError(f"baseline={baseline!r} is not a setting of the table; the settings are {settings}")
    level = check_number("level (e.g. 0.95)", level, minimum=0, maximum=1, low_open=True, high_open=True)
    _check_direction(higher_is_better)
    if effect is not None:
        effect = check_number("effect (the difference to resolve, > 0)", effect, minimum=0, low_open=True)
    values = pd.to_numeric(table[metric], errors="coerce")
    if values.isna().any():
        raise ValueError(f"column {metric!r} holds values that are not numbers (or NaN); compare a numeric metric")
    frame = table.assign(_value=values)
    if frame.duplicated(["setting", *unit]).any():
        raise ValueError(f"some setting has two runs with the same {unit}; each (setting, {', '.join(unit)}) must "
                         "appear once for the runs to pair")
    base = frame[frame.setting == baseline].set_index(unit)["_value"]
    rows = []
    for name in settings:
        part = frame[frame.setting == name].set_index(unit)["_value"]
        row = {"setting": name, "n": len(part), "mean": float(part.mean()),
               "sd": float(part.std(ddof=1)) if len(part) > 1 else np.nan}
        if name != baseline:
            shared = part.index.intersection(base.index)
            if len(shared) < 2:
                raise ValueError(f"setting {name!r} shares {len(shared)} (seed, draw) pair(s) with the baseline; "
                                 "a paired interval needs at least two: run both on the same seeds and draws")
            diff = (part.loc[shared] - base.loc[shared]).to_numpy()
            r = mean_interval(diff, level, test_train_ratio)
            row.update(n=len(diff), diff=r["mean"], low=r["low"], high=r["high"], sd_diff=r["std"],
                       verdict=verdict(r["low"], r["high"], higher_is_better))
            if effect is not None:
                row["seeds_needed"] = seeds_needed(r["std"], effect, level)
        rows.append(row)
    return pd.DataFrame(rows).set_index("setting")
