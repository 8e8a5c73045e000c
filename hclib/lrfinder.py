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

from hclib.train import as_dataset, default_loss
from hclib.validate import check_int, check_number


def lr_range_test(model: torch.nn.Module, data, steps: int = 100, lr_min: float = 1e-7, lr_max: float = 1.0,
                  batch_size: int = 32, loss_fn: Callable = default_loss, weight_decay: float = 0.0,
                  smoothing: float = 0.9, stop_factor: float = 4.0, seed: int = 0) -> pd.DataFrame:
    """Loss against learning rate over ``steps`` AdamW steps; stops early once the loss explodes.

    Returns a table with columns ``lr``, ``loss`` (of each batch) and ``smoothed`` (exponential moving
    average, bias-corrected); it ends before the first loss that is not finite.
    """
    lr_min = check_number("lr_min", lr_min, minimum=0, low_open=True)
    lr_max = check_number("lr_max", lr_max, minimum=0, maximum=1e4, low_open=True)
    if not lr_min < lr_max:
        raise ValueError(f"need 0 < lr_min < lr_max, got lr_min={lr_min!r}, lr_max={lr_max!r}")
    steps, batch_size = check_int("steps", steps, minimum=2, maximum=10_000), check_int("batch_size", batch_size, minimum=1)
    smoothing = check_number("smoothing", smoothing, minimum=0, maximum=1, high_open=True)
    stop_factor = check_number("stop_factor", stop_factor, minimum=1, low_open=True)
    weight_decay, seed = check_number("weight_decay", weight_decay, minimum=0), check_int("seed", seed, minimum=0)
    if not isinstance(model, torch.nn.Module) or not any(p.requires_grad for p in model.parameters()):
        raise TypeError("model must be a torch Module with trainable parameters")
    data = as_dataset(data, "data")
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
            if not math.isfinite(value):  # the loss exploded: the curve ends at the last finite point
                break
            average = smoothing * average + (1 - smoothing) * value
            smoothed = average / (1 - smoothing ** (step + 1))
            rows.append({"lr": lr, "loss": value, "smoothed": smoothed})
            best = min(best, smoothed)
            if smoothed > stop_factor * best:
                break
    finally:
        model.load_state_dict(saved)
    if not rows:
        raise ValueError(f"the loss was not finite at the first step (lr_min={lr_min:g}); check the data for NaN, "
                         "or lower lr_min")
    return pd.DataFrame(rows)
