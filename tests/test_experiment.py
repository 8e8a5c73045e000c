import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hclib.experiment import paired_differences, run_settings, seeds_needed, verdict


def noisy_run(seed, draw, shift=0.0):
    # a unit effect shared by every setting (what pairing removes) plus a little independent noise
    unit = np.random.default_rng(seed * 10 + draw).normal(0, 0.05)
    noise = np.random.default_rng([seed, draw, int(shift * 1000) + 1000]).normal(0, 0.002)
    return {"accuracy": 0.7 + unit + shift + noise, "probs": np.array([0.2, 0.8])}


def test_run_settings_makes_one_row_a_run_with_its_seconds():
    table = run_settings(noisy_run, {"a": {}, "b": {"shift": 0.01}}, seeds=range(3), draws=(0, 1))
    assert len(table) == 12
    assert list(table.columns[:4]) == ["setting", "seed", "draw", "seconds"]
    assert (table.seconds >= 0).all() and table.groupby("setting").size().tolist() == [6, 6]
    assert isinstance(table.probs.iloc[0], np.ndarray)  # arrays stay for ensembles


def test_a_run_that_reports_its_own_seconds_keeps_them():
    table = run_settings(lambda seed, draw: {"seconds": 42.0}, {"a": {}}, seeds=[0])
    assert table.seconds.tolist() == [42.0]


def test_pairing_resolves_what_unpaired_spread_hides():
    table = run_settings(noisy_run, {"base": {}, "better": {"shift": 0.01}}, seeds=range(10), draws=(0, 1))
    result = paired_differences(table, "accuracy", baseline="base", effect=0.01)
    row = result.loc["better"]
    assert row["verdict"] == "helps" and row["low"] > 0 and abs(row["diff"] - 0.01) < 0.003
    # unpaired, the same runs would not resolve it: the setting's own spread is about 25 times sd_diff
    assert result.loc["base", "sd"] > 10 * row["sd_diff"]
    assert np.isnan(result.loc["base", "diff"]) if "diff" in result else True


def test_interval_matches_a_paired_t_test():
    table = run_settings(noisy_run, {"base": {}, "other": {"shift": -0.001}}, seeds=range(8))
    row = paired_differences(table, "accuracy", baseline="base").loc["other"]
    a = table[table.setting == "other"].accuracy.to_numpy()
    b = table[table.setting == "base"].accuracy.to_numpy()
    interval = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert row["low"] == pytest.approx(interval.low) and row["high"] == pytest.approx(interval.high)


def test_overlapping_splits_widen_the_interval_by_nadeau_and_bengio():
    table = run_settings(noisy_run, {"base": {}, "other": {"shift": -0.001}}, seeds=range(8))
    plain = paired_differences(table, "accuracy", baseline="base").loc["other"]
    corrected = paired_differences(table, "accuracy", baseline="base", test_train_ratio=0.25).loc["other"]
    assert corrected["diff"] == plain["diff"]
    widened = (corrected["high"] - corrected["diff"]) / (plain["high"] - plain["diff"])
    assert widened == pytest.approx(np.sqrt(1 + 0.25 * 8))


def test_verdict_reads_the_interval_in_both_directions():
    assert verdict(0.001, 0.02) == "helps" and verdict(-0.02, -0.001) == "hurts"
    assert verdict(-0.01, 0.01) == "cannot tell"
    assert verdict(0.001, 0.02, higher_is_better=False) == "hurts"
    with pytest.raises(ValueError, match="low"):
        verdict(0.1, 0.0)


def test_seeds_needed_grows_with_the_square_of_the_spread():
    assert seeds_needed(0.0, 0.01) == 2
    n1, n2 = seeds_needed(0.01, 0.01), seeds_needed(0.02, 0.01)
    assert 3.3 < n2 / n1 < 4.5
    # at the returned n the half-width criterion (power 0.5) holds, and not at n - 1
    n = seeds_needed(0.02, 0.01, power=0.5)
    half = lambda k: stats.t.ppf(0.975, k - 1) * 0.02 / np.sqrt(k)  # noqa: E731
    assert half(n) <= 0.01 < half(n - 1)


def test_errors_name_the_argument_and_the_fix():
    table = run_settings(noisy_run, {"a": {}, "b": {}}, seeds=range(2))
    with pytest.raises(ValueError, match="baseline='c'"):
        paired_differences(table, "accuracy", baseline="c")
    with pytest.raises(ValueError, match="no column"):
        paired_differences(table, "f1", baseline="a")
    with pytest.raises(ValueError, match="seeds and draws"):
        run_settings(noisy_run, {"a": {"seed": 3}}, seeds=[0])
    with pytest.raises(ValueError, match="seeds"):
        run_settings(noisy_run, {"a": {}}, seeds=[])
    with pytest.raises(TypeError, match="dict of results"):
        run_settings(lambda seed, draw: 0.5, {"a": {}}, seeds=[0])
    with pytest.raises(ValueError, match="shares 1"):
        paired_differences(pd.concat([table[table.setting == "a"], table[(table.setting == "b") & (table.seed == 0)]]),
                           "accuracy", baseline="a")
