"""Fine-tune the top layers of the encoder on cached outputs of its frozen lower layers.

When the lower layers are frozen, what they compute for a text never changes, so it can be computed once.
:func:`lower_states` runs the embeddings and the lowest ``split_at`` Transformer layers over the texts and
keeps their output; :class:`TopEncoder` holds copies of the layers above (still the pre-trained weights,
and trainable), mean-pools their output like the sentence encoder does, and adds a fresh classifier. A
training step then costs only the top layers: on two CPU cores, dozens of fine-tuning runs fit in minutes.

>>> states = lower_states(["a fine tea", "stale and bitter"], split_at=4, max_length=16)
>>> model = TopEncoder(split_at=4)
>>> batch = StatesDataset(states, [1, 0]).collate([StatesDataset(states, [1, 0])[i] for i in range(2)])
>>> model(**batch)["logits"].shape
torch.Size([2, 2])
"""
from __future__ import annotations

import copy
from typing import Sequence

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from hclib.validate import check_choice, check_int, check_list, check_number


def _encoder(split_at: int):
    from hclib.models import load_encoder

    encoder = load_encoder("embedding")
    layers = len(encoder.encoder.layer)
    check_int("split_at (the frozen lower layers)", split_at, minimum=0, maximum=layers - 1)
    return encoder


def _bidirectional_mask(config, hidden: torch.Tensor, attention_mask: torch.Tensor):
    from transformers.masking_utils import create_bidirectional_mask

    return create_bidirectional_mask(config=config, inputs_embeds=hidden, attention_mask=attention_mask)


@torch.no_grad()
def lower_states(texts: Sequence[str], split_at: int = 4, max_length: int = 128,
                 batch_size: int = 64) -> list[torch.Tensor]:
    """Output of the embeddings and the lowest ``split_at`` layers for each text (one ``tokens x 384`` tensor)."""
    from hclib.models import TextDataset

    texts = check_list("texts", texts, min_length=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    encoder = _encoder(split_at).eval()
    data = TextDataset([str(t) for t in texts], max_length=check_int("max_length", max_length, minimum=2))
    out: list[torch.Tensor | None] = [None] * len(data)
    order = np.argsort(data.lengths())
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        batch = data.collate([data[i] for i in idx])
        hidden = encoder.embeddings(input_ids=batch["input_ids"], token_type_ids=batch.get("token_type_ids"))
        mask = _bidirectional_mask(encoder.config, hidden, batch["attention_mask"])
        for layer in encoder.encoder.layer[:split_at]:
            hidden = layer(hidden, mask)
        for row, i in enumerate(idx):
            out[i] = hidden[row, : int(batch["attention_mask"][row].sum())].clone()
    return out


class StatesDataset(Dataset):
    """Cached lower-layer states with their labels; batches are padded to their longest text."""

    def __init__(self, states: list[torch.Tensor], labels: Sequence[int] | None = None):
        self.states = check_list("states", states, min_length=1)
        if not all(torch.is_tensor(s) and s.dim() == 2 for s in self.states):
            raise TypeError("states must be the list lower_states() returns (one tokens x width tensor a text)")
        self.labels = None if labels is None else check_list("labels", labels)
        if self.labels is not None and not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                               and v >= 0 for v in self.labels):
            raise TypeError("labels must be class numbers 0, 1, ... (one int a text)")
        self.labels = None if self.labels is None else [int(v) for v in self.labels]
        if self.labels is not None and len(self.labels) != len(self.states):
            raise ValueError(f"{len(self.states)} texts' states but {len(self.labels)} labels; pass one label a text")

    def __len__(self) -> int:
        return len(self.states)

    def __getitem__(self, i: int) -> dict:
        item = {"hidden_states": self.states[i]}
        if self.labels is not None:
            item["labels"] = self.labels[i]
        return item

    def lengths(self) -> list[int]:
        """Tokens of every text (for length-grouped batches)."""
        return [len(s) for s in self.states]

    def collate(self, items: list[dict]) -> dict[str, torch.Tensor]:
        width = max(len(it["hidden_states"]) for it in items)
        hidden = torch.zeros(len(items), width, items[0]["hidden_states"].shape[1])
        mask = torch.zeros(len(items), width, dtype=torch.long)
        for row, it in enumerate(items):
            hidden[row, : len(it["hidden_states"])] = it["hidden_states"]
            mask[row, : len(it["hidden_states"])] = 1
        batch = {"hidden_states": hidden, "attention_mask": mask}
        if "labels" in items[0]:
            batch["labels"] = torch.tensor([it["labels"] for it in items])
        return batch


class TopEncoder(nn.Module):
    """The encoder's layers above ``split_at`` (pre-trained, trainable), mean pooling, dropout, a classifier.

    ``dropout`` is the rate of every dropout inside the copied layers and before the classifier."""

    def __init__(self, split_at: int = 4, num_labels: int = 2, dropout: float = 0.1):
        super().__init__()
        encoder = _encoder(split_at)
        self.config = copy.deepcopy(encoder.config)
        self.layers = nn.ModuleList(copy.deepcopy(list(encoder.encoder.layer)[split_at:]))
        dropout = check_number("dropout", dropout, minimum=0, maximum=1, high_open=True)
        for module in self.layers.modules():
            if isinstance(module, nn.Dropout):
                module.p = dropout
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(self.config.hidden_size, check_int("num_labels", num_labels, minimum=2))
        self.initial = {name: p.detach().clone() for name, p in self.layers.named_parameters()}

    def pooled(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor,
               pooling: str = "mean") -> torch.Tensor:
        """The sentence embedding: the mean of the top layer's token vectors over the real tokens, or with
        ``pooling='cls'`` the top layer's vector at the ``[CLS]`` position."""
        mask4 = _bidirectional_mask(self.config, hidden_states, attention_mask)
        for layer in self.layers:
            hidden_states = layer(hidden_states, mask4)
        if pooling == "cls":
            return hidden_states[:, 0]
        weights = attention_mask.unsqueeze(-1).to(hidden_states.dtype)
        return (hidden_states * weights).sum(1) / weights.sum(1)

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor,
                labels: torch.Tensor | None = None) -> dict:
        logits = self.classifier(self.dropout(self.pooled(hidden_states, attention_mask)))
        loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return {"loss": loss, "logits": logits}

    def relative_change(self) -> float:
        """||theta - theta_pretrained|| / ||theta_pretrained|| over the Transformer layers: how far training moved them."""
        moved = sum(((p.detach() - self.initial[n].to(p.device)) ** 2).sum().item()
                    for n, p in self.layers.named_parameters())
        size = sum((w ** 2).sum().item() for w in self.initial.values())
        return float(np.sqrt(moved / size))

    @torch.no_grad()
    def embed(self, data: StatesDataset, batch_size: int = 64, pooling: str = "mean") -> np.ndarray:
        """Sentence embeddings of cached states from the (possibly fine-tuned) top layers (``pooling``:
        ``'mean'`` or ``'cls'``, as in :meth:`pooled`)."""
        if not isinstance(data, StatesDataset):
            raise TypeError(f"data must be a StatesDataset, got {type(data).__name__}")
        check_choice("pooling", pooling, ("mean", "cls"))
        was_training, device = self.training, next(self.parameters()).device
        self.eval()
        out = []
        for start in range(0, len(data), batch_size):
            batch = data.collate([data[i] for i in range(start, min(start + batch_size, len(data)))])
            out.append(self.pooled(batch["hidden_states"].to(device), batch["attention_mask"].to(device),
                                   pooling).cpu())
        self.train(was_training)
        return torch.cat(out).numpy()
