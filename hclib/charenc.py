"""Character-level encoders for Chinese text: a vocabulary, a BiLSTM and a small Transformer.

Chinese needs no word segmentation for tagging: each character is a token. Both encoders map
``(input_ids, attention_mask)`` of shape (batch, length) to hidden states (batch, length, ``dim``),
so a tagging head or a masked-language-model head sits on either.

>>> vocab = CharVocab.build(["我爱北京", "北京欢迎你"])
>>> vocab.encode("北京") == [vocab["北"], vocab["京"]], vocab.decode(vocab.encode("你好"))
(True, '你[UNK]')
>>> enc = CharTransformer(len(vocab), dim=32, layers=1, heads=2)
>>> ids = torch.tensor([vocab.encode("北京欢迎你")])
>>> tuple(enc(ids, torch.ones_like(ids, dtype=torch.bool)).shape)
(1, 5, 32)
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Iterable

import torch
from torch import nn

from hclib.validate import atomic_write_text, check_int, check_list, check_number, check_path, check_strings, read_json

SPECIALS = ("[PAD]", "[UNK]", "[MASK]")
PAD, UNK, MASK = 0, 1, 2


class CharVocab:
    """Characters to ids and back; ids 0, 1, 2 are ``[PAD]``, ``[UNK]`` and ``[MASK]``."""

    def __init__(self, chars: Iterable[str]):
        self.itos = list(SPECIALS)
        for ch in check_list("chars", chars):
            if ch in SPECIALS:
                continue
            if not isinstance(ch, str) or len(ch) != 1:
                raise ValueError(f"chars: a vocabulary entry must be one character, got {ch!r}")
            self.itos.append(ch)
        if len(set(self.itos)) != len(self.itos):
            raise ValueError("chars lists a character twice; pass each character once")
        self.stoi = {ch: i for i, ch in enumerate(self.itos)}

    @classmethod
    def build(cls, texts: Iterable[Iterable[str]], min_count: int = 1) -> "CharVocab":
        """The characters seen at least ``min_count`` times, most frequent first."""
        min_count = check_int("min_count", min_count, minimum=1)
        texts = check_list("texts", texts)
        bad = next((i for i, t in enumerate(texts) if not isinstance(t, str) and not (
            isinstance(t, (list, tuple)) and all(isinstance(ch, str) and len(ch) == 1 for ch in t))), None)
        if bad is not None:
            raise TypeError(f"texts[{bad}] must be a string or a list of characters, got {texts[bad]!r}")
        counts = Counter(ch for text in texts for ch in text)
        if not counts:
            raise ValueError("texts has no characters to build a vocabulary from; pass non-empty texts")
        kept = [ch for ch, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n >= min_count]
        if not kept:
            raise ValueError(f"no character occurs min_count={min_count} times; lower min_count")
        return cls(kept)

    def __len__(self) -> int:
        return len(self.itos)

    def __getitem__(self, ch: str) -> int:
        return self.stoi.get(ch, UNK)

    def encode(self, text: Iterable[str]) -> list[int]:
        """Ids of the characters of ``text`` (a string or a list of characters)."""
        if not isinstance(text, str):
            text = check_strings("text", text, min_length=0)
        return [self.stoi.get(ch, UNK) for ch in text]

    def decode(self, ids: Iterable[int]) -> str:
        """The characters of ``ids`` (NumPy and Python integers alike)."""
        return "".join(self.itos[check_int("ids", i, 0, len(self.itos) - 1)] for i in check_list("ids", ids))

    def save(self, path: str | Path) -> None:
        """Write the characters (specials excluded) as a JSON list, atomically."""
        atomic_write_text(check_path("path", path), json.dumps(self.itos[len(SPECIALS):], ensure_ascii=False))

    @classmethod
    def load(cls, path: str | Path) -> "CharVocab":
        """Read what :meth:`save` wrote."""
        path = check_path("path", path, must_exist=True)
        chars = read_json(path, "a character vocabulary", "pass a file written by CharVocab.save")
        if not isinstance(chars, list):
            raise ValueError(f"{path} is not a character vocabulary (a JSON list of characters)")
        return cls(chars)


def flip_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each sequence of ``x`` (batch, length, ...) within its own length; padding stays at the end.

    >>> flip_padded(torch.tensor([[1, 2, 3], [4, 5, 0]]), torch.tensor([3, 2])).tolist()
    [[3, 2, 1], [5, 4, 0]]
    """
    steps = torch.arange(x.shape[1], device=x.device).expand(len(x), -1)
    source = lengths.to(x.device).unsqueeze(1) - 1 - steps
    source = torch.where(source >= 0, source, steps)
    return x.gather(1, source.view(*source.shape, *([1] * (x.dim() - 2))).expand_as(x))


