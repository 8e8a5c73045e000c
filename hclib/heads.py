"""Small classifier heads on frozen features: where overfitting and its remedies can be measured in seconds.

A frozen encoder's sentence embeddings are computed once (:func:`cached_embeddings`); a head of one hidden
layer then trains on them in well under a second, so a remedy can be run with twenty seeds on several label
draws. Every remedy of the overfitting chapter is a setting of :class:`HeadConfig`:

- ``l2``: an L2 penalty ``l2/2 * ||W||^2`` added to the loss, so it passes through Adam's scaling;
- ``weight_decay``: decoupled weight decay (AdamW): ``W <- W - lr * weight_decay * W`` beside the Adam step;
- ``dropout``: on the input features and the hidden layer;
- ``patience``: early stopping on the validation loss, ending with the best epoch's weights;
- ``adversarial``: the fast gradient method on the (standardised) input features;
- ``snapshots``: a checkpoint ensemble, the mean prediction of checkpoints taken over the second half of training.

Data augmentation and seed ensembles need no setting: pass the augmented rows to :func:`train_head`, or
average several heads' :meth:`HeadRun.predict_proba`.

>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(80, 5)); y = (x[:, 0] > 0).astype(int)
>>> run = train_head(x, y, x, y, HeadConfig(hidden=8, epochs=100, lr=1e-2))
>>> run.history[-1]["train_accuracy"] > 0.9
True
"""
from __future__ import annotations

import copy
import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import nn

from hclib.validate import check_array, check_int, check_number, check_path


