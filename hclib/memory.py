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
from hclib.validate import check_choice

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
