"""Has the traffic changed? Two-sample tests between a reference window and a window of new inputs.

A deployed model sees no labels, so its monitor watches what it can see: the model's predicted
probabilities and the encoder's embeddings of the incoming texts. :class:`DriftMonitor` compares a
window of them with a reference (held-out texts like the training ones, scored by the same model):

- **probabilities**: the two-sample Kolmogorov-Smirnov test (the largest gap between the two
  empirical distribution functions) and, for reading, the population stability index (PSI);
- **embeddings**: both windows projected on the reference's first ``components`` principal
  directions, a Kolmogorov-Smirnov test on each, and the smallest p-value times ``components``
  (Bonferroni), so that the embedding test as a whole keeps its stated false-alarm rate.

The monitor raises an alarm when either p-value (times 2, Bonferroni again) falls below ``alpha``:
under no drift, and for windows independent of the reference, at most an ``alpha`` share of windows
raise one. A measured false-alarm rate checks that promise.

>>> rng = np.random.default_rng(0)
>>> monitor = DriftMonitor(rng.uniform(size=300), rng.normal(size=(300, 8)), components=4)
>>> monitor.check(rng.uniform(size=100), rng.normal(size=(100, 8)))["alarm"]
False
>>> monitor.check(rng.uniform(size=100) ** 3, rng.normal(1.0, 1.0, size=(100, 8)))["alarm"]
True
"""
from __future__ import annotations

import numpy as np
from scipy import stats

from hclib.validate import check_array, check_int, check_number


def psi(reference, current, bins: int = 10, floor: float = 1e-4) -> float:
    """Population stability index of ``current`` against ``reference``: sum over the reference's
    quantile bins of (share now - share then) x ln(share now / share then). Shares below ``floor``
    are raised to it, so an empty bin does not make the index infinite. A common reading: under
    0.1 stable, 0.1 to 0.25 a moderate shift, over 0.25 a large one (a convention, not a test).

    >>> x = np.linspace(0, 1, 1000)
    >>> round(psi(x, x), 6), psi(x, x ** 3) > 0.25
    (0.0, True)
    """
    reference = check_array("reference", reference, ndim=1, min_rows=2)
    current = check_array("current", current, ndim=1, min_rows=1)
    bins = check_int("bins", bins, minimum=2)
    floor = check_number("floor", floor, minimum=0, low_open=True, maximum=1)
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    then = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=len(edges) + 1) / len(reference)
    now = np.bincount(np.searchsorted(edges, current, side="right"), minlength=len(edges) + 1) / len(current)
    then, now = np.maximum(then, floor), np.maximum(now, floor)
    return float(np.sum((now - then) * np.log(now / then)))


class DriftMonitor:
    """A reference window of probabilities and embeddings, and :meth:`check` for each new window."""

    def __init__(self, probs, embeddings, components: int = 10, alpha: float = 0.01):
        self.probs = check_array("probs", probs, ndim=1, min_rows=10)
        embeddings = check_array("embeddings", embeddings, ndim=2, min_rows=10)
        if len(embeddings) != len(self.probs):
            raise ValueError(f"{len(self.probs)} probabilities but {len(embeddings)} embeddings; pass one row a text")
        self.components = check_int("components", components, 1, min(embeddings.shape))
        self.alpha = check_number("alpha (the false-alarm rate to allow)", alpha, minimum=0, maximum=1,
                                  low_open=True, high_open=True)
        self.mean = embeddings.mean(0)
        _, _, vt = np.linalg.svd(embeddings - self.mean, full_matrices=False)
        self.directions = vt[: self.components].T
        self.reference = (embeddings - self.mean) @ self.directions

    def check(self, probs, embeddings) -> dict[str, float | bool]:
        """Test one window: p-values of both tests, the PSI of the probabilities, and ``alarm``."""
        probs = check_array("probs", probs, ndim=1, min_rows=2)
        embeddings = check_array("embeddings", embeddings, ndim=2, min_rows=2)
        if embeddings.shape[1] != len(self.mean):
            raise ValueError(f"embeddings have {embeddings.shape[1]} columns, the reference {len(self.mean)}; "
                             "embed the window with the same encoder")
        if len(embeddings) != len(probs):
            raise ValueError(f"{len(probs)} probabilities but {len(embeddings)} embeddings; pass one row a text")
        p_probs = float(stats.ks_2samp(self.probs, probs).pvalue)
        projected = (embeddings - self.mean) @ self.directions
        p_each = [stats.ks_2samp(self.reference[:, j], projected[:, j]).pvalue for j in range(self.components)]
        p_embed = float(min(1.0, min(p_each) * self.components))
        p = min(1.0, 2 * min(p_probs, p_embed))
        return {"p_probs": p_probs, "p_embeddings": p_embed, "psi_probs": psi(self.probs, probs), "p": p,
                "alarm": bool(p < self.alpha)}
