"""Smaller and faster versions of a fine-tuned text classifier: pruning, dropping layers, ONNX, int8.

Four ways to change a model before serving it, each returning a new model or file and leaving
the original alone:

- :func:`magnitude_prune` zeroes the smallest weights of every Transformer layer (unstructured
  sparsity). The zeros are still stored and still multiplied: a dense file and dense kernels
  gain nothing from them.
- :func:`drop_layers` keeps some of the Transformer layers (structured pruning): fewer matrices,
  so a smaller file and less work, and a model that must be trained again to recover.
- :func:`export_onnx` writes the model as an ONNX graph (one file), for ONNX Runtime.
- :func:`quantize_int8` turns an ONNX file's weights into 8-bit integers with one float scale per
  tensor (dynamic quantization: activations are quantized on the fly, batch by batch).

>>> import torch
>>> layer = torch.nn.Linear(4, 4)
>>> round(sparsity(magnitude_prune(torch.nn.Sequential(layer), 0.5)), 2)
0.5
"""
from __future__ import annotations

import contextlib
import copy
import io
import logging
import os
import warnings
from pathlib import Path

import torch

from hclib.validate import check_int, check_list, check_number, check_path

MB = 2**20


def _layers(model: torch.nn.Module) -> torch.nn.ModuleList | None:
    """The Transformer layers of a BERT-style model (or a MeanPoolClassifier around one)."""
    for owner in (model, getattr(model, "encoder", None), getattr(model, "bert", None)):
        inner = getattr(owner, "encoder", None)
        if inner is not None and isinstance(getattr(inner, "layer", None), torch.nn.ModuleList):
            return inner.layer
    return None


def _prunable(model: torch.nn.Module) -> list[torch.nn.Linear]:
    """Linear layers inside the Transformer layers (all of them when the model has no such layers)."""
    layers = _layers(model)
    scope = layers if layers is not None else model
    return [m for m in scope.modules() if isinstance(m, torch.nn.Linear)]


def magnitude_prune(model: torch.nn.Module, amount: float) -> torch.nn.Module:
    """A copy of ``model`` with the ``amount`` share of smallest-magnitude weights set to zero in each
    linear layer of its Transformer layers (embeddings and the classifier are left whole).

    Unstructured: the zeros sit anywhere in each matrix, so the shapes, the file and the dense
    matrix products stay the same size.

    >>> pruned = magnitude_prune(torch.nn.Sequential(torch.nn.Linear(10, 10)), 0.3)
    >>> round(sparsity(pruned), 2)
    0.3
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    amount = check_number("amount (the share of weights to zero, in [0, 1))", amount, minimum=0, maximum=1,
                          high_open=True)
    pruned = copy.deepcopy(model)
    with torch.no_grad():
        for linear in _prunable(pruned):
            weight = linear.weight
            k = int(round(amount * weight.numel()))
            if k == 0:
                continue
            threshold = weight.abs().flatten().kthvalue(k).values
            weight.masked_fill_(weight.abs() <= threshold, 0.0)
    return pruned


def sparsity(model: torch.nn.Module) -> float:
    """Share of exact zeros among the weights :func:`magnitude_prune` acts on.

    >>> sparsity(torch.nn.Sequential(torch.nn.Linear(3, 3)))
    0.0
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    weights = [m.weight for m in _prunable(model)]
    if not weights:
        raise ValueError("the model has no linear layers to measure")
    zeros = sum(int((w == 0).sum()) for w in weights)
    return zeros / sum(w.numel() for w in weights)


