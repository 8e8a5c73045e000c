"""The order in which a training run sees its examples."""
from __future__ import annotations

import torch
from torch.utils.data import Sampler


class EpochSampler(Sampler[int]):
    """A new random order each epoch, fixed by ``seed + epoch`` so a resumed run sees the same order.

    With ``lengths`` it groups items of similar length: shuffle, sort inside chunks
    of 50 batches, then shuffle the batches.
    """

    def __init__(self, n: int, seed: int, batch_size: int, lengths: list[int] | None = None):
        self.n, self.seed, self.batch_size, self.lengths, self.epoch = n, seed, batch_size, lengths, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.n

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed + self.epoch)
        order = torch.randperm(self.n, generator=g).tolist()
        if self.lengths is None:
            return iter(order)
        chunk = 50 * self.batch_size
        order = [i for s in range(0, self.n, chunk)
                 for i in sorted(order[s:s + chunk], key=self.lengths.__getitem__, reverse=True)]
        batches = [order[s:s + self.batch_size] for s in range(0, self.n, self.batch_size)]
        perm = torch.randperm(len(batches), generator=g).tolist()
        return iter([i for b in perm for i in batches[b]])