@dataclass
class HeadConfig:
    """Settings of a head and its training run; every field has a default."""

    hidden: int = 256  # units in the hidden layer; 0 is a linear head (logistic regression)
    dropout: float = 0.0  # share of input features and hidden units zeroed in training
    l2: float = 0.0  # coupled L2: l2/2 * (sum of squared weights) added to the loss
    weight_decay: float = 0.0  # decoupled (AdamW) weight decay
    lr: float = 1e-3
    epochs: int = 100
    batch_size: int | None = None  # None: the whole training set a step (full-batch Adam)
    patience: int | None = None  # epochs without a lower validation loss before stopping; None trains on
    adversarial: float = 0.0  # FGM step on the standardised features (their norm is about sqrt(width))
    snapshots: int = 0  # checkpoint ensemble: average this many checkpoints spread over the second half
    eval_every: int = 1  # epochs between evaluations (the history); early stopping evaluates every epoch

    def __post_init__(self) -> None:
        self.hidden = check_int("HeadConfig.hidden", self.hidden, minimum=0)
        self.dropout = check_number("HeadConfig.dropout", self.dropout, minimum=0, maximum=1, high_open=True)
        for name in ("l2", "weight_decay", "adversarial"):
            setattr(self, name, check_number(f"HeadConfig.{name}", getattr(self, name), minimum=0))
        self.lr = check_number("HeadConfig.lr", self.lr, minimum=0, low_open=True)
        self.epochs = check_int("HeadConfig.epochs", self.epochs, minimum=1)
        self.batch_size = check_int("HeadConfig.batch_size", self.batch_size, minimum=1, optional=True)
        self.patience = check_int("HeadConfig.patience", self.patience, minimum=1, optional=True)
        self.snapshots = check_int("HeadConfig.snapshots", self.snapshots, minimum=0, maximum=self.epochs // 2 + 1)
        self.eval_every = check_int("HeadConfig.eval_every", self.eval_every, minimum=1, maximum=self.epochs)
        if self.snapshots and self.patience is not None:
            raise ValueError("HeadConfig: snapshots and patience do not combine (an early-stopped run has no fixed "
                             "last epochs); set one of them")


class Head(nn.Module):
    """Standardise the features (with the training set's mean and spread), then a one-hidden-layer MLP."""

    def __init__(self, mean: np.ndarray, std: np.ndarray, classes: int, hidden: int, dropout: float):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))
        width = len(mean)
        layers = [nn.Dropout(dropout)]
        layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, classes)] if hidden \
            else [nn.Linear(width, classes)]
        self.net = nn.Sequential(*layers)

    def standardise(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Logits from *standardised* features (see :meth:`standardise`)."""
        return self.net(z)


@dataclass
class HeadRun:
    """A trained head, its per-epoch history and the epoch whose weights it ended with."""

    model: Head
    config: HeadConfig
    history: list[dict] = field(default_factory=list)
    best_epoch: int | None = None
    snapshot_states: list[dict] = field(default_factory=list, repr=False)

    @torch.no_grad()
    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Class probabilities (N x classes); a checkpoint ensemble averages its snapshots' probabilities."""
        features = check_array("features", features, ndim=2)
        if features.shape[1] != len(self.model.mean):
            raise ValueError(f"features have {features.shape[1]} columns; this head was trained on "
                             f"{len(self.model.mean)}")
        z = self.model.standardise(torch.as_tensor(features, dtype=torch.float32))
        states = self.snapshot_states or [None]
        model = copy.deepcopy(self.model).eval()
        probs = []
        for state in states:
            if state is not None:
                model.load_state_dict(state)
            probs.append(model(z).softmax(-1))
        return torch.stack(probs).mean(0).numpy()


def _loss_and_accuracy(model: Head, z: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    model.eval()
    with torch.no_grad():
        logits = model(z)
        loss = nn.functional.cross_entropy(logits, y).item()
        accuracy = (logits.argmax(-1) == y).float().mean().item()
    model.train()
    return loss, accuracy


def train_head(x_train: np.ndarray, y_train: Sequence[int], x_val: np.ndarray, y_val: Sequence[int],
               config: HeadConfig | None = None, seed: int = 0) -> HeadRun:
    """Train a head on features with AdamW, evaluating on the training and validation sets every epoch.

    ``seed`` fixes the initial weights, the batch order and the dropout masks. The validation set is used
    for the history and, with ``patience``, for early stopping: never pass test data here.
    """
    config = config or HeadConfig()
    if not isinstance(config, HeadConfig):
        raise TypeError(f"config must be a HeadConfig, got {type(config).__name__}")
    x_train, x_val = check_array("x_train", x_train, ndim=2), check_array("x_val", x_val, ndim=2)
    y_train, y_val = check_array("y_train", y_train, ndim=1), check_array("y_val", y_val, ndim=1)
    for name, y in (("y_train", y_train), ("y_val", y_val)):
        if not np.array_equal(y, np.round(y)):
            raise ValueError(f"{name} must hold whole class numbers (0, 1, ...), got {y[y != np.round(y)][:3]}")
    y_train, y_val = y_train.astype(np.int64), y_val.astype(np.int64)
    for name, x, y in (("train", x_train, y_train), ("val", x_val, y_val)):
        if len(x) != len(y):
            raise ValueError(f"x_{name} has {len(x)} rows but y_{name} {len(y)} labels; pass one label a row")
    if x_val.shape[1] != x_train.shape[1]:
        raise ValueError(f"x_val has {x_val.shape[1]} columns, x_train {x_train.shape[1]}; use the same features")
    for name, y in (("y_train", y_train), ("y_val", y_val)):
        if len(y) == 0 or y.min() < 0:
            raise ValueError(f"{name} must hold class numbers 0, 1, 2, ...; got values from {y.min(initial=0)}")
    classes = int(max(y_train.max(), y_val.max())) + 1
    if len(np.unique(y_train)) < 2:
        raise ValueError("y_train must hold at least two classes to train a classifier")
    seed = check_int("seed", seed, minimum=0)
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = Head(x_train.mean(0), x_train.std(0) + 1e-6, classes, config.hidden, config.dropout)
    z_train = model.standardise(torch.as_tensor(x_train, dtype=torch.float32))
    z_val = model.standardise(torch.as_tensor(x_val, dtype=torch.float32))
    t_train, t_val = torch.as_tensor(y_train), torch.as_tensor(y_val)
    weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
    others = [p for n, p in model.named_parameters() if not n.endswith("weight")]
    optimizer = torch.optim.AdamW([{"params": weights, "weight_decay": config.weight_decay},
                                   {"params": others, "weight_decay": 0.0}], lr=config.lr, foreach=True)
    run = HeadRun(model, config)
    half = config.epochs // 2
    snapshot_epochs = set(np.linspace(half, config.epochs, config.snapshots).round().astype(int).tolist()) \
        if config.snapshots else set()
    best_loss, best_state, waited = np.inf, None, 0
    for epoch in range(1, config.epochs + 1):
        for idx in torch.randperm(len(z_train), generator=generator).split(config.batch_size or len(z_train)):
            z, y = z_train[idx], t_train[idx]
            if config.adversarial:
                z = z.clone().requires_grad_(True)
            loss = nn.functional.cross_entropy(model(z), y)
            if config.l2:  # coupled L2: its gradient l2 * W goes through Adam's per-weight scaling
                loss = loss + config.l2 / 2 * sum((w ** 2).sum() for w in weights)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.adversarial:  # FGM: the same batch pushed along its gradient, loss added
                g = z.grad.detach()
                step = config.adversarial * g / (g.norm(dim=1, keepdim=True) + 1e-12)
                nn.functional.cross_entropy(model(z.detach() + step), y).backward()
            optimizer.step()
        if epoch in snapshot_epochs:
            run.snapshot_states.append(copy.deepcopy(model.state_dict()))
        if config.patience is None and epoch % config.eval_every and epoch != config.epochs:
            continue
        train_loss, train_acc = _loss_and_accuracy(model, z_train, t_train)
        val_loss, val_acc = _loss_and_accuracy(model, z_val, t_val)
        run.history.append({"epoch": epoch, "train_loss": train_loss, "train_accuracy": train_acc,
                            "val_loss": val_loss, "val_accuracy": val_acc})
        if config.patience is not None:
            if val_loss < best_loss:
                best_loss, best_state, waited, run.best_epoch = val_loss, copy.deepcopy(model.state_dict()), 0, epoch
            else:
                waited += 1
                if waited >= config.patience:
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return run


@functools.lru_cache(maxsize=4)
def _weights_digest(folder: str) -> str:
    """SHA-256 of the encoder's weight files (read once a session)."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).glob("*.safetensors")) + sorted(Path(folder).glob("*.bin")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def cached_embeddings(texts: Sequence[str], cache_dir: str | Path, max_length: int = 128,
                      batch_size: int = 64) -> np.ndarray:
    """The frozen encoder's sentence embeddings of ``texts``, computed once and kept on disk.

    The file's name is the SHA-256 of the texts, the token limit and the encoder's weights file, so a
    changed text, limit or encoder computes afresh and a stale cache is never read.
    """
    from hclib.models import embed, encoder_path

    texts = list(texts)
    if not texts or not all(isinstance(t, str) for t in texts):
        raise TypeError("texts must be a non-empty list of strings")
    max_length = check_int("max_length", max_length, minimum=8, maximum=512)
    folder = check_path("cache_dir", cache_dir)
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode() + b"\0")
    digest.update(f"{max_length}|{_weights_digest(str(encoder_path()))}".encode())
    path = folder / f"embeddings-{digest.hexdigest()[:20]}.npy"
    if path.exists():
        cached = np.load(path)
        if cached.shape[0] == len(texts):
            return cached
    folder.mkdir(parents=True, exist_ok=True)
    features = embed(texts, batch_size=batch_size, max_length=max_length)
    np.save(path, features)
    return features
