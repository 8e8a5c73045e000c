"""Plots in one style: learning curves, confusion matrices, Pareto fronts."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from hclib.validate import check_array, check_list, check_same_length, check_strings

STYLE = {
    "figure.figsize": (6.4, 3.8), "figure.dpi": 110, "savefig.dpi": 110, "axes.grid": True,
    "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False, "font.size": 10,
    "axes.titlesize": 11, "legend.frameon": False,
}


# Fonts with Chinese glyphs, best first: Noto/Source Han where a system has them, WenQuanYi Micro Hei
# (which scripts/setup.sh installs on Debian), then macOS's and Windows' own.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
                "WenQuanYi Zen Hei", "Noto Sans CJK JP", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
                "SimHei", "Arial Unicode MS")


def cjk_families() -> list[str]:
    """The fonts of ``CJK_FAMILIES`` that matplotlib finds on this machine (none: Chinese shows as boxes)."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return [family for family in CJK_FAMILIES if family in installed]


def use_style() -> None:
    """Apply the book's matplotlib style, with a Chinese font, where one is installed, as fallback.

    Latin text keeps the default sans-serif font; characters it lacks are drawn with the first font of
    :func:`cjk_families`, so labels such as "命名实体识别 (NER)" render on every machine that has one.

    >>> use_style(); plt.rcParams["font.family"][0]
    'sans-serif'
    """
    plt.rcParams.update(STYLE)
    plt.rcParams["font.family"] = ["sans-serif", *cjk_families()[:2]]


def learning_curves(history: list[dict], metrics: Sequence[str] = ("loss",), ax=None):
    """Plot ``train_<m>`` and every ``<set>_<m>`` in a trainer history against the epoch.

    >>> ax = learning_curves([{"epoch": 1, "train_loss": 1.0, "val_loss": 1.2}])
    """
    history = check_list("history", history)
    if not history:
        raise ValueError("history is empty: train with evaluation data (fit(train, val)) to get curves")
    if not all(isinstance(h, dict) and "epoch" in h for h in history):
        raise ValueError("history must be a list of dicts with an 'epoch' key, e.g. record.history from Trainer.fit")
    metrics = check_strings("metrics", [metrics] if isinstance(metrics, str) else metrics)
    ax = ax or plt.subplots()[1]
    x = [h["epoch"] for h in history]
    for metric in metrics:
        names = sorted({k for h in history for k in h if k.endswith("_" + metric)})
        if not names:
            raise ValueError(f"metrics: no '*_{metric}' column in the history; it has {sorted(history[0])}")
        for name in names:
            ax.plot(x, [h.get(name, np.nan) for h in history], marker="o", ms=3, label=name.replace("_", " "))
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers: no tick at 1.5
    ax.set_ylabel(", ".join(metrics))
    ax.legend()
    return ax


def confusion_matrix(y_true: Sequence, y_pred: Sequence, names: Sequence[str], normalize: bool = True, ax=None):
    """A confusion matrix (rows: true class), as shares of each true class by default."""
    from sklearn.metrics import ConfusionMatrixDisplay

    y_true, y_pred = check_array("y_true", y_true, ndim=1, numeric=False), check_array("y_pred", y_pred, ndim=1,
                                                                                        numeric=False)
    check_same_length(y_true=y_true, y_pred=y_pred)
    names, classes = check_strings("names", names), set(y_true.tolist()) | set(y_pred.tolist())
    if len(names) != len(classes):
        raise ValueError(f"names has {len(names)} entries but the labels hold {len(classes)} classes; "
                         "pass one name a class")
    ax = ax or plt.subplots(figsize=(5.5, 5))[1]
    ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, display_labels=list(names), normalize="true" if normalize else None,
        values_format=".2f" if normalize else "d", cmap="Blues", colorbar=False, ax=ax, xticks_rotation=45)
    ax.grid(False)
    return ax


def pareto_front(costs: Sequence[float], scores: Sequence[float]) -> np.ndarray:
    """Indices of the points no other point beats on both lower cost and higher score.

    >>> pareto_front([1, 2, 3], [0.80, 0.79, 0.85]).tolist()
    [0, 2]
    """
    costs, scores = check_array("costs", costs, ndim=1).astype(float), check_array("scores", scores, ndim=1)
    check_same_length(costs=costs, scores=scores)
    order = np.lexsort((-scores, costs))
    front, best = [], -np.inf
    for i in order:
        if scores[i] > best:
            front.append(i)
            best = scores[i]
    return np.array(sorted(front, key=lambda i: costs[i]))


def pareto_plot(costs: Sequence[float], scores: Sequence[float], labels: Sequence[str],
                xlabel: str = "cost", ylabel: str = "accuracy", errors: Sequence[float] | None = None,
                log_x: bool = True, ax=None):
    """Scatter of score against cost with the Pareto front drawn as a step line."""
    front = pareto_front(costs, scores)
    costs, scores = np.asarray(costs, float), np.asarray(scores, float)
    labels = check_strings("labels", labels)
    check_same_length(costs=costs, labels=labels, **({} if errors is None else {"errors": check_list("errors", errors)}))
    if log_x and (costs <= 0).any():
        raise ValueError("costs must be positive on a log axis; pass log_x=False or drop zero-cost points")
    ax = ax or plt.subplots()[1]
    ax.errorbar(costs, scores, yerr=errors, fmt="o", capsize=3)
    ax.step(costs[front], scores[front], where="post", color="C1", label="Pareto front")
    for c, s, text in zip(costs, scores, labels):
        ax.annotate(text, (c, s), textcoords="offset points", xytext=(5, 5), fontsize=9)
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="lower right")
    return ax