def _check_sizes(**sizes) -> list:
    """An encoder's sizes: positive integers of a size that fits in memory, and a dropout in [0, 1)."""
    limits = {"vocab_size": (len(SPECIALS) + 1, 10**7), "max_length": (1, 10**5), "layers": (1, 64), "heads": (1, 64)}
    return [check_number(name, value, minimum=0, maximum=1, high_open=True) if name == "dropout"
            else check_int(name, value, *limits.get(name, (1, 4096))) for name, value in sizes.items()]


class BiLSTMEncoder(nn.Module):
    """Character embeddings, then a bidirectional LSTM: the classic cheap sequence encoder.

    ``vectors`` (vocab_size x embedding_dim) starts the embedding table from pre-trained character
    vectors instead of random ones.

    The backward LSTM reads each sentence reversed within its own length, so padding never flows into
    it. (PyTorch's packed sequences do the same, but their backward pass on a CPU is several times slower.)
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 128, hidden: int = 128, dropout: float = 0.2,
                 vectors=None):
        super().__init__()
        vocab_size, embedding_dim, hidden, dropout = _check_sizes(vocab_size=vocab_size, embedding_dim=embedding_dim,
                                                                  hidden=hidden, dropout=dropout)
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD)
        if vectors is not None:  # pre-trained character vectors (hclib.charembed), trained further with the rest
            vectors = torch.as_tensor(vectors, dtype=torch.float32)
            if tuple(vectors.shape) != (vocab_size, embedding_dim):
                raise ValueError(f"vectors must be (vocab_size, embedding_dim) = ({vocab_size}, {embedding_dim}), "
                                 f"got {tuple(vectors.shape)}; build them with the same vocabulary and dim")
            with torch.no_grad():
                self.embedding.weight.copy_(vectors)
                self.embedding.weight[PAD].zero_()
        self.forward_lstm = nn.LSTM(embedding_dim, hidden, batch_first=True)
        self.backward_lstm = nn.LSTM(embedding_dim, hidden, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.dim = 2 * hidden

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        x = self.dropout(self.embedding(input_ids))
        lengths = attention_mask.sum(1)
        ahead, _ = self.forward_lstm(x)
        back, _ = self.backward_lstm(flip_padded(x, lengths))
        return self.dropout(torch.cat([ahead, flip_padded(back, lengths)], dim=-1))


class CharTransformer(nn.Module):
    """A small BERT-like encoder: character and position embeddings, then pre-LayerNorm Transformer layers."""

    def __init__(self, vocab_size: int, dim: int = 256, layers: int = 4, heads: int = 4, max_length: int = 128,
                 dropout: float = 0.1):
        super().__init__()
        vocab_size, dim, layers, heads, max_length, dropout = _check_sizes(
            vocab_size=vocab_size, dim=dim, layers=layers, heads=heads, max_length=max_length, dropout=dropout)
        if dim % heads:
            raise ValueError(f"dim={dim} must be a multiple of heads={heads}")
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=PAD)
        self.position = nn.Embedding(max_length, dim)
        layer = nn.TransformerEncoderLayer(dim, heads, 4 * dim, dropout, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.layers = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)
        for table in (self.embedding, self.position):  # small initial embeddings, as BERT (std 0.02)
            nn.init.normal_(table.weight, std=0.02)
        with torch.no_grad():
            self.embedding.weight[PAD].zero_()
        self.dim, self.max_length = dim, max_length
        self.config = {"vocab_size": vocab_size, "dim": dim, "layers": layers, "heads": heads,
                       "max_length": max_length, "dropout": dropout}

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        if input_ids.shape[1] > self.max_length:
            raise ValueError(f"sequences of {input_ids.shape[1]} characters exceed max_length={self.max_length}; "
                             "cut them shorter or build the encoder with a larger max_length")
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        x = self.dropout(self.embedding(input_ids) + self.position(positions))
        x = self.layers(x, src_key_padding_mask=~attention_mask.bool())
        return self.norm(x)
