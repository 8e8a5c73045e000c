import numpy as np
import pytest
from fairlearn.metrics import (MetricFrame, equalized_odds_difference, false_negative_rate, false_positive_rate,
                               selection_rate)

from hclib.fairness import age_bands, gap_permutation_test, group_rates, rate_gap


def data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    g = rng.choice(["a", "b", "c"], n)
    y = rng.integers(0, 2, n)
    p = np.where(rng.random(n) < np.where(g == "a", 0.9, 0.6), y, 1 - y)
    return y, p, g


def test_rates_match_fairlearn():
    y, p, g = data()
    table = group_rates(y, p, g, n_resamples=200)
    frame = MetricFrame(metrics={"FNR": false_negative_rate, "FPR": false_positive_rate,
                                 "selection rate": selection_rate}, y_true=y, y_pred=p, sensitive_features=g)
    for name in ("FNR", "FPR", "selection rate"):
        assert np.allclose(table[name].to_numpy(), frame.by_group[name].to_numpy())
    assert (table["n"] == np.unique(g, return_counts=True)[1]).all()
    assert ((table["FNR low"] <= table["FNR"]) & (table["FNR"] <= table["FNR high"])).all()


def test_gap_matches_fairlearn_difference_and_covers_it():
    y, p, g = data()
    r = rate_gap(y, p, g, "FNR", n_resamples=300)
    frame = MetricFrame(metrics=false_negative_rate, y_true=y, y_pred=p, sensitive_features=g)
    assert r["gap"] == pytest.approx(frame.difference(method="between_groups"))
    assert r["low"] <= r["gap"] <= r["high"]
    assert r["low"] > 0.1  # group a errs far less than b and c


def test_two_rates_give_fairlearns_equalized_odds_difference():
    y, p, g = data()
    r = rate_gap(y, p, g, ("FNR", "FPR"), n_resamples=200)
    assert r["gap"] == pytest.approx(equalized_odds_difference(y, p, sensitive_features=g))
    assert r["gap"] == max(rate_gap(y, p, g, name, n_resamples=200)["gap"] for name in ("FNR", "FPR"))


def test_permutation_test_finds_a_real_gap_and_not_a_chance_one():
    y, p, g = data()
    real = gap_permutation_test(y, p, g, "FNR", n_permutations=300)
    assert real["p"] < 0.01 and real["null_median"] < real["gap"]
    rng = np.random.default_rng(1)
    same = np.where(rng.random(len(y)) < 0.7, y, 1 - y)  # every group errs alike
    chance = gap_permutation_test(y, same, g, "FNR", n_permutations=300)
    assert chance["gap"] > 0 and chance["p"] > 0.05  # a gap, as always, but no evidence of a difference


def test_age_bands():
    assert age_bands([18, 29, 30, 44, 45, 68]).tolist() == [
        "under 30", "under 30", "30-44", "30-44", "45 and over", "45 and over"]


@pytest.mark.parametrize("call,match", [
    (lambda: group_rates([0, 1], [0, 1, 1], ["a", "b"]), "one length"),
    (lambda: group_rates([0, 1], [0.2, 0.7], ["a", "b"]), "threshold"),
    (lambda: rate_gap([0, 1], [0, 1], ["a", "a"]), "at least two"),
    (lambda: rate_gap([0, 1], [0, 1], ["a", "b"], rate="TPR"), "rate"),
    (lambda: rate_gap([0, 1], [0, 1], ["a", "b"], rate=()), "tuple of them"),
    (lambda: gap_permutation_test([0, 1], [0, 1], ["a", "b"], n_permutations=10), "n_permutations"),
    (lambda: age_bands([20], edges=(45, 30)), "increasing"),
])
def test_bad_input_says_what_to_do(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
