"""Token attributions of a text classifier and the checks that say whether they explain the model.

- :func:`token_attributions`: integrated gradients (Sundararajan et al., 2017; via Captum's
  ``LayerIntegratedGradients``) of the log-odds of class 1 with respect to the embedding layer's
  output, summed over the hidden dimension: one number a token, and the completeness error
  (attributions' sum minus the change in log-odds from the baseline), which should be near zero.
- :func:`cascade_blocks` and :func:`randomise`: the parameter-randomisation test of Adebayo et al.
  (2018): re-initialise the model from the top (classifier) down, one block at a time.
- :func:`rank_correlation`: Spearman's correlation of two attribution vectors over the same tokens.
- :func:`attention_received` and :func:`attention_rollout`: two ways to turn attention weights into
  one number a token, to compare with attributions.

>>> a = np.array([0.0, 3.0, -1.0, 2.0]); rank_correlation(a, 2 * a, absolute=False)
1.0
"""
from __future__ import annotations

import copy

import numpy as np
import torch
from scipy import stats

from hclib.validate import check_array, check_int, check_number


def _layers(model: torch.nn.Module):
    """The encoder inside ``model``, with ``.embeddings`` and ``.encoder.layer``."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch Module (from hclib.models.load_encoder), got {type(model).__name__}")
    base = getattr(model, getattr(model, "base_model_prefix", ""), None)
    if base is None or not hasattr(base, "embeddings") or not hasattr(getattr(base, "encoder", None), "layer"):
        raise ValueError(f"{type(model).__name__} is not a BERT-style classifier with .embeddings and "
                         ".encoder.layer; pass the model hclib.models.load_encoder('classification', "
                         "pooling='mean') returns")
    return base


def _logits(output) -> torch.Tensor:
    return output["logits"] if isinstance(output, dict) else output.logits


def log_odds(model: torch.nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Logit of class 1 minus logit of class 0, one value a text (the quantity attributed here)."""
    logits = _logits(model(input_ids=input_ids, attention_mask=attention_mask))
    return logits[:, 1] - logits[:, 0]


def baseline_ids(input_ids: torch.Tensor, attention_mask: torch.Tensor, pad_id: int,
                 keep_ids: tuple[int, ...] = ()) -> torch.Tensor:
    """The reference input: every token replaced by ``pad_id``, except the ids in ``keep_ids`` (``[CLS]``, ``[SEP]``).

    >>> baseline_ids(torch.tensor([[101, 7, 8, 102]]), torch.ones(1, 4), 0, (101, 102)).tolist()
    [[101, 0, 0, 102]]
    """
    keep = torch.zeros_like(input_ids, dtype=torch.bool)
    for i in keep_ids:
        keep |= input_ids == i
    return torch.where(keep & attention_mask.bool(), input_ids, torch.full_like(input_ids, pad_id))


def token_attributions(model: torch.nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                       pad_id: int, keep_ids: tuple[int, ...] = (), n_steps: int = 50,
                       internal_batch_size: int = 64) -> dict[str, np.ndarray]:
    """Integrated gradients of the log-odds with respect to the embedding layer, one value a token.

    ``input_ids`` and ``attention_mask`` are a padded batch (texts x tokens). Returns ``attributions``
    (texts x tokens, zero at padding), ``delta`` (the completeness error of each text: attributions'
    sum minus ``log_odds(x) - log_odds(baseline)``) and ``change`` (that difference). Captum's
    Gauss-Legendre rule with ``n_steps`` points approximates the path integral; more steps, smaller delta.

    >>> from hclib.models import load_encoder
    >>> m = load_encoder("classification", pooling="mean").eval()
    >>> ids, mask = torch.tensor([[101, 2204, 102]]), torch.ones(1, 3, dtype=torch.long)
    >>> r = token_attributions(m, ids, mask, pad_id=0, keep_ids=(101, 102), n_steps=20)
    >>> r["attributions"].shape, abs(float(r["delta"][0])) < 1e-3
    ((1, 3), True)
    """
    from captum.attr import LayerIntegratedGradients

    base = _layers(model)
    input_ids, attention_mask = torch.as_tensor(input_ids), torch.as_tensor(attention_mask)
    if input_ids.ndim != 2 or input_ids.shape != attention_mask.shape:
        raise ValueError(f"input_ids and attention_mask must be (texts x tokens) of one shape, got "
                         f"{tuple(input_ids.shape)} and {tuple(attention_mask.shape)}; tokenise with padding=True")
    n_steps = check_int("n_steps", n_steps, minimum=2)
    internal_batch_size = check_int("internal_batch_size", internal_batch_size, minimum=1)
    model.eval()
    reference = baseline_ids(input_ids, attention_mask, pad_id, keep_ids)
    ig = LayerIntegratedGradients(lambda ids, mask: log_odds(model, ids, mask), base.embeddings)
    attributions, delta = ig.attribute(input_ids, baselines=reference, additional_forward_args=(attention_mask,),
                                       n_steps=n_steps, internal_batch_size=internal_batch_size,
                                       return_convergence_delta=True)
    with torch.no_grad():
        change = log_odds(model, input_ids, attention_mask) - log_odds(model, reference, attention_mask)
    per_token = attributions.sum(-1) * attention_mask
    return {"attributions": per_token.detach().numpy(), "delta": delta.detach().numpy(),
            "change": change.numpy()}


