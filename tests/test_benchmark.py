"""hclib.benchmark: latency percentiles, throughput, accuracy and the paired latency ratio."""
import time

import numpy as np
import pytest

from hclib.benchmark import benchmark, latency, median_ratio, throughput


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
