"""hclib.benchmark: latency percentiles, throughput, accuracy and the paired latency ratio."""
import time

import numpy as np
import pandas as pd
import pytest

from hclib.benchmark import benchmark, latency, median_ratio, step_ratio, throughput, time_in_rounds


def sleeper(seconds):
    def predict(texts):
        time.sleep(seconds)
        return np.full(len(texts), 0.7)
    return predict


def test_latency_measures_the_call_and_skips_warmup():
    calls = []
    r = latency(lambda t: calls.append(t) or [0.5], ["a", "b"], warmup=3, calls=4)
    assert len(calls) == 7 and r["calls"] == 4 and len(r["times_ms"]) == 4
    slow = latency(sleeper(0.01), ["a"], warmup=0, calls=5)
    assert 9 <= slow["p50_ms"] <= slow["p95_ms"] < 200


def test_throughput_counts_texts_not_calls():
    assert 1000 < throughput(sleeper(0.01), ["a"], batch=32, warmup=0, batches=3) < 3300


def test_benchmark_scores_accuracy_at_one_half():
    r = benchmark(lambda t: np.array([0.9, 0.2, 0.6]), ["a", "b", "c"], [1, 0, 0], warmup=0, calls=2, batches=1)
    assert r["accuracy"] == pytest.approx(2 / 3) and r["probs"].tolist() == [0.9, 0.2, 0.6]


def test_median_ratio_interval_holds_the_ratio():
    rng = np.random.default_rng(0)
    slow, fast = rng.uniform(9, 11, 200), rng.uniform(4.5, 5.5, 200)
    r = median_ratio(slow, fast)
    assert r["low"] < r["ratio"] < r["high"] and 1.8 < r["ratio"] < 2.2


@pytest.mark.parametrize("call,error,match", [
    (lambda: latency("model", ["a"]), TypeError, "predict must be a function"),
    (lambda: latency(lambda t: [0.5], ["a"], calls=0), ValueError, "calls must be an integer >= 1"),
    (lambda: throughput(lambda t: t, ["a"], batch=0), ValueError, "batch must be an integer >= 1"),
    (lambda: benchmark(lambda t: t, ["a", "b"], [1]), ValueError, "2 texts but 1 labels"),
    (lambda: median_ratio([1.0, 2.0, 3.0], [1.0, 2.0]), ValueError, "time both on the same texts"),
    (lambda: median_ratio([1.0, -2.0], [1.0, 1.0]), ValueError, "latencies must be positive"),
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
