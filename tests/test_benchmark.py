"""hclib.benchmark: steps timed in shuffled rounds, paired ratios, and the serving benchmark built on them."""
import time

import numpy as np
import pandas as pd
import pytest

from hclib.benchmark import step_ratio, time_in_rounds, time_variants


def sleeper(seconds):
    def predict(texts):
        time.sleep(seconds)
        return np.full(len(texts), 0.7)
    return predict


def test_variants_get_the_same_texts_in_each_round_and_their_calls_are_timed():
    seen = {"a": [], "b": []}

    def recorder(name, seconds):
        def predict(texts):
            seen[name].append(tuple(texts))
            time.sleep(seconds)
            return [0.5] * len(texts)
        return predict

    texts = [f"review {i}" for i in range(7)]
    t = time_variants({"a": recorder("a", 0.002), "b": recorder("b", 0.006)}, texts, rounds=4, calls=3, batch=5,
                      warmup=1, seed=2)
    assert sorted(seen["a"]) == sorted(seen["b"]) and len(seen["a"]) == 5 * (3 + 1)
    calls = t[t.kind == "call"]
    assert len(calls) == 2 * 4 * 3 and set(calls.repeat) == {0, 1, 2, 3}
    per_round = calls.groupby(["repeat", "step"], as_index=False).seconds.median()
    r = step_ratio(per_round, "b", "a")
    assert 1.5 < r["low"] <= r["ratio"] <= r["high"] < 6
    assert len(t[t.kind == "batch"]) == 8


@pytest.mark.parametrize("call,error,match", [
    (lambda: time_variants({}, ["a"], rounds=2), TypeError, "non-empty dict"),
    (lambda: time_variants({"m": "model"}, ["a"], rounds=2), TypeError, "must be a function"),
    (lambda: time_variants({"m": sleeper(0)}, ["a"], rounds=2, calls=0), ValueError, "calls must be an integer"),
    (lambda: time_variants({"m": sleeper(0)}, ["a"], rounds=1), ValueError, "repeats must be an integer >= 2"),
])
def test_bad_arguments_name_the_fix(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_rounds_pair_steps_and_shuffle_their_order():
    order = []
    steps = {"a": lambda: order.append("a"), "b": lambda: (order.append("b"), sum(range(20_000)))}
    times = time_in_rounds(steps, repeats=12, warmup=0, seed=1)
    assert len(times) == 24 and set(times.step) == {"a", "b"}
    assert order[0::2].count("a") not in (0, 12), "the order within a round is shuffled"
    r = step_ratio(times, "b", "a")
    assert r["low"] <= r["ratio"] <= r["high"] and r["ratio"] > 1 and r["n"] == 12
    with pytest.raises(ValueError, match="no step named"):
        step_ratio(times, "c", "a")
    with pytest.raises(TypeError, match="time_in_rounds"):
        step_ratio(pd.DataFrame({"x": [1]}), "a", "b")
    with pytest.raises(ValueError, match="repeats"):
        time_in_rounds({"a": lambda: None}, repeats=1)
    with pytest.raises(TypeError, match="no arguments"):
        time_in_rounds({"a": 3}, repeats=2)
