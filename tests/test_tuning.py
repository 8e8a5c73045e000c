import math

import numpy as np
import pandas as pd
import pytest

from hclib.tuning import METHODS, Param, best_setting, grid_levels, search

SPACE = {"x": Param(-2.0, 2.0), "rate": Param(1e-3, 1.0, log=True), "n": Param(1, 64, log=True, integer=True)}


def bowl(setting):
    return -(setting["x"] - 0.5) ** 2 - (math.log10(setting["rate"]) + 1) ** 2 - abs(setting["n"] - 8) / 8


def test_levels_are_cell_centres_inside_the_range():
    assert Param(0.0, 1.0).levels(2) == [0.25, 0.75]
    assert Param(0.0, 1.0).levels(1) == [0.5]
    ints = Param(1, 3, integer=True).levels(10)  # only three distinct integers exist
    assert ints == sorted(set(ints)) and set(ints) <= {1, 2, 3}
    rate = Param(1e-3, 1.0, log=True).levels(3)
    assert rate[1] == pytest.approx(math.sqrt(1e-3 * 1.0))  # the middle of a log range: its geometric mean
    assert all(1e-3 < v < 1.0 for v in rate)


def test_grid_is_the_largest_balanced_grid_within_the_budget():
    assert grid_levels(SPACE, 8) == {"x": 2, "rate": 2, "n": 2}
    assert grid_levels(SPACE, 12) == {"x": 3, "rate": 2, "n": 2}
    assert grid_levels(SPACE, 1) == {"x": 1, "rate": 1, "n": 1}
    for budget in range(1, 80):
        assert math.prod(grid_levels(SPACE, budget).values()) <= budget


@pytest.mark.parametrize("method", METHODS)
def test_search_records_every_trial_within_the_ranges(method):
    trace = search(bowl, SPACE, method, n_trials=12, seed=3)
    assert len(trace) == 12  # the grid fits exactly: 3 x 2 x 2
    assert (trace["method"] == method).all() and list(trace["trial"]) == list(range(len(trace)))
    assert trace["x"].between(-2, 2).all() and trace["rate"].between(1e-3, 1.0).all()
    assert trace["n"].between(1, 64).all() and (trace["n"] == trace["n"].round()).all()
    assert np.allclose(trace["best"], trace["score"].cummax())
    assert (trace["seconds"].diff().dropna() >= 0).all() and (trace["objective_seconds"] >= 0).all()
    assert best_setting(trace)["x"] == trace.loc[trace["score"].idxmax(), "x"]


def test_searches_are_reproducible_by_seed():
    for method in METHODS:
        a, b = search(bowl, SPACE, method, 10, seed=1), search(bowl, SPACE, method, 10, seed=1)
        pd.testing.assert_frame_equal(a[["x", "rate", "n", "score"]], b[["x", "rate", "n", "score"]])
    a, c = search(bowl, SPACE, "random", 10, seed=1), search(bowl, SPACE, "random", 10, seed=2)
    assert not np.allclose(a["x"], c["x"])


def test_grid_visits_each_point_once_in_a_seeded_order():
    one, two = search(bowl, SPACE, "grid", 8, seed=0), search(bowl, SPACE, "grid", 8, seed=5)
    key = ["x", "rate", "n"]
    assert not one[key].duplicated().any()
    assert sorted(map(tuple, one[key].to_numpy())) == sorted(map(tuple, two[key].to_numpy()))


def test_tpe_beats_random_on_a_smooth_bowl_on_average():
    # TPE's first ten trials are random; after them it should concentrate near the optimum
    gaps = [search(bowl, SPACE, "tpe", 60, seed=s)["best"].iloc[-1] - search(bowl, SPACE, "random", 60, seed=s)
            ["best"].iloc[-1] for s in range(6)]
    assert np.mean(gaps) > 0


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="high"):
        Param(1.0, 1.0)
    with pytest.raises(ValueError, match="low"):
        Param(0.0, 1.0, log=True)
    with pytest.raises(ValueError, match="integer"):
        Param(0.5, 3, integer=True)
    with pytest.raises(ValueError, match="method"):
        search(bowl, SPACE, "bayes", 5)
    with pytest.raises(TypeError, match="space"):
        search(bowl, {"x": (0, 1)}, "random", 5)
    with pytest.raises(ValueError, match="objective"):
        search(lambda s: float("nan"), SPACE, "random", 3)
    with pytest.raises(TypeError, match="objective"):
        search(None, SPACE, "random", 3)
    with pytest.raises(TypeError, match="trace"):
        best_setting(pd.DataFrame())
