"""Seeding: the same seed gives the same numbers on a re-run (on a CPU)."""
from __future__ import annotations

import os
import random

import numpy as np
import torch


def seed_everything(seed: int, deterministic: bool = True) -> int:
    """Seed Python, NumPy and torch (every device) and return the seed.

    With ``deterministic=True`` torch is asked for deterministic kernels where
    they exist (``warn_only``, so an operation without one still runs).

    >>> seed_everything(0)
    0
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32), got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds CUDA devices too
    os.environ["PYTHONHASHSEED"] = str(seed)  # for subprocesses started from here
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
    return seed


def rng_state() -> dict:
    """Every random generator's state, as tensors and plain values (loadable with ``weights_only=True``)."""
    kind, keys, *rest = np.random.get_state()
    return {"torch": torch.get_rng_state(), "python": random.getstate(),
            "numpy": (kind, torch.from_numpy(keys.astype(np.int64)), *rest),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}


def set_rng_state(state: dict) -> None:
    """Restore what :func:`rng_state` captured."""
    if not isinstance(state, dict) or not {"torch", "python", "numpy", "cuda"} <= set(state):
        raise ValueError("state must be the dict that hclib.seed.rng_state() returned")
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    kind, keys, *rest = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), *rest))
    if state["cuda"]:
        torch.cuda.set_rng_state_all(state["cuda"])