def drop_layers(model: torch.nn.Module, keep: list[int]) -> torch.nn.Module:
    """A copy of a BERT-style ``model`` that keeps only the Transformer layers numbered in ``keep``.

    >>> from transformers import BertConfig, BertModel
    >>> tiny = BertModel(BertConfig(hidden_size=8, num_hidden_layers=4, num_attention_heads=2,
    ...                             intermediate_size=16, vocab_size=50))
    >>> drop_layers(tiny, [0, 2]).config.num_hidden_layers
    2
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    layers = _layers(model)
    if layers is None:
        raise ValueError("model has no Transformer layers (encoder.layer); pass a BERT-style model or a "
                         "MeanPoolClassifier")
    keep = [check_int(f"keep[{i}]", k, 0, len(layers) - 1) for i, k in enumerate(check_list("keep", keep, 1))]
    if len(set(keep)) != len(keep):
        raise ValueError(f"keep lists a layer twice: {keep}; name each layer once")
    smaller = copy.deepcopy(model)
    target = _layers(smaller)
    kept = torch.nn.ModuleList([target[i] for i in sorted(keep)])
    for owner in (smaller, getattr(smaller, "encoder", None)):
        inner = getattr(owner, "encoder", None)
        if inner is not None and getattr(inner, "layer", None) is target:
            inner.layer = kept
    for index, layer in enumerate(kept):  # the attention's cache index follows the layer's position
        attention = getattr(getattr(layer, "attention", None), "self", None)
        if attention is not None and hasattr(attention, "layer_idx"):
            attention.layer_idx = index
    smaller.config.num_hidden_layers = len(kept)
    return smaller


@contextlib.contextmanager
def _quiet():
    """Silence the exporter's and quantizer's progress notes and warnings (they go to logging and stderr)."""
    loggers = [logging.getLogger(), logging.getLogger("torch"), logging.getLogger("torch.onnx"),
               logging.getLogger("torch.export"), logging.getLogger("onnxscript")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


class _Logits(torch.nn.Module):
    """(input_ids, attention_mask) -> logits: the plain signature an ONNX graph needs."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        out = self.model(input_ids=input_ids, attention_mask=attention_mask)
        return out["logits"] if isinstance(out, dict) or hasattr(out, "keys") else out.logits


def export_onnx(model: torch.nn.Module, path: str | Path, opset: int = 18) -> Path:
    """Write a text classifier as one ONNX file with inputs ``input_ids``, ``attention_mask`` (int64,
    any batch size and length) and output ``logits``.

    Uses PyTorch's current exporter (``torch.export`` then onnxscript, ``dynamo=True``); the weights
    are stored inside the file. Returns the path.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    path = check_path("path", path)
    opset = check_int("opset", opset, 17, 23)
    wrapper = _Logits(copy.deepcopy(model).cpu().eval())
    ids = torch.ones(2, 8, dtype=torch.long)
    mask = torch.ones(2, 8, dtype=torch.long)
    batch, length = torch.export.Dim("batch"), torch.export.Dim("length", max=512)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _quiet():
        program = torch.onnx.export(
            wrapper, (ids, mask), dynamo=True, opset_version=opset, input_names=["input_ids", "attention_mask"],
            output_names=["logits"], dynamic_shapes={"input_ids": {0: batch, 1: length},
                                                     "attention_mask": {0: batch, 1: length}},
            external_data=False, verbose=False)
        program.save(str(path), external_data=False)
    return path


def quantize_int8(source: str | Path, target: str | Path, per_channel: bool = False,
                  reduce_range: bool = False) -> Path:
    """Dynamic int8 quantization of an ONNX file with ONNX Runtime: weights of the matrix products
    (and the embedding tables) stored as signed 8-bit integers with a float scale, activations
    quantized at run time. Returns ``target``.

    ``per_channel`` gives each output column of a weight matrix its own scale (one scale a tensor
    otherwise); ``reduce_range`` keeps the weights to 7 bits, which avoids an overflow of the
    integer products on CPUs without VNNI instructions at the cost of half the levels. Which of these
    keeps a model's accuracy is an empirical question: choose them on validation data.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source = check_path("source", source, must_exist=True)
    target = check_path("target", target)
    for name, value in (("per_channel", per_channel), ("reduce_range", reduce_range)):
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False, got {value!r}")
    if source.resolve() == target.resolve():
        raise ValueError("target must differ from source; write the int8 model to a new file")
    with _quiet():
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=per_channel,
                         reduce_range=reduce_range)
    return target


def file_mb(path: str | Path) -> float:
    """Size of a file (or of every file in a folder) in MiB.

    >>> import tempfile; f = tempfile.NamedTemporaryFile(delete=False); _ = f.write(b"x" * MB); f.close()
    >>> file_mb(f.name)
    1.0
    """
    path = check_path("path", path, must_exist=True)
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / MB
    return os.path.getsize(path) / MB


def save_torch(model: torch.nn.Module, path: str | Path) -> Path:
    """Save a model's weights as one safetensors file (how a PyTorch model ships); returns the path."""
    from safetensors.torch import save_file

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    path = check_path("path", path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(state, str(path))
    return path
