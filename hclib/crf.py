"""A linear-chain conditional random field (CRF) for sequence labelling.

For emission scores ``e[t, y]`` (from any encoder) and transition scores ``A[y, y']``, a tag path
``y_1 .. y_T`` scores ``s(y) = start[y_1] + sum_t e[t, y_t] + sum_t A[y_t, y_{t+1}] + end[y_T]``, and

    p(y | x) = exp(s(y)) / Z,   log Z = logsumexp over all paths (the forward algorithm).

Training minimises the negative log-likelihood ``log Z - s(gold)``, which is smooth in every
score; decoding takes the best path with the Viterbi algorithm. Transitions that a tagging
scheme forbids (``I-ORG`` after ``B-PER`` in BIO) can be fixed to minus infinity.

>>> crf = CRF(["O", "B-PER", "I-PER"])
>>> emissions = torch.zeros(1, 3, 3)
>>> crf.decode(emissions, torch.ones(1, 3, dtype=torch.bool))[0] in ([0, 0, 0], [1, 2, 2])
True
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn


def bio_allows(previous: str, tag: str) -> bool:
    """May ``tag`` follow ``previous`` in BIO? ``I-X`` only after ``B-X`` or ``I-X``; a sentence starts after ``O``.

    >>> bio_allows("B-PER", "I-PER"), bio_allows("B-PER", "I-ORG"), bio_allows("O", "B-LOC")
    (True, False, True)
    """
    return not tag.startswith("I-") or previous in ("B-" + tag[2:], tag)


def allowed_transitions(tags: Sequence[str]) -> torch.Tensor:
    """A (K, K) boolean matrix: may tag j follow tag i in BIO (:func:`bio_allows`)?

    >>> allowed_transitions(["O", "B-PER", "I-PER", "B-ORG", "I-ORG"])[1, 4].item()
    False
    """
    for tag in tags:
        if tag != "O" and (tag[:2] not in ("B-", "I-") or len(tag) < 3):
            raise ValueError(f"unknown tag {tag!r}: expected 'O', 'B-TYPE' or 'I-TYPE'")
    return torch.tensor([[bio_allows(prev, tag) for tag in tags] for prev in tags])


def allowed_starts(tags: Sequence[str]) -> torch.Tensor:
    """Which tags may begin a sentence in BIO (every tag but ``I-X``)."""
    return torch.tensor([bio_allows("O", t) for t in tags])


class CRF(nn.Module):
    """A CRF over ``tags``; ``constrained=True`` forbids the transitions BIO does not allow."""

    def __init__(self, tags: Sequence[str], constrained: bool = True):
        super().__init__()
        if len(tags) < 2 or len(set(tags)) != len(tags):
            raise ValueError(f"tags must be at least two distinct names, got {list(tags)}")
        self.tags = list(tags)
        k = len(tags)
        self.transitions = nn.Parameter(torch.zeros(k, k))
        self.start = nn.Parameter(torch.zeros(k))
        self.end = nn.Parameter(torch.zeros(k))
        mask = allowed_transitions(tags) if constrained else torch.ones(k, k, dtype=torch.bool)
        start_mask = allowed_starts(tags) if constrained else torch.ones(k, dtype=torch.bool)
        self.register_buffer("forbidden", ~mask, persistent=False)
        self.register_buffer("forbidden_start", ~start_mask, persistent=False)

    def _scores(self) -> tuple[torch.Tensor, torch.Tensor]:
        transitions = self.transitions.masked_fill(self.forbidden, float("-inf"))
        return transitions, self.start.masked_fill(self.forbidden_start, float("-inf"))

    def _check(self, emissions: torch.Tensor, mask: torch.Tensor) -> None:
        if emissions.dim() != 3 or emissions.shape[-1] != len(self.tags):
            raise ValueError(f"emissions must be (batch, length, {len(self.tags)}), got {tuple(emissions.shape)}")
        if mask.shape != emissions.shape[:2]:
            raise ValueError(f"mask must be (batch, length) = {tuple(emissions.shape[:2])}, got {tuple(mask.shape)}")
        if not mask[:, 0].all():
            raise ValueError("every sentence needs at least one token, and mask must start with True")

    def path_score(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Score s(y) of the given tag paths, one per sentence."""
        self._check(emissions, mask)
        transitions, start = self._scores()
        emitted = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)  # (B, T): e[t, y_t]
        moved = transitions[tags[:, :-1], tags[:, 1:]]  # (B, T-1): A[y_t, y_t+1]
        # padding adds nothing (not even -inf): masked positions are selected away, not multiplied by 0
        score = start[tags[:, 0]] + emitted[:, 0] + torch.where(mask[:, 1:], emitted[:, 1:] + moved, 0.0).sum(1)
        last = tags.gather(1, (mask.sum(1).long() - 1).unsqueeze(1)).squeeze(1)
        return score + self.end[last]

    def log_partition(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """log Z by the forward algorithm, in log space (one value per sentence)."""
        self._check(emissions, mask)
        transitions, start = self._scores()
        alpha = start + emissions[:, 0]  # (B, K): log-sum of all paths ending in each tag
        for t in range(1, emissions.shape[1]):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + transitions + emissions[:, t].unsqueeze(1), dim=1)
            alpha = torch.where(mask[:, t:t + 1], nxt, alpha)
        return torch.logsumexp(alpha + self.end, dim=1)

    def nll(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood of the gold paths: the training loss."""
        if tags.shape != mask.shape:
            raise ValueError(f"tags must be (batch, length) = {tuple(mask.shape)}, got {tuple(tags.shape)}")
        if ((tags < 0) | (tags >= len(self.tags)))[mask].any():
            raise ValueError(f"tag ids must be in 0..{len(self.tags) - 1} where mask is True")
        tags = tags.clamp(0, len(self.tags) - 1)  # padding positions are ignored through mask
        return (self.log_partition(emissions, mask) - self.path_score(emissions, tags, mask)).mean()

    @torch.no_grad()
    def decode(self, emissions: torch.Tensor, mask: torch.Tensor) -> list[list[int]]:
        """The best tag path of each sentence (Viterbi), as lists of tag ids of the sentence's length."""
        self._check(emissions, mask)
        transitions, start = self._scores()
        score = start + emissions[:, 0]
        backpointers = []
        for t in range(1, emissions.shape[1]):
            best, idx = (score.unsqueeze(2) + transitions).max(dim=1)
            nxt = best + emissions[:, t]
            backpointers.append(torch.where(mask[:, t:t + 1], idx, torch.arange(len(self.tags)).expand_as(idx)))
            score = torch.where(mask[:, t:t + 1], nxt, score)
        last = (score + self.end).argmax(-1).tolist()
        pointers = torch.stack(backpointers, 1).tolist() if backpointers else []  # (B, T - 1, K), as lists: fast
        paths = []
        for b, length in enumerate(mask.sum(1).tolist()):
            path = [last[b]]
            for t in range(length - 1, 0, -1):  # padding keeps the score, so start from the last real character
                path.append(pointers[b][t - 1][path[-1]])
            paths.append(path[::-1])
        return paths
