"""What a training step of an encoder costs, before it runs: memory predicted from the architecture, time measured.

:func:`predict_training_memory` adds up the four kinds of memory training holds, from a BERT-style
configuration and the batch's shape alone:

- **weights**: 4 bytes a parameter in float32;
- **gradients**: 4 bytes a *trainable* parameter;
- **optimizer state**: AdamW keeps two float32 numbers a trainable parameter (8 bytes), SGD with momentum one;
- **activations**: the tensors the forward pass saves for the backward pass, ``tokens x`` a count per token
  derived layer by layer in :data:`SAVED_PER_TOKEN` (``batch x length x hidden x layers`` to first order, plus
  ``batch x heads x length^2 x layers`` when the attention probabilities are kept).

The sum of the four is the usual rule; the measured peak (``hclib.memory.step_peak_memory``) is lower, because
the four never live at once. The prediction's ``peak_mb`` is the larger of a step's two high moments: the start of
the backward pass (weights, optimizer state and every activation, no gradient yet; with gradient accumulation the
gradients of the earlier micro-batches too) and AdamW's step (weights, gradients, state, and the temporaries of
the update, which depend on AdamW's implementation: :data:`ADAMW`). Timing two ways of doing a step fairly (in
rounds, paired by round) is :func:`hclib.benchmark.time_in_rounds` and :func:`hclib.benchmark.step_ratio`.

>>> from transformers import BertConfig
>>> config = BertConfig(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536)
>>> encoder_parameters(config)["total"]  # all-MiniLM-L6-v2 with a 2-class head, no pooler
22566146
>>> mem = predict_training_memory(config, batch_size=16, seq_len=128)
>>> round(mem["weights_mb"] + mem["gradients_mb"] + mem["optimizer_mb"])  # 16 bytes a parameter
344
"""
from __future__ import annotations

from typing import Any

import numpy as np

from hclib.validate import check_choice, check_int

MB = 2**20
OPTIMIZER_BYTES = {"adamw": 8, "adam": 8, "sgd-momentum": 4, "sgd": 0}  # float32 state a trainable parameter
ATTENTION = ("sdpa", "eager")
#: AdamW's implementations in PyTorch: ``for-loop`` (one parameter at a time; the default on a CPU), ``foreach``
#: (all parameters at once; the default on a GPU) and ``fused`` (one kernel; hclib's Trainer asks for it on a GPU).
ADAMW = ("for-loop", "foreach", "fused")

#: Elements saved for the backward pass by one Transformer layer, per token (float32, no dropout), as
#: ``(per hidden unit, per intermediate unit, per head, per head and key position, constant)``. Derivation:
#: the layer's input (read by the query, key and value projections: one tensor), the query, key and value
#: (3 h), the attention output (h; fused attention returns it in the layout the output projection reads, eager
#: attention makes a contiguous copy of its context), the first LayerNorm's input and output (2 h) and statistics
#: (2), the GELU's input and output (2 x intermediate), the second LayerNorm's input (h) and statistics (2): 8 h + 2 i.
#: Fused attention (sdpa) adds a logsumexp a head; eager attention keeps the softmax probabilities, heads x length
#: a token. The layer's output is the next layer's input.
SAVED_PER_TOKEN = {"sdpa": (8, 2, 1, 0, 4), "eager": (8, 2, 0, 1, 4)}
#: Outside the layers, per token: the embedding LayerNorm's input (h) and statistics (2), the token ids
#: (int64: 2 float32 elements), and the last layer's output read by mean pooling (h).
SAVED_OUTSIDE_LAYERS = (2, 6)


def _config_sizes(config: Any) -> dict[str, int]:
    names = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "vocab_size",
             "max_position_embeddings", "type_vocab_size")
    missing = [n for n in names if not hasattr(config, n)]
    if missing:
        raise TypeError(f"config must be a BERT-style configuration (transformers.BertConfig or a model's "
                        f".config); it lacks {missing}")
    return {n: check_int(f"config.{n}", getattr(config, n), minimum=1) for n in names}


def encoder_parameters(config: Any, num_labels: int = 2, pooler: bool = False) -> dict[str, int]:
    """Parameters of a BERT-style encoder with a linear classifier on mean-pooled tokens, from its config.

    One layer holds ``4 (h^2 + h)`` in attention, ``2 h i + i + h`` in the feed-forward block and ``4 h`` in its
    two LayerNorms; the embeddings ``(vocab + positions + types) h + 2 h``; the head ``h x labels + labels``
    (and ``h^2 + h`` for BERT's ``[CLS]`` pooler when ``pooler=True``).

    >>> from transformers import BertConfig
    >>> encoder_parameters(BertConfig())["total"] > 100_000_000  # BERT-base
    True
    """
    c = _config_sizes(config)
    num_labels = check_int("num_labels", num_labels, minimum=1)
    h, i = c["hidden_size"], c["intermediate_size"]
    embeddings = (c["vocab_size"] + c["max_position_embeddings"] + c["type_vocab_size"]) * h + 2 * h
    layer = 4 * (h * h + h) + 2 * h * i + i + h + 4 * h
    head = h * num_labels + num_labels + ((h * h + h) if pooler else 0)
    layers = c["num_hidden_layers"] * layer
    return {"embeddings": embeddings, "layer": layer, "layers": layers, "head": head,
            "total": embeddings + layers + head}


