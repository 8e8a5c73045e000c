"""Remedies for overfitting that need more than a setting: text augmentation and adversarial training.

Weight decay, dropout and early stopping are settings (``TrainConfig.weight_decay``,
``load_encoder(dropout=...)``, ``TrainConfig.patience``); parameter-efficient fine-tuning is in
:mod:`hclib.finetune`. This module holds the two that are code:

- :func:`random_deletion` and :func:`random_swap`: label-preserving edits of a text (Wei and Zou, 2019),
  which work offline. (Back-translation needs a translation model, which this book does not have.)
- :class:`FGM`: the fast gradient method on the word embeddings (Miyato, Dai and Goodfellow, 2017),
  as a trainer callback.
- :class:`SnapshotEnsemble`: predictions kept at every evaluation, for a checkpoint ensemble.

>>> random_deletion("the tea was very good", p=0.0)
'the tea was very good'
"""
from __future__ import annotations

import random

import torch

from hclib.train import Callback
from hclib.validate import check_int, check_number, check_str


def _check_text(text: str, rng: random.Random | None) -> random.Random:
    check_str("text", text)
    if rng is not None and not isinstance(rng, random.Random):
        raise TypeError(f"rng must be a random.Random (e.g. random.Random(0)) or None, got {rng!r}")
    return rng or random.Random(0)


def random_deletion(text: str, p: float = 0.1, rng: random.Random | None = None) -> str:
    """Drop each word with probability ``p`` (one word always survives)."""
    p = check_number("p (a probability)", p, minimum=0, maximum=1, high_open=True)
    rng = _check_text(text, rng)
    words = text.split()
    kept = [w for w in words if rng.random() >= p]
    return " ".join(kept or [rng.choice(words)])


def random_swap(text: str, n_swaps: int = 1, rng: random.Random | None = None) -> str:
    """Swap two random words ``n_swaps`` times.

    >>> random_swap("one", n_swaps=3)
    'one'
    """
    n_swaps = check_int("n_swaps", n_swaps, minimum=0, maximum=10_000)
    rng = _check_text(text, rng)
    words = text.split()
    for _ in range(n_swaps if len(words) > 1 else 0):
        i, j = rng.sample(range(len(words)), 2)
        words[i], words[j] = words[j], words[i]
    return " ".join(words)


class FGM(Callback):
    """Adversarial training on the embeddings: after each backward pass, push the word embeddings a step
    ``epsilon`` along their gradient (the direction that raises the loss most), add the gradients of the
    loss there, and put the embeddings back. The optimizer then steps on both gradients.

    ``embedding_name`` selects the embedding matrix by a substring of its parameter name.
    """

    def __init__(self, epsilon: float = 1.0, embedding_name: str = "word_embeddings"):
        self.epsilon = check_number("epsilon", epsilon, minimum=0, low_open=True)
        self.embedding_name = check_str("embedding_name", embedding_name)

    def _embedding(self, model: torch.nn.Module) -> torch.nn.Parameter:
        found = [p for n, p in model.named_parameters() if self.embedding_name in n and p.requires_grad]
        if len(found) != 1:
            raise ValueError(f"expected one trainable parameter whose name contains {self.embedding_name!r}, "
                             f"found {len(found)}; pass embedding_name= the word-embedding matrix's name")
        return found[0]

    def on_backward(self, trainer, batch) -> None:
        weight = self._embedding(trainer.model)
        if weight.grad is None:
            return
        norm = weight.grad.norm()
        if norm == 0 or not torch.isfinite(norm):
            return
        backup = weight.detach().clone()  # restored exactly: adding and subtracting would drift by rounding
        with torch.no_grad():
            weight.add_(self.epsilon * weight.grad / norm)
        loss, _, _ = trainer.loss_fn(trainer.model, batch)
        trainer.accelerator.backward(loss)  # adds the adversarial gradients to the clean ones
        with torch.no_grad():
            weight.copy_(backup)


class SnapshotEnsemble(Callback):
    """Keep the model's class probabilities on ``data`` at every evaluation of a run.

    Averaging the last few snapshots is a *checkpoint ensemble*: an ensemble from one training run, bought
    with a few extra predictions instead of extra runs.
    """

    def __init__(self, data):
        self.data, self.snapshots = data, []

    def on_evaluate(self, trainer, metrics: dict) -> None:
        logits, _, _ = trainer.predict(self.data)
        self.snapshots.append(logits.softmax(-1))

    def average(self, last: int | None = None) -> torch.Tensor:
        """Mean probabilities of the ``last`` snapshots (all of them when None)."""
        if not self.snapshots:
            raise ValueError("no snapshots yet: pass evaluation data to fit() so that the run evaluates")
        last = check_int("last (the snapshots to average)", last, minimum=1, maximum=len(self.snapshots), optional=True)
        return torch.stack(self.snapshots[-(last or len(self.snapshots)):]).mean(0)
