"""Pool-based active learning, and finding the labels a model most disagrees with.

A model is retrained each round on the labels so far; a strategy picks the next examples
for a person to label from the unlabelled pool:

- ``random``: any unlabelled example (the baseline every strategy must beat);
- ``uncertainty``: those the model is least sure of (smallest margin between its top two classes);
- ``diverse``: the most uncertain example of each of k clusters among the most uncertain ten times k,
  so one round does not spend its budget on near-duplicates.

>>> from sklearn.linear_model import LogisticRegression
>>> rng = np.random.default_rng(0); X = rng.normal(size=(300, 2)); y = (X[:, 0] > 0).astype(int)
>>> curve = learning_curve(X[:200], y[:200], X[200:], y[200:], "uncertainty", LogisticRegression, budget=40)
>>> curve["labels"].tolist()
[10, 20, 30, 40]
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from hclib.validate import check_array, check_choice, check_int, check_number

STRATEGIES = ("random", "uncertainty", "diverse")


def margin_uncertainty(proba: np.ndarray) -> np.ndarray:
    """1 minus the gap between the two most likely classes: 1 for a coin toss, 0 for certainty."""
    proba = check_array("proba", proba, ndim=2)
    if proba.shape[1] < 2 or (proba < 0).any() or (proba > 1).any():
        raise ValueError(f"proba must hold probabilities in [0, 1], one column a class (at least two), got shape "
                         f"{proba.shape}; pass model.predict_proba(X)")
    top = np.sort(proba, axis=1)
    return 1 - (top[:, -1] - top[:, -2])


def select(strategy: str, proba: np.ndarray, features, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices (into the pool given) of the ``k`` examples ``strategy`` asks a person to label next."""
    check_choice("strategy", strategy, STRATEGIES)
    uncertainty = margin_uncertainty(proba)
    n, k = len(uncertainty), min(check_int("k", k, minimum=1), len(uncertainty))
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a NumPy Generator, e.g. np.random.default_rng(0); got {rng!r}")
    if strategy == "diverse" and getattr(features, "shape", (None,))[0] != n:
        raise ValueError(f"features must have one row a row of proba ({n}), got {getattr(features, 'shape', None)}")
    if strategy == "random":
        return rng.choice(n, size=k, replace=False)
    order = np.argsort(-uncertainty, kind="stable")
    if strategy == "uncertainty":
        return order[:k]
    if strategy == "diverse":
        candidates = order[:min(n, 10 * k)]
        clusters = KMeans(n_clusters=k, n_init=1, random_state=int(rng.integers(2**31))).fit_predict(
            features[candidates])
        picks = [candidates[clusters == c][0] for c in range(k) if (clusters == c).any()]  # most uncertain
        return np.array(picks)


def learning_curve(X_pool, y_pool, X_test, y_test, strategy: str, make_model: Callable, start: int = 10,
                   step: int = 10, budget: int = 100, seed: int = 0) -> pd.DataFrame:
    """Accuracy on the test set against the number of labels bought with ``strategy``.

    ``y_pool`` plays the annotator: the label of an example is revealed when it is chosen
    (pass noisy labels to simulate a noisy annotator). The first ``start`` labels are random
    for every strategy, so strategies differ only in what they choose. Each row also gives the share of
    the labels bought so far that are class 1: a strategy can skew the class balance of what it buys.
    """
    check_choice("strategy", strategy, STRATEGIES)
    y_pool, y_test = check_array("y_pool", y_pool, ndim=1, numeric=False), check_array("y_test", y_test, ndim=1,
                                                                                        numeric=False)
    X_pool, X_test = _check_features("X_pool", X_pool), _check_features("X_test", X_test)
    if X_pool.shape[0] != len(y_pool) or X_test.shape[0] != len(y_test):
        raise ValueError("X_pool and y_pool (and X_test and y_test) must have one label a row")
    if not callable(make_model):
        raise TypeError(f"make_model must be a function returning an unfitted model, e.g. LogisticRegression; "
                        f"got {make_model!r}")
    start, step, budget = (check_int(name, v, minimum=1) for name, v in (("start", start), ("step", step),
                                                                         ("budget", budget)))
    seed = check_int("seed", seed, minimum=0)
    if not start <= budget <= len(y_pool):
        raise ValueError(f"need 0 < start <= budget <= pool size ({len(y_pool)}) and step >= 1; "
                         f"got start={start}, budget={budget}, step={step}")
    rng = np.random.default_rng(seed)
    labelled = list(rng.choice(len(y_pool), size=start, replace=False))
    rows = []
    while True:
        model = make_model().fit(X_pool[labelled], y_pool[labelled])
        rows.append({"labels": len(labelled), "accuracy": float((model.predict(X_test) == y_test).mean()),
                     "share of class 1": float(np.mean(y_pool[labelled] == 1))})
        if len(labelled) >= budget:
            return pd.DataFrame(rows).assign(strategy=strategy, seed=seed)
        pool = np.setdiff1d(np.arange(len(y_pool)), labelled)
        chosen = select(strategy, model.predict_proba(X_pool[pool]), X_pool[pool],
                        min(step, budget - len(labelled)), rng)
        labelled.extend(pool[chosen].tolist())