def activation_elements(config: Any, seq_len: int, attention: str = "sdpa", layers: int | None = None) -> float:
    """Float32 elements saved for the backward pass per token, for ``layers`` trained layers (default: all).

    >>> from transformers import BertConfig
    >>> c = BertConfig(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536)
    >>> activation_elements(c, 128, "eager") > activation_elements(c, 128, "sdpa")
    True
    """
    c = _config_sizes(config)
    seq_len = check_int("seq_len", seq_len, minimum=1)
    attention = check_choice("attention", attention, ATTENTION)
    layers = c["num_hidden_layers"] if layers is None else check_int("layers", layers, 0, c["num_hidden_layers"])
    per_h, per_i, per_head, per_key, const = SAVED_PER_TOKEN[attention]
    a, h = c["num_attention_heads"], c["hidden_size"]
    per_layer = per_h * h + per_i * c["intermediate_size"] + per_head * a + per_key * a * seq_len + const
    outside_h, outside = SAVED_OUTSIDE_LAYERS
    if layers < c["num_hidden_layers"]:  # frozen layers below save nothing; the embeddings save nothing
        return layers * per_layer + h
    return layers * per_layer + outside_h * h + outside


def _largest_trainable(c: dict[str, int], num_labels: int, k: int) -> int:
    """Elements of the largest trainable tensor when the top ``k`` layers and the head train."""
    h, i = c["hidden_size"], c["intermediate_size"]
    largest = h * num_labels
    if k:
        largest = max(largest, h * i, h * h)
    if k == c["num_hidden_layers"]:
        largest = max(largest, h * max(c["vocab_size"], c["max_position_embeddings"], c["type_vocab_size"]))
    return largest


def predict_training_memory(config: Any, batch_size: int, seq_len: int, num_labels: int = 2,
                            optimizer: str = "adamw", trainable_layers: int | None = None,
                            attention: str = "sdpa", checkpointing: bool = False, accumulate: int = 1,
                            adamw: str = "for-loop") -> dict[str, float]:
    """Megabytes (2^20 bytes) of weights, gradients, optimizer state and activations for one float32 step,
    their sum (``total_mb``), and the predicted peak of the step (``peak_mb``).

    ``batch_size`` is the batch of one forward pass (a micro-batch when ``accumulate`` > 1).
    ``trainable_layers=k`` trains the top ``k`` layers and the head only (frozen layers below keep no
    gradients, no optimizer state and save no activations); ``None`` trains everything. ``checkpointing=True``
    keeps each layer's input only and recomputes one layer at a time in the backward pass, so the activations
    are ``layers x hidden`` a token plus one layer's worth.

    The peak is the larger of two moments. At the start of the backward pass the weights, the optimizer state
    and every activation are live and no gradient yet, or, with ``accumulate`` > 1 micro-batches a step, the
    gradients of the earlier ones. In AdamW's step the weights, gradients and state are live, plus the
    update's temporaries (``step_temporaries_mb``): the ``for-loop`` implementation (PyTorch's default on a
    CPU) makes two tensors the size of the parameter it updates, so twice the largest trainable tensor;
    ``foreach`` (the default on a GPU) one tensor the size of every trainable parameter; ``fused`` none.
    Other optimizers' steps are taken to need no temporaries. Temporaries of the forward and backward passes
    themselves (a frozen layer's intermediate results, the gradients of activations) are not predicted.

    >>> from transformers import BertConfig
    >>> c = BertConfig(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536)
    >>> full = predict_training_memory(c, 16, 128)
    >>> light = predict_training_memory(c, 16, 128, checkpointing=True)
    >>> light["activations_mb"] < full["activations_mb"] / 3
    True
    >>> round(light["peak_mb"] - light["weights_mb"] - light["gradients_mb"] - light["optimizer_mb"], 1)
    89.4
    """
    c = _config_sizes(config)
    batch_size, seq_len = check_int("batch_size", batch_size, minimum=1), check_int("seq_len", seq_len, minimum=1)
    optimizer = check_choice("optimizer", optimizer, tuple(OPTIMIZER_BYTES))
    attention = check_choice("attention", attention, ATTENTION)
    adamw = check_choice("adamw", adamw, ADAMW)
    accumulate = check_int("accumulate", accumulate, minimum=1)
    if not isinstance(checkpointing, (bool, np.bool_)):
        raise TypeError(f"checkpointing must be True or False, got {checkpointing!r}")
    layers = c["num_hidden_layers"]
    k = layers if trainable_layers is None else check_int("trainable_layers", trainable_layers, 0, layers)
    params = encoder_parameters(config, num_labels)
    trainable = params["head"] + k * params["layer"] + (params["embeddings"] if k == layers else 0)
    if checkpointing:
        one_layer = activation_elements(config, seq_len, attention, layers=1) - c["hidden_size"]
        per_token = k * c["hidden_size"] + one_layer + (SAVED_OUTSIDE_LAYERS[0] * c["hidden_size"]
                                                        + SAVED_OUTSIDE_LAYERS[1] if k == layers else 0)
    else:
        per_token = activation_elements(config, seq_len, attention, layers=k)
    result = {
        "weights_mb": 4 * params["total"] / MB,
        "gradients_mb": 4 * trainable / MB,
        "optimizer_mb": OPTIMIZER_BYTES[optimizer] * trainable / MB,
        "activations_mb": 4 * per_token * batch_size * seq_len / MB,
    }
    result["total_mb"] = sum(result.values())
    temporaries = 0.0
    if optimizer in ("adamw", "adam"):
        temporaries = {"for-loop": 2 * _largest_trainable(c, num_labels, k), "foreach": trainable,
                       "fused": 0}[adamw] * 4 / MB
    result["step_temporaries_mb"] = temporaries
    held = result["gradients_mb"] if accumulate > 1 else 0.0
    backward = result["weights_mb"] + result["optimizer_mb"] + result["activations_mb"] + held
    step = result["weights_mb"] + result["gradients_mb"] + result["optimizer_mb"] + temporaries
    result["peak_mb"] = max(backward, step)
    return result
