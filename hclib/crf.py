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

from hclib.validate import check_int, check_strings


def bio_allows(previous: str, tag: str) -> bool:
    """May ``tag`` follow ``previous`` in BIO? ``I-X`` only after ``B-X`` or ``I-X``; a sentence starts after ``O``.

    >>> bio_allows("B-PER", "I-PER"), bio_allows("B-PER", "I-ORG"), bio_allows("O", "B-LOC")
    (True, False, True)
    """
    if not isinstance(previous, str) or not isinstance(tag, str):
        raise TypeError(f"previous and tag must be tag names (strings), got {previous!r} and {tag!r}")
    return not tag.startswith("I-") or previous in ("B-" + tag[2:], tag)


def allowed_transitions(tags: Sequence[str]) -> torch.Tensor:
    """A (K, K) boolean matrix: may tag j follow tag i in BIO (:func:`bio_allows`)?

    >>> allowed_transitions(["O", "B-PER", "I-PER", "B-ORG", "I-ORG"])[1, 4].item()
    False
    """
    for tag in check_strings("tags", tags):
        if tag != "O" and (tag[:2] not in ("B-", "I-") or len(tag) < 3):
            raise ValueError(f"unknown tag {tag!r}: expected 'O', 'B-TYPE' or 'I-TYPE'")
    return torch.tensor([[bio_allows(prev, tag) for tag in tags] for prev in tags])


def allowed_starts(tags: Sequence[str]) -> torch.Tensor:
    """Which tags may begin a sentence in BIO (every tag but ``I-X``)."""
    return torch.tensor([bio_allows("O", t) for t in check_strings("tags", tags)])


class CRF(nn.Module):
    """A CRF over ``tags``; ``constrained=True`` forbids the transitions BIO does not allow."""

    def __init__(self, tags: Sequence[str], constrained: bool = True):
        super().__init__()
        tags = check_strings("tags", tags)
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

    def _check(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Check emissions and mask; return the mask as booleans."""
        if not torch.is_tensor(emissions) or not emissions.is_floating_point():
            raise TypeError(f"emissions must be a float tensor, got {type(emissions).__name__}"
                            f"{' of ' + str(emissions.dtype) if torch.is_tensor(emissions) else ''}")
        if emissions.dim() != 3 or emissions.shape[-1] != len(self.tags) or 0 in emissions.shape[:2]:
            raise ValueError(f"emissions must be (batch >= 1, length >= 1, {len(self.tags)}), "
                             f"got {tuple(emissions.shape)}; a batch needs at least one sentence")
        if not torch.isfinite(emissions).all():
            raise ValueError("emissions hold NaN or infinite scores; check the encoder's output")
        if not torch.is_tensor(mask) or mask.shape != emissions.shape[:2]:
            raise ValueError(f"mask must be a (batch, length) = {tuple(emissions.shape[:2])} tensor, got "
                             f"{tuple(mask.shape) if torch.is_tensor(mask) else type(mask).__name__}")
        mask = mask.bool()
        if not mask[:, 0].all():
            raise ValueError("every sentence needs at least one token, and mask must start with True")
        if (mask[:, 1:] & ~mask[:, :-1]).any():
            raise ValueError("mask must be True for each sentence's tokens, then False for padding, with no gaps")
        return mask

    def path_score(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Score s(y) of the given tag paths, one per sentence (minus infinity for a path the constraints forbid)."""
        mask = self._check(emissions, mask)
        return self._path_score(emissions, self._check_tags(tags, mask), mask)

    def _path_score(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        transitions, start = self._scores()
        emitted = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)  # (B, T): e[t, y_t]
        moved = transitions[tags[:, :-1], tags[:, 1:]]  # (B, T-1): A[y_t, y_t+1]
        # padding adds nothing (not even -inf): masked positions are selected away, not multiplied by 0
        score = start[tags[:, 0]] + emitted[:, 0] + torch.where(mask[:, 1:], emitted[:, 1:] + moved, 0.0).sum(1)
        last = tags.gather(1, (mask.sum(1).long() - 1).unsqueeze(1)).squeeze(1)
        return score + self.end[last]

    def log_partition(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """log Z by the forward algorithm, in log space (one value per sentence)."""
        return self._log_partition(emissions, self._check(emissions, mask))

    def _log_partition(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        transitions, start = self._scores()
        alpha = start + emissions[:, 0]  # (B, K): log-sum of all paths ending in each tag
        for t in range(1, emissions.shape[1]):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + transitions + emissions[:, t].unsqueeze(1), dim=1)
            alpha = torch.where(mask[:, t:t + 1], nxt, alpha)
        return torch.logsumexp(alpha + self.end, dim=1)

    def nll(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood of the gold paths: the training loss.

        Gold paths that the constraints forbid (``I-ORG`` after ``B-PER``) have probability 0 and an infinite
        loss, so they are refused, naming the sentence and position.
        """
        mask = self._check(emissions, mask)
        tags = self._check_tags(tags, mask)
        forbidden = torch.cat([self.forbidden_start[tags[:, :1]], self.forbidden[tags[:, :-1], tags[:, 1:]]], 1) & mask
        if forbidden.any():
            b, t = forbidden.nonzero()[0].tolist()
            before = f"after {self.tags[tags[b, t - 1]]!r}" if t else "at the start"
            raise ValueError(f"tags: sentence {b}, position {t}: {self.tags[tags[b, t]]!r} {before} breaks BIO, "
                             "which this CRF forbids (its probability is 0); fix the gold tags "
                             "(hclib.data.bmes_to_bio converts BMES) or build CRF(tags, constrained=False)")
        return (self._log_partition(emissions, mask) - self._path_score(emissions, tags, mask)).mean()

    def _check_tags(self, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Check gold tag ids against the mask; return them with padding clamped into range."""
        if not torch.is_tensor(tags) or tags.is_floating_point() or tags.dtype == torch.bool:
            raise TypeError(f"tags must be an integer tensor of tag ids, got {getattr(tags, 'dtype', type(tags))}")
        if tags.shape != mask.shape:
            raise ValueError(f"tags must be (batch, length) = {tuple(mask.shape)}, got {tuple(tags.shape)}")
        if ((tags < 0) | (tags >= len(self.tags)))[mask].any():
            raise ValueError(f"tag ids must be in 0..{len(self.tags) - 1} where mask is True")
        return tags.long().clamp(0, len(self.tags) - 1)  # padding positions are ignored through mask

    @torch.no_grad()
    def decode(self, emissions: torch.Tensor, mask: torch.Tensor, chunk: int = 256) -> list[list[int]]:
        """The best tag path of each sentence (Viterbi), as lists of tag ids of the sentence's length.

        Sentences are decoded ``chunk`` at a time in order of length, each chunk cut to its longest
        sentence, so one long sentence does not make every other walk its padding."""
        mask = self._check(emissions, mask)
        chunk = check_int("chunk", chunk, minimum=1)
        lengths = mask.sum(1)
        order = torch.argsort(lengths).tolist()
        paths: list[list[int]] = [[] for _ in order]
        for i in range(0, len(order), chunk):
            rows = order[i:i + chunk]
            width = max(1, int(lengths[rows].max()))
            for b, path in zip(rows, self._viterbi(emissions[rows, :width], mask[rows, :width])):
                paths[b] = path
        return paths

    def _viterbi(self, emissions: torch.Tensor, mask: torch.Tensor) -> list[list[int]]:
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
