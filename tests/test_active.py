import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from hclib.active import (flip_labels, labels_to_reach, learning_curve, margin_uncertainty, most_doubtful,
                          select)


def data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    y = (X[:, 0] + 0.3 * X[:, 1] > 0).astype(int)
    return X, y


def test_uncertainty_prefers_coin_tosses():
    proba = np.array([[0.5, 0.5], [0.9, 0.1], [0.6, 0.4]])
    assert margin_uncertainty(proba).round(2).tolist() == [1.0, 0.2, 0.8]
    assert select("uncertainty", proba, proba, 2, np.random.default_rng(0)).tolist() == [0, 2]


def test_strategies_learn_and_uncertainty_is_not_worse():
    X, y = data()
    curves = {s: learning_curve(X[:500], y[:500], X[500:], y[500:], s, LogisticRegression, start=10, step=10,
                                budget=60) for s in ("random", "uncertainty", "diverse")}
    for curve in curves.values():
        assert curve["labels"].tolist() == [10, 20, 30, 40, 50, 60]
        assert curve["accuracy"].iloc[-1] > 0.8
    assert curves["uncertainty"]["accuracy"].iloc[-1] >= curves["random"]["accuracy"].iloc[-1] - 0.05
    assert labels_to_reach(curves["uncertainty"], 0.0) == 10 and labels_to_reach(curves["random"], 1.01) is None


def test_noisy_labels_are_found():
    X, y = data(400)
    noisy, flipped = flip_labels(y, 0.1, seed=1)
    assert flipped.sum() == 40 and (noisy != y).sum() == 40
    doubtful = most_doubtful(X, noisy, LogisticRegression, k=40)
    assert flipped[doubtful].mean() > 0.5  # far above the 10 % a random re-check would find


@pytest.mark.parametrize("call,match", [
    (lambda X, y: learning_curve(X, y, X, y, "greedy", LogisticRegression), "strategy=.greedy. is not allowed"),
    (lambda X, y: learning_curve(X, y[:-1], X, y, "random", LogisticRegression), "one label a row"),
    (lambda X, y: learning_curve(X, y, X, y, "random", LogisticRegression, start=50, budget=20), "start <= budget"),
    (lambda X, y: select("best", np.ones((3, 2)) / 2, X, 1, np.random.default_rng(0)), "strategy=.best. is not allowed"),
    (lambda X, y: flip_labels(y, 1.5), r"share \(between 0 and 1\) must be"),
])
def test_bad_input(call, match):
    X, y = data(100)
    with pytest.raises(ValueError, match=match):
        call(X, y)
