"""Masked-language-model (MLM) pre-training: how an encoder learns from text without labels.

BERT's recipe: choose 15 % of the characters; replace 80 % of those with ``[MASK]``, 10 % with a
random character and leave 10 % as they are; train the encoder to predict the original character at
the chosen places. Nobody labels anything: the text is its own answer key.

>>> from hclib.charenc import CharTransformer, CharVocab
>>> texts = ["北京欢迎你", "我爱北京天安门"] * 8
>>> vocab = CharVocab.build(texts)
>>> data = MaskedTextDataset(texts, vocab, max_length=16)
>>> batch = data.collate([data[i] for i in range(4)])
>>> model = MaskedLM(CharTransformer(len(vocab), dim=16, layers=1, heads=2, max_length=16))
>>> model(**batch)["loss"].ndim
0
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

import torch
import torch.nn.functional as F
from safetensors.torch import load_model, save_model
from torch import nn
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import Dataset

from hclib.charenc import MASK, PAD, SPECIALS, CharTransformer, CharVocab
from hclib.train import TrainConfig, Trainer


def mask_tokens(input_ids: torch.Tensor, vocab_size: int, p: float = 0.15,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(masked ids, labels)``: labels hold the original id where a character was chosen, else -100.

    >>> ids = torch.arange(3, 103).reshape(1, 100)
    >>> masked, labels = mask_tokens(ids, 200, generator=torch.Generator().manual_seed(0))
    >>> chosen = labels != -100
    >>> bool((labels[chosen] == ids[chosen]).all()), bool((masked[~chosen] == ids[~chosen]).all())
    (True, True)
    """
    if not 0 < p < 1:
        raise ValueError(f"the masking share p must be in (0, 1), got {p!r}")
    real = input_ids != PAD
    chosen = (torch.rand(input_ids.shape, generator=generator) < p) & real
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, -100))
    roll = torch.rand(input_ids.shape, generator=generator)
    masked = input_ids.clone()
    masked[chosen & (roll < 0.8)] = MASK
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    masked[swap] = torch.randint(len(SPECIALS), vocab_size, (int(swap.sum()),), generator=generator)
    return masked, labels


class MaskedTextDataset(Dataset):
    """Texts cut to ``max_length`` characters; each batch is masked afresh (dynamic masking, as RoBERTa)."""

    def __init__(self, texts: Sequence[str], vocab: CharVocab, max_length: int = 128, p: float = 0.15,
                 seed: int = 0):
        self.items = [torch.tensor(vocab.encode(t[i:i + max_length]))
                      for t in texts for i in range(0, len(t), max_length) if t[i:i + max_length].strip()]
        if not self.items:
            raise ValueError("no text to pre-train on; pass non-empty strings")
        self.vocab_size, self.p = len(vocab), p
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.items[i]

    def lengths(self) -> list[int]:
        return [len(x) for x in self.items]

    def collate(self, items: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        ids = pad_sequence(items, batch_first=True, padding_value=PAD)
        masked, labels = mask_tokens(ids, self.vocab_size, self.p, self.generator)
        return {"input_ids": masked, "attention_mask": ids != PAD, "labels": labels}


class MaskedLM(nn.Module):
    """An encoder with a prediction head whose output layer shares the character embeddings (as BERT)."""

    def __init__(self, encoder: CharTransformer):
        super().__init__()
        self.encoder = encoder
        self.transform = nn.Sequential(nn.Linear(encoder.dim, encoder.dim), nn.GELU(), nn.LayerNorm(encoder.dim))
        self.bias = nn.Parameter(torch.zeros(encoder.embedding.num_embeddings))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                labels: torch.Tensor) -> dict[str, torch.Tensor]:
        hidden = self.encoder(input_ids, attention_mask.bool())
        chosen = labels != -100  # scoring the whole vocabulary only where there is something to predict
        logits = self.transform(hidden[chosen]) @ self.encoder.embedding.weight.T + self.bias
        return {"loss": F.cross_entropy(logits, labels[chosen]), "logits": logits, "labels": labels[chosen]}


