"""The memory a model needs to train: weights, gradients, optimizer state and activations.

A process's resident memory (RSS) measures the Python interpreter, the libraries, the data and the
allocator's caches as much as the model; it cannot tell LoRA from full fine-tuning. :func:`training_memory`
counts what training itself holds:

- **weights**: every parameter, trainable or not;
- **gradients**: one tensor the size of each *trainable* parameter;
- **optimizer state**: for Adam and AdamW, two more (the running mean and mean square of the gradient);
- **activations**: the tensors the forward pass saves for the backward pass, measured by
  ``torch.autograd.graph.saved_tensors_hooks`` on one real batch (each storage counted once).

On a GPU, ``torch.cuda.max_memory_allocated`` around one training step gives the allocator's view of the
same total, which :func:`training_memory` adds as ``cuda_peak_mb``.

>>> model = torch.nn.Sequential(torch.nn.Linear(10, 20), torch.nn.ReLU(), torch.nn.Linear(20, 2))
>>> batch = (torch.randn(4, 10), torch.tensor([0, 1, 0, 1]))
>>> mem = training_memory(model, batch)
>>> mem["weights_mb"] == mem["gradients_mb"] == mem["optimizer_mb"] / 2
True
"""
from __future__ import annotations

from typing import Callable

import torch

from hclib.train import default_loss
from hclib.validate import check_choice, check_int

MB = 2**20
STATES_PER_PARAMETER = {"adamw": 2, "adam": 2, "sgd": 0, "sgd-momentum": 1}


def _bytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def training_memory(model: torch.nn.Module, batch, loss_fn: Callable = default_loss,
                    optimizer: str = "adamw") -> dict[str, float]:
    """Megabytes of weights, gradients, optimizer state and saved activations for one batch (and their total).

    ``batch`` is one training batch as the trainer would see it (a dict for Hugging Face models, or
    ``(x, y)``); the forward and backward pass run once and the gradients are cleared afterwards.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch Module, got {type(model).__name__}")
    optimizer = check_choice("optimizer", optimizer, tuple(STATES_PER_PARAMETER))
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not trainable:
        raise ValueError("model has no trainable parameters; nothing would train")
    seen: dict[int, int] = {}

    def keep(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        seen.setdefault(storage.data_ptr(), storage.nbytes())
        return tensor

    parameters = {p.untyped_storage().data_ptr() for p in model.parameters()}
    device = trainable[0].device
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
    model.train()
    with torch.autograd.graph.saved_tensors_hooks(keep, lambda tensor: tensor):
        loss, _, _ = loss_fn(model, batch)
    loss.backward()
    result = {
        "weights_mb": _bytes(model.parameters()) / MB,
        "gradients_mb": _bytes(trainable) / MB,
        "optimizer_mb": STATES_PER_PARAMETER[optimizer] * _bytes(trainable) / MB,
        "activations_mb": sum(n for ptr, n in seen.items() if ptr not in parameters) / MB,
    }
    if device.type == "cuda":
        result["cuda_peak_mb"] = (torch.cuda.max_memory_allocated(device) - before) / MB \
            + result["weights_mb"] + result["optimizer_mb"]
    model.zero_grad(set_to_none=True)
    result["total_mb"] = sum(result[k] for k in ("weights_mb", "gradients_mb", "optimizer_mb", "activations_mb"))
    return result


class _NoHook:
    """Stands in for a gradient hook MemTracker would put on a frozen parameter (removing it does nothing)."""

    def remove(self) -> None:
        pass


_NO_HOOK = _NoHook()


def step_peak_memory(model: torch.nn.Module, batch, loss_fn: Callable = default_loss,
                     accumulate: int = 1) -> dict[str, float]:
    """Megabytes held at the peak of one AdamW training step, by kind, as PyTorch's ``MemTracker`` counts them.

    ``torch.distributed._tools.mem_tracker.MemTracker`` (a PyTorch tool, private API) follows every tensor an
    operation creates, on a CPU as on a GPU, and files it as a parameter, gradient, activation (made in the
    forward pass), temporary (made in the backward pass) or optimizer state; it records the moment the live total
    is highest (when that moment falls in ``AdamW.step``, the step's temporaries count as optimizer memory).
    One step (forward, backward, ``AdamW.step``) runs untracked first so that AdamW's state exists, then one
    tracked; the learning rate is 0, so the weights do not change. ``accumulate=k`` runs the forward
    and backward pass ``k`` times (gradient accumulation over ``k`` micro-batches) before the optimizer step, so
    the gradients of the first micro-batch are held while the next one runs. Unlike :func:`training_memory`,
    which adds the four kinds up, this is the real peak: activations are freed while the gradients arrive.

    >>> model = torch.nn.Sequential(torch.nn.Linear(10, 20), torch.nn.ReLU(), torch.nn.Linear(20, 2))
    >>> peak = step_peak_memory(model, (torch.randn(4, 10), torch.tensor([0, 1, 0, 1])))
    >>> peak["total_mb"] >= peak["weights_mb"] + peak["optimizer_mb"]
    True
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch Module, got {type(model).__name__}")
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not trainable:
        raise ValueError("model has no trainable parameters; nothing would train")
    accumulate = check_int("accumulate", accumulate, minimum=1)
    from torch.distributed._tools.mem_tracker import MemTracker

    optimizer = torch.optim.AdamW(trainable, lr=0.0, weight_decay=0.0)  # lr 0: the weights stay as they are

    def step(tracker=None) -> None:
        for i in range(accumulate):
            if tracker is not None and i:
                tracker.reset_mod_stats()  # its per-module records only; the peak stays
            loss, _, _ = loss_fn(model, batch)
            (loss / accumulate).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    model.train()
    step()
    tracker = MemTracker()
    for p in model.parameters():  # MemTracker hooks every parameter's gradient; frozen ones cannot take a hook
        if not p.requires_grad:
            tracker._param_to_grad_hook_handles[p] = (_NO_HOOK, _NO_HOOK)
    tracker.track_external(model, optimizer)
    with tracker:
        step(tracker)
    snapshot = tracker.get_tracker_snapshot("peak")
    device = trainable[0].device
    kinds = next((v for k, v in snapshot.items() if torch.device(k).type == device.type), {})
    names = {"weights_mb": "Parameter", "gradients_mb": "Gradient", "optimizer_mb": "Optstate",
             "activations_mb": "Activation", "temporary_mb": "Temp", "total_mb": "Total"}
    return {key: sum(v for k, v in kinds.items() if str(getattr(k, "value", k)) == name) / MB
            for key, name in names.items()}
