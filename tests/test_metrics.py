import numpy as np
import pytest

from hclib.metrics import bootstrap_interval, classification_summary, entity_scores, mean_interval, paired_ratio


def test_summary_and_interval():
    y = [0, 1] * 50
    p = [0, 1] * 45 + [1, 0] * 5
    s = classification_summary(y, p, names=["neg", "pos"])
    assert s["accuracy"] == 0.9 and "pos" in s["per_class"]
    lo, hi = bootstrap_interval(y, p)
    assert lo < 0.9 < hi and hi - lo < 0.2


def test_mean_interval_covers_mean():
    r = mean_interval([0.84, 0.85, 0.83, 0.86])
    assert r["low"] < r["mean"] < r["high"] and r["n"] == 4


def test_entity_scores_strict():
    gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    assert entity_scores(gold, gold)["f1"] == 1.0
    half = entity_scores(gold, [["B-PER", "I-PER", "O", "O"]])
    assert half["precision"] == 1.0 and half["recall"] == 0.5


@pytest.mark.parametrize("call,match", [
    (lambda: classification_summary([0, 1], [0]), "of one length"),
    (lambda: classification_summary([], []), "empty"),
    (lambda: bootstrap_interval([0, 1], [0, 1], level=95), "level .between 0 and 1, e.g. 0.95. must be"),
    (lambda: bootstrap_interval([0, 1], [0, 1], n_resamples=10), "n_resamples must be an integer from 100 to 100000"),
    (lambda: mean_interval([0.8]), "at least two values"),
    (lambda: entity_scores([["O"]], []), "1 gold sentences but 0 predicted"),
    (lambda: entity_scores([["O", "O"]], [["O"]]), "sentence 0: 2 gold tags but 1 predicted"),
    (lambda: paired_ratio([1.0, 2.0, 3.0], [1.0, 2.0]), "pair them"),
    (lambda: paired_ratio([1.0, 0.0], [1.0, 1.0]), "positive, finite"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_paired_bootstrap_cancels_the_shared_noise():
    from hclib.metrics import paired_bootstrap

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    a = np.where(rng.random(400) < 0.8, y, 1 - y)  # about 80 % right
    b = a.copy()
    b[:12] = 1 - y[:12]  # b is wrong on 12 more examples than a at most
    r = paired_bootstrap(y, a, b)
    assert r["diff"] == pytest.approx(np.mean(a == y) - np.mean(b == y))
    assert 0 < r["low"] <= r["diff"] <= r["high"] < 0.06  # paired: narrow, and excludes zero
    with pytest.raises(ValueError, match="y_true and y_pred"):
        paired_bootstrap(y, a, b[:-1])


def test_paired_bootstrap_over_runs_widens_with_the_seed_spread():
    from hclib.metrics import paired_bootstrap, paired_bootstrap_runs

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    base = np.where(rng.random(400) < 0.75, y, 1 - y)
    one = base.copy()
    one[:40] = y[:40]  # right on 40 more examples
    same = paired_bootstrap_runs(y, [one, one, one], base)  # three identical runs: only the test set varies
    single = paired_bootstrap(y, one, base)
    assert same["diff"] == pytest.approx(single["diff"])
    assert same["low"] == pytest.approx(single["low"], abs=0.01) and same["low"] > 0
    spread = [one, base, one]  # one run as bad as the baseline: the seeds disagree
    wide = paired_bootstrap_runs(y, spread, base)
    assert wide["high"] - wide["low"] > same["high"] - same["low"]
    assert wide["diff"] == pytest.approx(np.mean([np.mean(r == y) for r in spread]) - np.mean(base == y))
    with pytest.raises(ValueError, match=r"runs_b must be \(runs x examples\) predictions for the 400"):
        paired_bootstrap_runs(y, [one], base[:-1])


def test_paired_bootstrap_runs_seed_part_is_a_student_t_half_width():
    from scipy import stats

    from hclib.metrics import paired_bootstrap_runs

    y = np.ones(1000, dtype=int)
    base = np.r_[np.ones(800), np.zeros(200)].astype(int)  # accuracy 0.80
    runs = [np.r_[np.ones(n), np.zeros(1000 - n)].astype(int) for n in (830, 840, 850)]
    r = paired_bootstrap_runs(y, runs, base, n_resamples=500)
    expected = stats.t.ppf(0.975, 2) * np.std([0.83, 0.84, 0.85], ddof=1) / np.sqrt(3)
    assert r["seed_half_width"] == pytest.approx(expected)
    assert r["high"] - r["diff"] >= expected


def test_stratified_resamples_keep_each_stratum_and_its_size():
    from hclib.metrics import resample_indices

    strata = np.array(["a"] * 3 + ["b"] * 7)
    idx = resample_indices(10, 200, seed=1, strata=strata)
    assert idx.shape == (200, 10) and (strata[idx] == strata).all()
    assert (resample_indices(10, 200, seed=1) == np.random.default_rng(1).integers(0, 10, (200, 10))).all()
    lo, hi = bootstrap_interval([1, 1, 0] * 20, [1, 0, 0] * 20, strata=["x", "y", "z"] * 20)
    assert lo == hi == pytest.approx(2 / 3)  # each stratum's accuracy is fixed, so the total is too
    with pytest.raises(ValueError, match="one label for each of the 10 examples"):
        resample_indices(10, 200, strata=strata[:5])


def test_corrected_interval_widens_by_the_nadeau_bengio_factor():
    x = [0.80, 0.82, 0.81, 0.85, 0.79]
    plain, corrected = mean_interval(x), mean_interval(x, test_train_ratio=0.25)
    ratio = (corrected["high"] - corrected["mean"]) / (plain["high"] - plain["mean"])
    assert ratio == pytest.approx(np.sqrt((1 / 5 + 0.25) / (1 / 5)))
    with pytest.raises(ValueError, match="test_train_ratio"):
        mean_interval(x, test_train_ratio=0)


def test_paired_ratio_cancels_a_shared_slow_spell():
    rng = np.random.default_rng(0)
    spell = np.exp(rng.normal(0, 0.5, 20))  # each round's machine speed, shared by both variants
    a, b = 3.0 * spell * np.exp(rng.normal(0, 0.01, 20)), spell * np.exp(rng.normal(0, 0.01, 20))
    r = paired_ratio(a, b)
    assert r["low"] < 3.0 < r["high"] and r["high"] - r["low"] < 0.05 and r["n"] == 20