def mlm_loss(model: MaskedLM, batch: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The trainer's ``loss_fn`` for MLM: logits and labels of the masked characters only."""
    out = model(**batch)
    return out["loss"], out["logits"], out["labels"]


def save_masked_lm(model: MaskedLM, vocab: CharVocab, folder: str | Path) -> str:
    """Save weights (safetensors), vocabulary and encoder sizes to ``folder``; return the weights' SHA-256."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_model(model, str(folder / "mlm.safetensors"))
    vocab.save(folder / "vocab.json")
    (folder / "config.json").write_text(json.dumps(model.encoder.config, indent=1), encoding="utf-8")
    return sha256(folder / "mlm.safetensors")


def load_masked_lm(folder: str | Path, expected_sha256: str | None = None) -> tuple[MaskedLM, CharVocab]:
    """Load what :func:`save_masked_lm` wrote; refuse weights whose checksum differs from ``expected_sha256``.

    The encoder for fine-tuning is the ``.encoder`` of the returned model.
    """
    folder = Path(folder)
    weights = folder / "mlm.safetensors"
    if not weights.is_file():
        raise FileNotFoundError(f"no pre-trained model in {folder}; run the pre-training cell to make one")
    if expected_sha256 is not None and sha256(weights) != expected_sha256:
        raise ValueError(f"{weights} has SHA-256 {sha256(weights)}, expected {expected_sha256}: the file changed; "
                         "delete the folder and pre-train again")
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    model = MaskedLM(CharTransformer(**config))
    load_model(model, str(weights))
    return model, CharVocab.load(folder / "vocab.json")


def sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@torch.no_grad()
def fill_blanks(model: MaskedLM, vocab: CharVocab, text: str, blank: str = "□", k: int = 5) -> list[list[str]]:
    """The ``k`` likeliest characters for each ``blank`` in ``text``, best first.

    >>> vocab = CharVocab.build(["北京欢迎你"])
    >>> model = MaskedLM(CharTransformer(len(vocab), dim=8, layers=1, heads=2))
    >>> len(fill_blanks(model, vocab, "北□欢□", k=3)), len(fill_blanks(model, vocab, "北□", k=3)[0])
    (2, 3)
    """
    if blank not in text:
        raise ValueError(f"no blank {blank!r} in {text!r}; mark each character to predict with {blank!r}")
    ids = torch.tensor([[MASK if ch == blank else vocab[ch] for ch in text]])
    chosen = ids == MASK
    model.eval()
    logits = model(ids, torch.ones_like(ids, dtype=torch.bool), torch.where(chosen, 0, -100))["logits"]
    return [[vocab.itos[i] for i in row.topk(k).indices.tolist()] for row in logits]


def pretrain(texts: Sequence[str], vocab: CharVocab, folder: str | Path, encoder: dict, config: TrainConfig,
             eval_texts: Sequence[str] = ()) -> dict:
    """Pre-train a :class:`CharTransformer` with sizes ``encoder`` by MLM, save it in ``folder``, return its card.

    A folder that already holds an encoder made with the same settings is reused, not retrained, after
    checking the weights' SHA-256 against the card: pre-training is paid once, fine-tuning many times.
    The card (``pretraining.json``) records the settings, the checksum, the time and the learning curve.
    """
    folder = Path(folder)
    settings = {"encoder": encoder, "train": {k: v for k, v in asdict(config).items() if k != "progress"},
                "texts": len(texts), "characters": sum(map(len, texts)), "vocab": len(vocab)}
    card_path = folder / "pretraining.json"
    if card_path.is_file():
        card = json.loads(card_path.read_text(encoding="utf-8"))
        if card["settings"] == settings:
            load_masked_lm(folder, expected_sha256=card["sha256"])  # raises if the weights changed
            return {**card, "reused": True}
    model = MaskedLM(CharTransformer(len(vocab), **encoder))
    evaluation = MaskedTextDataset(eval_texts, vocab, encoder.get("max_length", 128), seed=1) if eval_texts else None
    record = Trainer(model, config, loss_fn=mlm_loss).fit(
        MaskedTextDataset(texts, vocab, encoder.get("max_length", 128), seed=config.seed), evaluation)
    card = {"settings": settings, "sha256": save_masked_lm(model, vocab, folder),
            "seconds": record.wall_seconds, "device": record.device, "cost_usd": record.cost,
            "history": record.history, "made": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    card_path.write_text(json.dumps(card, indent=1), encoding="utf-8")
    return {**card, "reused": False}