def cascade_blocks(model: torch.nn.Module) -> list[tuple[str, torch.nn.Module]]:
    """The model's blocks from the top down: the classifier, the Transformer layers (last first), the embeddings.

    Randomising the first k of them is step k of Adebayo et al.'s cascading randomisation.

    >>> from hclib.models import load_encoder
    >>> [name for name, _ in cascade_blocks(load_encoder("classification", pooling="mean"))][:3]
    ['classifier', 'layer 6', 'layer 5']
    """
    base = _layers(model)
    head = getattr(model, "classifier", None)
    if head is None:
        raise ValueError(f"{type(model).__name__} has no .classifier; pass a classifier from hclib.models")
    layers = list(base.encoder.layer)
    blocks = [("classifier", head)]
    blocks += [(f"layer {i + 1}", layers[i]) for i in reversed(range(len(layers)))]
    return blocks + [("embeddings", base.embeddings)]


@torch.no_grad()
def randomise(module: torch.nn.Module, seed: int = 0, std: float = 0.02) -> torch.nn.Module:
    """Re-initialise ``module`` in place as BERT initialises: normal(0, ``std``) weights, zero biases, unit norms.

    >>> layer = randomise(torch.nn.Linear(4, 2), seed=0); float(layer.bias.detach().abs().sum())
    0.0
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch Module, got {type(module).__name__}")
    std = check_number("std", std, minimum=0, low_open=True)
    generator = torch.Generator().manual_seed(check_int("seed", seed, minimum=0))
    for m in module.modules():
        if isinstance(m, (torch.nn.Linear, torch.nn.Embedding)):
            m.weight.copy_(torch.randn(m.weight.shape, generator=generator) * std)
            if getattr(m, "bias", None) is not None:
                m.bias.zero_()
        elif isinstance(m, torch.nn.LayerNorm):
            m.weight.fill_(1.0)
            m.bias.zero_()
    return module


def randomised_copy(model: torch.nn.Module, blocks: int, seed: int = 0) -> torch.nn.Module:
    """A copy of ``model`` with its top ``blocks`` blocks (see :func:`cascade_blocks`) re-initialised."""
    total = len(cascade_blocks(model))
    blocks = check_int("blocks", blocks, minimum=0, maximum=total)
    copied = copy.deepcopy(model)
    for k, (_, module) in enumerate(cascade_blocks(copied)[:blocks]):
        randomise(module, seed=seed + k)
    return copied.eval()


def rank_correlation(a, b, absolute: bool = True) -> float:
    """Spearman's rank correlation of two attribution vectors over the same tokens.

    With ``absolute`` (Adebayo et al.'s main variant) the ranks are of magnitudes, so a token that
    matters either way ranks high; NaN when either vector is constant.

    >>> rank_correlation([1.0, -5.0, 2.0], [1.0, 5.0, 2.0])
    1.0
    """
    a, b = check_array("a", a, ndim=1).astype(float), check_array("b", b, ndim=1).astype(float)
    if len(a) != len(b):
        raise ValueError(f"a and b must score the same tokens, got lengths {len(a)} and {len(b)}")
    if len(a) < 3:
        raise ValueError(f"a rank correlation needs at least 3 tokens, got {len(a)}")
    if absolute:
        a, b = np.abs(a), np.abs(b)
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(stats.spearmanr(a, b).statistic)


def attention_received(attentions, attention_mask, layer: int = -1) -> np.ndarray:
    """Attention each token receives in one layer, averaged over heads and over the real query tokens.

    ``attentions`` is the model's tuple of (texts x heads x queries x keys) tensors. A mean-pooled
    classifier reads every position equally, so the mean over queries (not the ``[CLS]`` row) is the
    attention its output sees.

    >>> att = torch.full((1, 2, 3, 3), 1 / 3); attention_received((att,), torch.ones(1, 3)).round(3).tolist()
    [[0.333, 0.333, 0.333]]
    """
    att = torch.as_tensor(attentions[layer]).float().mean(1)  # texts x queries x keys
    mask = torch.as_tensor(attention_mask).float()
    return ((att * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True) * mask).double().numpy()


def attention_rollout(attentions, attention_mask) -> np.ndarray:
    """Attention rollout (Abnar and Zuidema, 2020), received by each token, averaged over the real query tokens.

    Each layer's head-averaged attention is mixed with the identity (the residual connection),
    0.5 A + 0.5 I, rows renormalised, and the layers multiplied from the bottom up.

    >>> att = torch.full((1, 1, 2, 2), 0.5); attention_rollout((att, att), torch.ones(1, 2)).tolist()
    [[0.5, 0.5]]
    """
    mask = torch.as_tensor(attention_mask).float()
    rollout = None
    for layer in attentions:
        a = torch.as_tensor(layer).float().mean(1)
        a = 0.5 * a + 0.5 * torch.eye(a.shape[-1])
        a = a / a.sum(-1, keepdim=True)
        rollout = a if rollout is None else a @ rollout
    return ((rollout * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True) * mask).double().numpy()


def token_heatmap(tokens: list[list[str]], values: list, titles: list[str] | None = None, max_tokens: int = 60,
                  width: int = 90, ax=None):
    """Show texts as word pieces on a red-white-green scale of their attributions, one text a block.

    Each text is scaled to its own largest magnitude (colours compare tokens within a text, not across texts);
    only the first ``max_tokens`` pieces are shown, wrapped every ``width`` characters.
    """
    import matplotlib.pyplot as plt

    if not isinstance(tokens, (list, tuple)) or len(tokens) != len(values) or not tokens:
        raise ValueError("tokens and values must be lists with one entry a text (tokens[i] a list of word pieces, "
                         "values[i] their attributions), of one length")
    max_tokens, width = check_int("max_tokens", max_tokens, minimum=1), check_int("width", width, minimum=20)
    lines, layout = 0, []
    for i, (toks, vals) in enumerate(zip(tokens, values)):
        vals = check_array(f"values[{i}]", vals, ndim=1).astype(float)
        if len(vals) != len(toks):
            raise ValueError(f"text {i} has {len(toks)} tokens but {len(vals)} attributions; pass one a token")
        scale = np.abs(vals[:max_tokens]).max() or 1.0
        row, col, placed = lines + 1, 0, []
        for tok, v in zip(toks[:max_tokens], vals[:max_tokens]):
            if col + len(tok) + 1 > width:
                row, col = row + 1, 0
            placed.append((row, col, tok, v / scale))
            col += len(tok) + 1
        layout.append((lines, placed))
        lines = row + 1
    if ax is None:
        _, ax = plt.subplots(figsize=(width * 0.078, 0.26 * lines + 0.2))
    cmap = plt.get_cmap("RdYlGn")
    for i, (top, placed) in enumerate(layout):
        if titles is not None:
            ax.text(0, top, titles[i], fontsize=8, fontweight="bold", va="top", family="monospace")
        for row, col, tok, v in placed:
            ax.text(col, row, tok, fontsize=8, va="top", family="monospace",
                    bbox=dict(boxstyle="square,pad=0.1", fc=cmap(0.5 + 0.5 * v), ec="none"))
    ax.set_xlim(0, width)
    ax.set_ylim(lines, -0.5)
    ax.axis("off")
    return ax