def _check_features(name: str, X):
    """A feature matrix: a 2-D array or a SciPy sparse matrix (kept sparse), rows of numbers."""
    if hasattr(X, "tocsr"):
        if X.ndim != 2 or X.shape[0] == 0:
            raise ValueError(f"{name} must be a 2-D matrix with at least one row, got shape {X.shape}")
        return X.tocsr()
    return check_array(name, X, ndim=2)


def labels_to_reach(curve: pd.DataFrame, target: float) -> int | None:
    """The fewest labels at which ``curve`` reaches ``target`` accuracy (``None`` if it never does)."""
    if not isinstance(curve, pd.DataFrame) or not {"labels", "accuracy"} <= set(curve.columns):
        raise TypeError("curve must be a DataFrame with columns 'labels' and 'accuracy' (from learning_curve)")
    target = check_number("target", target)
    hit = curve[curve["accuracy"] >= target]
    return int(hit["labels"].min()) if len(hit) else None


def flip_labels(y, share: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Flip a ``share`` of binary labels at random: a careless annotator. Returns (noisy labels, flipped mask)."""
    share = check_number("share (between 0 and 1)", share, minimum=0, maximum=1)
    y = check_array("y", y, ndim=1, min_rows=0)
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"y must hold binary labels 0 and 1 (flipping means 1 - y), got {sorted(set(y.tolist()))[:5]}")
    flipped = np.zeros(len(y), dtype=bool)
    flipped[np.random.default_rng(seed).choice(len(y), size=round(share * len(y)), replace=False)] = True
    return np.where(flipped, 1 - y, y), flipped


def most_doubtful(X, y_given, make_model: Callable, k: int, folds: int = 5, seed: int = 0) -> np.ndarray:
    """Indices of the ``k`` given labels a cross-validated model finds least likely: the ones to re-check.

    Each example is scored by a model that never saw it (``cross_val_predict``), so a wrong
    label cannot vouch for itself.
    """
    y_given = check_array("y_given", y_given, ndim=1)
    X = _check_features("X", X)
    if X.shape[0] != len(y_given):
        raise ValueError(f"X has {X.shape[0]} rows but y_given {len(y_given)} labels; pass one label a row")
    k, folds = check_int("k", k, minimum=1, maximum=len(y_given)), check_int("folds", folds, minimum=2)
    classes, counts = np.unique(y_given, return_counts=True)
    if classes.tolist() != list(range(len(classes))) or len(classes) < 2:
        raise ValueError(f"y_given must be class ids 0, 1, ... (at least two classes), got {classes.tolist()[:5]}")
    if counts.min() < folds:
        raise ValueError(f"the rarest class of y_given has {counts.min()} labels, fewer than folds={folds}; "
                         "lower folds or add labels")
    if not callable(make_model):
        raise TypeError(f"make_model must be a function returning an unfitted model, got {make_model!r}")
    cv = StratifiedKFold(folds, shuffle=True, random_state=check_int("seed", seed, minimum=0))
    proba = cross_val_predict(make_model(), X, y_given, cv=cv, method="predict_proba")
    return np.argsort(proba[np.arange(len(y_given)), y_given], kind="stable")[:k]
