"""The learning-rate range test (Smith, 2017): how large a learning rate a model tolerates.

Train for a few steps while the learning rate grows geometrically from ``lr_min`` to ``lr_max`` and
record the loss. The loss first falls, then turns and shoots up: a good learning rate sits well
below the turn (a common rule: a tenth of the rate where the loss is lowest). The model's weights are
put back afterwards, so the test leaves nothing behind.

>>> from torch.utils.data import TensorDataset
>>> data = TensorDataset(torch.randn(256, 4), torch.randint(0, 2, (256,)))
>>> curve = lr_range_test(torch.nn.Linear(4, 2), data, steps=20, batch_size=32)
>>> len(curve) <= 20 and curve["lr"].is_monotonic_increasing
True
"""
from __future__ import annotations

import copy
import math
from typing import Callable

import pandas as pd
import torch
from torch.utils.data import DataLoader, RandomSampler

from hclib.train import default_loss


def lr_range_test(model: torch.nn.Module, data, steps: int = 100, lr_min: float = 1e-7, lr_max: float = 1.0,
                  batch_size: int = 32, loss_fn: Callable = default_loss, weight_decay: float = 0.0,
                  smoothing: float = 0.9, stop_factor: float = 4.0, seed: int = 0) -> pd.DataFrame:
    """Loss against learning rate over ``steps`` AdamW steps; stops early once the loss explodes.

    Returns a table with columns ``lr``, ``loss`` (of each batch) and ``smoothed`` (exponential moving
    average, bias-corrected).
    """
    if not 0 < lr_min < lr_max:
        raise ValueError(f"need 0 < lr_min < lr_max, got lr_min={lr_min!r}, lr_max={lr_max!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps must be an integer of at least 2, got {steps!r}")
    saved = copy.deepcopy(model.state_dict())
    generator = torch.Generator().manual_seed(seed)
    sampler = RandomSampler(data, replacement=True, num_samples=steps * batch_size, generator=generator)
    loader = DataLoader(data, batch_size, sampler=sampler, collate_fn=getattr(data, "collate", None))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr_min,
                                  weight_decay=weight_decay)
    factor = (lr_max / lr_min) ** (1 / (steps - 1))
    rows, average, best = [], 0.0, math.inf
    model.train()
    try:
        for step, batch in enumerate(loader):
            lr = lr_min * factor ** step
            for group in optimizer.param_groups:
                group["lr"] = lr
            loss, _, _ = loss_fn(model, batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            value = loss.item()
            average = smoothing * average + (1 - smoothing) * value
            smoothed = average / (1 - smoothing ** (step + 1))
            rows.append({"lr": lr, "loss": value, "smoothed": smoothed})
            best = min(best, smoothed)
            if not math.isfinite(value) or smoothed > stop_factor * best:
                break
    finally:
        model.load_state_dict(saved)
    return pd.DataFrame(rows)
