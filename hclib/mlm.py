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
from hclib.validate import atomic_write_text, check_int, check_number, check_path, check_str, check_strings, read_json


def mask_tokens(input_ids: torch.Tensor, vocab_size: int, p: float = 0.15,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(masked ids, labels)``: labels hold the original id where a character was chosen, else -100.

    >>> ids = torch.arange(3, 103).reshape(1, 100)
    >>> masked, labels = mask_tokens(ids, 200, generator=torch.Generator().manual_seed(0))
    >>> chosen = labels != -100
    >>> bool((labels[chosen] == ids[chosen]).all()), bool((masked[~chosen] == ids[~chosen]).all())
    (True, True)
    """
    p = check_number("p", p, minimum=0, maximum=1, low_open=True, high_open=True)
    vocab_size = check_int("vocab_size", vocab_size, minimum=len(SPECIALS) + 1)
    if not torch.is_tensor(input_ids) or input_ids.is_floating_point() or input_ids.dim() != 2:
        got = f"{input_ids.dtype} of shape {tuple(input_ids.shape)}" if torch.is_tensor(input_ids) else repr(input_ids)
        raise TypeError(f"input_ids must be a 2-D integer tensor (batch, length), got {got}")
    real = input_ids != PAD
    if not real.any():
        raise ValueError("input_ids holds only padding; pass at least one character")
    if ((input_ids < 0) | (input_ids >= vocab_size)).any():
        raise ValueError(f"input_ids must be ids from 0 to vocab_size - 1 = {vocab_size - 1}")
    chosen = (torch.rand(input_ids.shape, generator=generator) < p) & real
    if not chosen.any():  # nothing to predict would make the loss NaN: choose one real character
        places = real.flatten().nonzero().squeeze(1)
        chosen.view(-1)[places[torch.randint(len(places), (1,), generator=generator)]] = True
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, -100))
    roll = torch.rand(input_ids.shape, generator=generator)
    masked = input_ids.clone()
    masked[chosen & (roll < 0.8)] = MASK
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    masked[swap] = torch.randint(len(SPECIALS), vocab_size, (int(swap.sum()),), generator=generator)
    return masked, labels


def _check_vocab(vocab) -> None:
    if not isinstance(vocab, CharVocab):
        raise TypeError(f"vocab must be a CharVocab (CharVocab.build(texts)), got {type(vocab).__name__}")


class MaskedTextDataset(Dataset):
    """Texts cut to ``max_length`` characters; each batch is masked afresh (dynamic masking, as RoBERTa)."""

    def __init__(self, texts: Sequence[str], vocab: CharVocab, max_length: int = 128, p: float = 0.15,
                 seed: int = 0):
        texts = check_strings("texts", texts)
        max_length = check_int("max_length", max_length, minimum=1)
        _check_vocab(vocab)
        self.items = [torch.tensor(vocab.encode(t[i:i + max_length]))
                      for t in texts for i in range(0, len(t), max_length) if t[i:i + max_length].strip()]
        if not self.items:
            raise ValueError("texts has no characters to pre-train on; pass non-empty strings")
        self.vocab_size = len(vocab)
        self.p = check_number("p", p, minimum=0, maximum=1, low_open=True, high_open=True)
        self.generator = torch.Generator().manual_seed(check_int("seed", seed, minimum=0))

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
        if not chosen.any():
            raise ValueError("labels marks no character to predict (all are -100), so the loss is undefined; "
                             "choose characters with hclib.mlm.mask_tokens")
        logits = self.transform(hidden[chosen]) @ self.encoder.embedding.weight.T + self.bias
        return {"loss": F.cross_entropy(logits, labels[chosen]), "logits": logits, "labels": labels[chosen]}


def mlm_loss(model: MaskedLM, batch: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The trainer's ``loss_fn`` for MLM: logits and labels of the masked characters only."""
    out = model(**batch)
    return out["loss"], out["logits"], out["labels"]


def save_masked_lm(model: MaskedLM, vocab: CharVocab, folder: str | Path) -> str:
    """Save weights (safetensors), vocabulary and encoder sizes to ``folder``; return the weights' SHA-256."""
    folder = check_path("folder", folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_model(model, str(folder / "mlm.safetensors"))
    vocab.save(folder / "vocab.json")
    atomic_write_text(folder / "config.json", json.dumps(model.encoder.config, indent=1))
    return sha256(folder / "mlm.safetensors")


def load_masked_lm(folder: str | Path, expected_sha256: str | None = None) -> tuple[MaskedLM, CharVocab]:
    """Load what :func:`save_masked_lm` wrote; refuse weights whose checksum differs from ``expected_sha256``.

    The encoder for fine-tuning is the ``.encoder`` of the returned model.
    """
    folder = check_path("folder", folder)
    weights = folder / "mlm.safetensors"
    if not weights.is_file():
        raise FileNotFoundError(f"no pre-trained model in {folder}; run the pre-training cell to make one")
    if expected_sha256 is not None and sha256(weights) != expected_sha256:
        raise ValueError(f"{weights} has SHA-256 {sha256(weights)}, expected {expected_sha256}: the file changed; "
                         "delete the folder and pre-train again")
    fix = "delete the folder and pre-train again"
    config = read_json(folder / "config.json", "the encoder's sizes", fix)
    vocab = CharVocab.load(folder / "vocab.json")
    try:
        model = MaskedLM(CharTransformer(**config))
        load_model(model, str(weights))
    except Exception as e:  # a config or weights file that does not describe this model
        raise ValueError(f"{folder} does not hold a matching config.json and mlm.safetensors ({e}); {fix}") from e
    return model, vocab


def sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(check_path("path", path, must_exist=True).read_bytes()).hexdigest()


@torch.no_grad()
def fill_blanks(model: MaskedLM, vocab: CharVocab, text: str, blank: str = "□", k: int = 5) -> list[list[str]]:
    """The ``k`` likeliest characters for each ``blank`` in ``text``, best first.

    >>> vocab = CharVocab.build(["北京欢迎你"])
    >>> model = MaskedLM(CharTransformer(len(vocab), dim=8, layers=1, heads=2))
    >>> len(fill_blanks(model, vocab, "北□欢□", k=3)), len(fill_blanks(model, vocab, "北□", k=3)[0])
    (2, 3)
    """
    if not isinstance(model, MaskedLM):
        raise TypeError(f"model must be a MaskedLM (from pretrain or load_masked_lm), got {type(model).__name__}")
    _check_vocab(vocab)
    text, blank = check_str("text", text), check_str("blank", blank)
    k = check_int("k", k, minimum=1, maximum=len(vocab))
    if len(blank) != 1:
        raise ValueError(f"blank must be one character, got {blank!r}")
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
    folder, texts = check_path("folder", folder), check_strings("texts", texts)
    eval_texts = check_strings("eval_texts", eval_texts, min_length=0)
    if not isinstance(encoder, dict):
        raise TypeError(f"encoder must be a dict of CharTransformer sizes, e.g. dict(dim=64, layers=2), got {encoder!r}")
    settings = {"encoder": encoder, "train": {k: v for k, v in asdict(config).items() if k != "progress"},
                "texts": len(texts), "characters": sum(map(len, texts)), "vocab": len(vocab)}
    card_path = folder / "pretraining.json"
    if card_path.is_file():
        card = read_json(card_path, "a pre-training card", "delete the folder and pre-train again")
        if isinstance(card, dict) and card.get("settings") == settings:
            load_masked_lm(folder, expected_sha256=card["sha256"])  # raises if the weights changed
            return {**card, "reused": True}
    model = MaskedLM(CharTransformer(len(vocab), **encoder))
    evaluation = MaskedTextDataset(eval_texts, vocab, encoder.get("max_length", 128), seed=1) if eval_texts else None
    record = Trainer(model, config, loss_fn=mlm_loss).fit(
        MaskedTextDataset(texts, vocab, encoder.get("max_length", 128), seed=config.seed), evaluation)
    card = {"settings": settings, "sha256": save_masked_lm(model, vocab, folder),
            "seconds": record.wall_seconds, "device": record.device, "cost_usd": record.cost,
            "history": record.history, "made": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    atomic_write_text(card_path, json.dumps(card, indent=1))
    return {**card, "reused": False}
