import math

import numpy as np
import pandas as pd
import pytest

from hclib.budget import labels_saved, labels_to_reach


def test_labels_to_reach_interpolates_on_the_log_scale_and_never_extrapolates():
    assert labels_to_reach([100, 10000], [0.5, 0.7], 0.6) == pytest.approx(1000)
    assert labels_to_reach([100, 1000], [0.5, 0.7], 0.5) == 100
    assert math.isnan(labels_to_reach([100, 1000], [0.5, 0.7], 0.8))  # never reached
    assert math.isnan(labels_to_reach([100, 1000], [0.5, 0.7], 0.4))  # reached before the grid starts
    # a noisy dip cannot make the curve reach the target twice: the running maximum is used
    assert labels_to_reach([100, 1000, 10000], [0.6, 0.55, 0.7], 0.6) == 100


def curves(gap_in_log10, seeds=3, noise=0.01, seed=0):
    rng = np.random.default_rng(seed)
    budgets = [100, 300, 1000, 3000, 10000]
    rows = []
    for method, shift in (("slow", 0.0), ("fast", gap_in_log10)):
        for n in budgets:
            for s in range(seeds):
                score = 0.2 * (np.log10(n) + shift) + rng.normal(0, noise)
                rows.append({"method": method, "labels": n, "seed": s, "score": score})
    return pd.DataFrame(rows)


def test_labels_saved_recovers_a_known_horizontal_gap_with_an_interval_around_it():
    runs = curves(gap_in_log10=0.5)  # fast needs 10**0.5 times fewer labels for any score
    r = labels_saved(runs, "slow", "fast", target=0.6, n_resamples=300)
    assert r["ratio"] == pytest.approx(10**0.5, rel=0.15)
    assert r["low"] < r["saved"] < r["high"] and r["low"] > 0
    assert r["reached_share"] == 1.0


def test_labels_saved_reports_nothing_where_a_curve_falls_short():
    r = labels_saved(curves(gap_in_log10=0.5), "slow", "fast", target=0.95, n_resamples=50)
    assert math.isnan(r["saved"]) and r["reached_share"] == 0
    assert r["low"] == -math.inf and r["high"] == math.inf  # both miss in every replicate: nothing is known


def test_labels_saved_counts_a_slower_curve_that_misses_as_an_unbounded_saving():
    # only the fast curve reaches 0.85 in the grid: every replicate saves "more than the grid holds"
    r = labels_saved(curves(gap_in_log10=0.5, noise=0.001), "slow", "fast", target=0.85, n_resamples=50)
    assert math.isnan(r["saved"]) and r["low"] == math.inf and r["reached_share"] == 0


@pytest.mark.parametrize("kwargs, message", [
    (dict(runs=pd.DataFrame({"method": ["a"]})), "missing"),
    (dict(unit="draw"), "missing \\['draw'\\]"),
    (dict(slower="nope"), "slower='nope' is not a method"),
    (dict(n_resamples=1), "n_resamples"),
])
def test_bad_input_is_named(kwargs, message):
    args = dict(runs=curves(0.5), slower="slow", faster="fast", target=0.6) | kwargs
    with pytest.raises((ValueError, TypeError), match=message):
        labels_saved(**args)
