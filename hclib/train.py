"""The trainer: one readable training loop on Hugging Face Accelerate.

The same code runs on a CPU, one GPU, or several GPUs and machines (start the
script with ``accelerate launch``). It does what every chapter needs and no
more: mixed precision, gradient accumulation, warmup and decay, clipping,
evaluation, early stopping, callbacks, a progress bar, checkpoints that a
crashed run resumes from, and a :class:`~hclib.record.RunRecord` of the cost.

>>> import torch
>>> from torch.utils.data import TensorDataset
>>> data = TensorDataset(torch.randn(64, 4), torch.randint(0, 2, (64,)))
>>> trainer = Trainer(torch.nn.Linear(4, 2), TrainConfig(epochs=1, batch_size=16, progress=False))
>>> trainer.fit(data).steps
4
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass
from collections.abc import Mapping
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from accelerate import Accelerator
from accelerate.state import AcceleratorState
from accelerate.utils import DataLoaderConfiguration, DistributedType
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset

from hclib.checkpoint import has_checkpoint, read_checkpoint, write_checkpoint
from hclib.machine import HostMemoryPeak, device_description, peak_device_memory_mb, resolve_device
from hclib.progress import progress_bar
from hclib.record import RunRecord
from hclib.sampler import EpochSampler
from hclib.seed import set_rng_state
from hclib.validate import check_choice, check_int, check_number, check_path, check_same_length, check_str


@dataclass
class TrainConfig:
    """Settings of a training run; every field has a sensible default."""

    epochs: int = 3
    max_steps: int | None = None  # optimizer steps; when set, it ends the run instead of epochs
    batch_size: int = 32  # samples a forward pass, over all processes
    grad_accum: int = 1  # forward passes an optimizer step
    lr: float = 1e-3
    weight_decay: float = 0.01  # decoupled (AdamW); never on biases and norms
    warmup: float = 0.0  # share of the steps spent warming up
    schedule: str = "linear"  # after warmup: 'linear', 'cosine' or 'constant'
    grad_clip: float | None = 1.0
    precision: str = "auto"  # 'auto' (bf16 on a GPU that has it, else fp32), 'fp32', 'bf16', 'fp16' (GPU)
    device: str = "auto"
    eval_every: int | None = None  # optimizer steps; None evaluates at each epoch's end
    eval_batch_size: int | None = None  # default: twice batch_size
    monitor: str = "val_loss"  # the metric early stopping and best weights watch
    patience: int | None = None  # evaluations without improvement before stopping; None never stops
    restore_best: bool = True  # end with the weights of the best evaluation
    group_by_length: bool = False  # batches of similar length (text): less padding
    checkpoint_dir: str | None = None
    save_every: int | None = None  # optimizer steps between checkpoints (also saved at each evaluation)
    seed: int = 0
    price_per_hour: float | None = None  # US dollars a device-hour; None takes hclib.record.PRICE_PER_HOUR
    progress: bool = True

    def __post_init__(self) -> None:  # each setting checked once, stored as a plain Python value
        def set_(name: str, check, *args, **kwargs) -> None:
            setattr(self, name, check(f"TrainConfig.{name}", getattr(self, name), *args, **kwargs))

        for name in ("epochs", "batch_size", "grad_accum"):
            set_(name, check_int, minimum=1)
        for name in ("max_steps", "eval_every", "eval_batch_size", "patience", "save_every"):
            set_(name, check_int, minimum=1, optional=True)
        set_("lr", check_number, minimum=0, low_open=True)
        set_("weight_decay", check_number, minimum=0)
        set_("warmup", check_number, minimum=0, maximum=1, high_open=True)
        set_("grad_clip", check_number, minimum=0, low_open=True, optional=True)
        set_("price_per_hour", check_number, minimum=0, optional=True)
        set_("seed", check_int, minimum=0, maximum=2**32 - 1)
        set_("monitor", check_str)
        set_("schedule", check_choice, ("linear", "cosine", "constant"))
        set_("precision", check_choice, ("auto", "fp32", "bf16", "fp16"))
        for name in ("restore_best", "group_by_length", "progress"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"TrainConfig.{name} must be True or False, got {getattr(self, name)!r}")
            setattr(self, name, bool(getattr(self, name)))
        if self.checkpoint_dir is not None:
            self.checkpoint_dir = str(check_path("TrainConfig.checkpoint_dir", self.checkpoint_dir))
        resolve_device(self.device)  # raises on an unknown or unavailable device


class Callback:
    """Override any of these to watch or steer a run (``trainer.should_stop = True`` ends it)."""

    def on_train_begin(self, trainer: "Trainer") -> None: ...
    def on_backward(self, trainer: "Trainer", batch) -> None: ...  # gradients of one batch exist; step not taken
    def on_step_end(self, trainer: "Trainer", loss: torch.Tensor) -> None: ...  # 0-d; .item() waits for the GPU
    def on_evaluate(self, trainer: "Trainer", metrics: dict) -> None: ...
    def on_train_end(self, trainer: "Trainer", record: RunRecord) -> None: ...


def as_dataset(data, name: str) -> Dataset:
    """A torch Dataset, or ``(features, labels)`` as tensors or NumPy arrays (float arrays become float32)."""
    if isinstance(data, (tuple, list)) and data and all(isinstance(t, (torch.Tensor, np.ndarray)) for t in data):
        tensors = [torch.from_numpy(t.astype(np.float32) if t.dtype.kind == "f" else t)
                   if isinstance(t, np.ndarray) else t for t in data]
        if any(t.dim() == 0 for t in tensors):
            raise ValueError(f"{name} must hold one row an example; got a 0-d tensor")
        check_same_length(**{f"{name}[{i}]": t for i, t in enumerate(tensors)})
        if any(t.is_floating_point() and not torch.isfinite(t).all() for t in tensors):
            raise ValueError(f"{name} holds NaN or infinite values; drop or fill them first")
        data = TensorDataset(*tensors)
    elif hasattr(data, "to_numpy") or isinstance(data, (str, bytes, dict, list, tuple, np.ndarray, torch.Tensor)) \
            or not hasattr(data, "__getitem__") \
            or not hasattr(data, "__len__"):
        raise TypeError(f"{name} must be a torch Dataset or a tuple (features, labels) of tensors or NumPy arrays, "
                        f"got {type(data).__name__}")
    if len(data) == 0:
        raise ValueError(f"{name} is empty; pass at least one example")
    return data


def default_loss(model: torch.nn.Module, batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Forward one batch; return ``(loss, logits, labels)``.

    A dict batch goes to ``model(**batch)`` (Hugging Face style, which returns its
    loss); a ``(x, y)`` batch goes to ``model(x)`` with cross-entropy on the logits.
    """
    if isinstance(batch, Mapping):
        out = model(**batch)
        if out.get("loss") is None:
            raise ValueError("the model returned no loss; each batch needs 'labels'")
        return out["loss"], out["logits"], batch["labels"]
    if not isinstance(batch, (list, tuple)) or len(batch) != 2:
        raise ValueError("default_loss takes batches (x, y) or dicts with 'labels'; for other data pass "
                         "loss_fn(model, batch) -> (loss, logits, labels)")
    x, y = batch
    logits = model(x)
    if y.is_floating_point() and y.dim() == logits.dim() - 1:
        raise TypeError(f"labels must be integer class ids, got dtype {y.dtype}; convert them with y.long()")
    try:
        return F.cross_entropy(logits, y), logits, y
    except (IndexError, RuntimeError) as e:
        raise ValueError(f"labels must be class ids from 0 to {logits.shape[-1] - 1} (or -100 to skip), one per "
                         f"row of the model's output {tuple(logits.shape)}; got labels of shape {tuple(y.shape)} "
                         f"from {int(y.min())} to {int(y.max())}") from e


def _concat(chunks: list[torch.Tensor], pad: float) -> torch.Tensor:
    """Concatenate batches whose second dimension (sequence length) may differ."""
    if chunks[0].dim() > 1 and len({c.shape[1] for c in chunks}) > 1:
        width = max(c.shape[1] for c in chunks)
        chunks = [F.pad(c, [0, 0] * (c.dim() - 2) + [0, width - c.shape[1]], value=pad) for c in chunks]
    return torch.cat(chunks)


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """Share of correct argmax predictions, ignoring labels of -100 (padding)."""
    if not torch.is_tensor(logits) or not torch.is_tensor(labels) or logits.shape[:-1] != labels.shape:
        raise TypeError("logits and labels must be tensors, logits of shape labels.shape + (classes,); got "
                        f"{getattr(logits, 'shape', logits)!r} and {getattr(labels, 'shape', labels)!r}")
    keep = labels != -100
    if not keep.any():
        raise ValueError("no labels to score (all are -100); evaluate on labelled data")
    return {"accuracy": (logits.argmax(-1)[keep] == labels[keep]).float().mean().item()}


def _release_single_process_state(mixed_precision: str) -> None:
    """Accelerate keeps one state per process and refuses a second precision; in a single process
    (a notebook, a test run) a trainer of another precision may start afresh. Launched runs keep theirs."""
    state = AcceleratorState._shared_state
    if state and state.get("distributed_type") == DistributedType.NO and \
            state.get("_mixed_precision") != mixed_precision:
        AcceleratorState._reset_state()


class Trainer:
    """Train ``model`` with ``config``; see the module docstring for an example.

    ``loss_fn(model, batch) -> (loss, logits, labels)`` adapts other model types;
    ``metric_fn(logits, labels) -> dict`` adds evaluation metrics (accuracy by default).
    """

    def __init__(self, model: torch.nn.Module, config: TrainConfig | None = None,
                 loss_fn: Callable = default_loss, metric_fn: Callable | None = accuracy,
                 callbacks: list[Callback] | None = None):
        self.config = config = config or TrainConfig()
        device = resolve_device(config.device)
        precision = config.precision
        if precision == "auto":
            precision = "bf16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
        if precision == "fp16" and device.type != "cuda":  # bf16 on a CPU: autocast (measured in 08_scale)
            raise ValueError("precision='fp16' needs a GPU; use 'bf16' (autocast), 'fp32' or 'auto' on a CPU")
        self.precision = precision
        mixed = "no" if precision == "fp32" else precision
        _release_single_process_state(mixed)
        self.accelerator = Accelerator(
            cpu=device.type == "cpu", mixed_precision=mixed,
            gradient_accumulation_steps=config.grad_accum,
            dataloader_config=DataLoaderConfiguration(split_batches=True),
        )
        self.loss_fn, self.metric_fn, self.callbacks = loss_fn, metric_fn, list(callbacks or [])
        decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
        no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
        if not decay and not no_decay:
            raise ValueError("the model has no trainable parameters; unfreeze some (requires_grad=True)")
        optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=config.lr, fused=device.type == "cuda")
        self.model, self.optimizer = self.accelerator.prepare(model, optimizer)
        self.step, self.epoch, self.batch_in_epoch = 0, 0, 0
        self.history: list[dict] = []
        self.best: dict | None = None
        self.should_stop = self._finished = False
        self._best_weights: dict | None = None

    # ----- data ---------------------------------------------------------------------------------
    def _loader(self, data, train: bool, order: list[int] | None = None, name: str = "data") -> DataLoader:
        data = as_dataset(data, name)
        cfg = self.config
        collate = getattr(data, "collate", None)
        data = Subset(data, order) if order is not None else data
        # the loader's own generator: creating an iterator must not draw from the global RNG
        generator = torch.Generator().manual_seed(cfg.seed)
        if train:
            lengths = data.lengths() if cfg.group_by_length and hasattr(data, "lengths") else None
            sampler = EpochSampler(len(data), cfg.seed, cfg.batch_size, lengths)
            loader = DataLoader(data, cfg.batch_size, sampler=sampler, collate_fn=collate,
                                generator=generator)
        else:
            loader = DataLoader(data, cfg.eval_batch_size or 2 * cfg.batch_size, collate_fn=collate,
                                generator=generator)
        return self.accelerator.prepare(loader)

    # ----- evaluation ---------------------------------------------------------------------------
    @torch.no_grad()
    def predict(self, data) -> tuple[torch.Tensor, torch.Tensor, float]:
        """Return ``(logits, labels, mean loss)`` over ``data``, in its order.

        With ``group_by_length``, texts are predicted shortest first (less padding, the same results) and the
        outputs put back in the data's order.
        """
        order = None
        if not isinstance(data, DataLoader) and self.config.group_by_length and hasattr(data, "lengths"):
            lengths = data.lengths()
            order = sorted(range(len(lengths)), key=lengths.__getitem__)
        loader = data if isinstance(data, DataLoader) else self._loader(data, train=False, order=order)
        self.model.eval()
        logits, labels, losses, counts = [], [], [], []
        for batch in loader:
            loss, out, y = self.loss_fn(self.model, batch)
            n = torch.tensor(len(y), device=out.device)
            losses.append(self.accelerator.gather_for_metrics(loss.detach().float().reshape(1) * n).sum())
            counts.append(self.accelerator.gather_for_metrics(n.reshape(1)).sum())
            pad = self.accelerator.pad_across_processes
            logits.append(self.accelerator.gather_for_metrics(pad(out.detach().float(), dim=1)).cpu())
            labels.append(self.accelerator.gather_for_metrics(pad(y, dim=1, pad_index=-100)).cpu())
        self.model.train()
        logits, labels = _concat(logits, 0.0), _concat(labels, -100)
        if order is not None:
            back = torch.empty(len(order), dtype=torch.long)
            back[torch.tensor(order)] = torch.arange(len(order))
            logits, labels = logits[back], labels[back]
        return logits, labels, (sum(losses) / sum(counts)).item()

    def evaluate(self, data, prefix: str = "val") -> dict[str, float]:
        """Mean loss and metrics over ``data``, named ``{prefix}_loss``, ``{prefix}_accuracy``, ..."""
        check_str("prefix", prefix)
        logits, labels, loss = self.predict(data)
        metrics = {"loss": loss, **(self.metric_fn(logits, labels) if self.metric_fn else {})}
        return {f"{prefix}_{k}": v for k, v in metrics.items()}

    # ----- checkpoints --------------------------------------------------------------------------
    def _fingerprint(self) -> dict:
        keep = ("epochs", "max_steps", "batch_size", "grad_accum", "lr", "weight_decay", "warmup", "schedule", "seed")
        return {k: getattr(self.config, k) for k in keep}

    def save_checkpoint(self, folder: str | Path) -> None:
        """Write weights (safetensors), optimizer, scheduler, RNG and loop state; atomic per folder."""
        state = {"step": self.step, "epoch": self.epoch, "batch_in_epoch": self.batch_in_epoch,
                 "history": self.history, "best": self.best, "config": self._fingerprint(),
                 "scheduler": self.scheduler.state_dict()}
        write_checkpoint(check_path("folder", folder), self.accelerator, self.model, self.optimizer.optimizer, state,
                         self._best_weights)

    def load_checkpoint(self, folder: str | Path) -> None:
        """Restore everything :meth:`save_checkpoint` wrote (weights-only loading throughout).

        Every file is read and checked against this model, optimizer and settings first
        (:func:`hclib.checkpoint.read_checkpoint`); a checkpoint that does not fit changes nothing.
        """
        model = self.accelerator.unwrap_model(self.model)
        saved = read_checkpoint(check_path("folder", folder), model, self.optimizer.optimizer, self._fingerprint(),
                                self.accelerator.process_index)
        state = saved["state"]
        model.load_state_dict(saved["weights"], strict=False)  # checked: only tied duplicates are absent
        self.optimizer.optimizer.load_state_dict(saved["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.step, self.epoch, self.batch_in_epoch = state["step"], state["epoch"], state["batch_in_epoch"]
        self.history, self.best, self._best_weights = state["history"], state["best"], saved["best_weights"]
        set_rng_state(saved["rng"])

    # ----- the loop -----------------------------------------------------------------------------
    def _evaluate_all(self, eval_sets: dict, train_loss: float) -> None:
        epoch = self.epoch + self.batch_in_epoch / self._batches_per_epoch
        metrics = {"step": self.step, "epoch": round(epoch, 3), "train_loss": train_loss}
        for name, data in eval_sets.items():
            metrics.update(self.evaluate(data, prefix=name))
        self.history.append(metrics)
        for cb in self.callbacks:
            cb.on_evaluate(self, metrics)
        if self.config.monitor not in metrics:
            raise ValueError(f"TrainConfig.monitor={self.config.monitor!r} is not among the evaluation's metrics "
                             f"{sorted(k for k in metrics if k not in ('step', 'epoch'))}; choose one of them")
        lower_is_better = self.config.monitor.endswith("loss")
        value = metrics[self.config.monitor]
        if self.best is None or (value < self.best["value"] if lower_is_better else value > self.best["value"]):
            self.best = {"value": value, "step": self.step, "metrics": metrics}
            if self.config.restore_best:
                state = self.accelerator.unwrap_model(self.model).state_dict()
                self._best_weights = {k: v.detach().cpu().clone() for k, v in state.items()}
        elif self.config.patience and len([h for h in self.history if h["step"] > self.best["step"]]) \
                >= self.config.patience:
            self.should_stop = True

    def fit(self, train_data, eval_data=None) -> RunRecord:
        """Train on ``train_data``; evaluate on ``eval_data`` (a data set, or a dict of named sets).

        Resumes from ``config.checkpoint_dir`` when a checkpoint is there. A trainer trains once: after a
        finished ``fit``, make a new Trainer for another run (an interrupted ``fit`` may be called again).
        """
        cfg, acc = self.config, self.accelerator
        if self._finished:
            raise ValueError(f"this Trainer has finished its run ({self.step} steps); to train more, make a new "
                             "Trainer on the same model with the steps you want (its weights carry over)")
        eval_sets = {} if eval_data is None else (eval_data if isinstance(eval_data, dict) else {"val": eval_data})
        if cfg.batch_size % acc.num_processes:
            raise ValueError(f"batch_size={cfg.batch_size} must divide evenly over {acc.num_processes} processes")
        for name in eval_sets:
            check_str("eval_data's names", name)
        if eval_sets and not any(cfg.monitor.startswith(name + "_") for name in eval_sets):
            raise ValueError(f"TrainConfig.monitor={cfg.monitor!r} names no evaluation set; the sets are "
                             f"{list(eval_sets)}, so monitor one of their metrics, e.g. {next(iter(eval_sets))}_loss")
        if cfg.patience and not eval_sets:
            raise ValueError("TrainConfig.patience needs evaluation data: pass eval_data to fit, or patience=None")
        loader = self._loader(train_data, train=True, name="train_data")
        eval_loaders = {name: self._loader(d, train=False, name=f"eval_data[{name!r}]")
                        for name, d in eval_sets.items()}
        self._batches_per_epoch = len(loader)
        steps_per_epoch = math.ceil(len(loader) / cfg.grad_accum)
        total = cfg.max_steps or cfg.epochs * steps_per_epoch
        from transformers import get_scheduler

        name = {"linear": "linear", "cosine": "cosine", "constant": "constant_with_warmup"}[cfg.schedule]
        if not hasattr(self, "scheduler"):  # an interrupted fit called again keeps its schedule
            self.scheduler = get_scheduler(name, self.optimizer.optimizer, int(cfg.warmup * total), total)
        checkpoint = Path(cfg.checkpoint_dir) if cfg.checkpoint_dir else None
        if checkpoint and has_checkpoint(checkpoint):
            self.load_checkpoint(checkpoint)
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        for cb in self.callbacks:
            cb.on_train_begin(self)

        samples = tokens = 0
        running, counted = torch.zeros(()), 0  # the loss stays on the device: no host sync every step
        train_seconds, t0 = 0.0, time.perf_counter()
        show = cfg.progress and acc.is_main_process
        bar = progress_bar(total, initial=self.step, show=show)
        memory = HostMemoryPeak().start()
        self.model.train()
        try:
            while self.step < total and not self.should_stop:
                batches = acc.skip_first_batches(loader, self.batch_in_epoch) if self.batch_in_epoch else loader
                batches.set_epoch(self.epoch)  # Accelerate passes it on to the EpochSampler
                tick = time.perf_counter()
                for batch in batches:
                    with acc.accumulate(self.model):
                        loss, _, y = self.loss_fn(self.model, batch)
                        acc.backward(loss)
                        for cb in self.callbacks:
                            cb.on_backward(self, batch)
                        if acc.sync_gradients and cfg.grad_clip:
                            acc.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
                        self.optimizer.step()
                        self.optimizer.zero_grad(set_to_none=True)
                    self.batch_in_epoch += 1
                    samples += (len(batch["input_ids"]) if isinstance(batch, Mapping) and "input_ids" in batch
                                else len(y)) * acc.num_processes
                    if isinstance(batch, Mapping) and "attention_mask" in batch:
                        tokens += int(batch["attention_mask"].sum()) * acc.num_processes
                    running, counted = running.to(loss.device) + loss.detach().float(), counted + 1
                    if not acc.sync_gradients:
                        continue
                    self.scheduler.step()
                    self.step += 1
                    bar.update(1)
                    if self.step % 20 == 0 or self.step == total:
                        bar.set_postfix(loss=f"{(running / counted).item():.4f}", refresh=False)
                    for cb in self.callbacks:
                        cb.on_step_end(self, loss.detach())
                    end_of_epoch = self.batch_in_epoch == len(loader)
                    due = (self.step % cfg.eval_every == 0) if cfg.eval_every else end_of_epoch
                    if eval_sets and (due or self.step == total):
                        train_seconds += time.perf_counter() - tick
                        self._evaluate_all(eval_loaders, (running / counted).item())
                        running, counted = torch.zeros(()), 0
                        tick = time.perf_counter()
                    if end_of_epoch:
                        self.epoch, self.batch_in_epoch = self.epoch + 1, 0
                    if checkpoint and ((cfg.save_every and self.step % cfg.save_every == 0) or due):
                        self.save_checkpoint(checkpoint)
                    if self.step >= total or self.should_stop:
                        break
                train_seconds += time.perf_counter() - tick
        except KeyboardInterrupt:
            if checkpoint:
                print(f"\nInterrupted at step {self.step}; the last checkpoint is in {checkpoint}. "
                      "Run fit() again to resume.")
            raise
        finally:
            bar.close()
            memory.stop()
        if checkpoint:
            self.save_checkpoint(checkpoint)
        if cfg.restore_best and self._best_weights is not None:
            self.accelerator.unwrap_model(self.model).load_state_dict(self._best_weights)
        self._finished = True
        record = self._record(time.perf_counter() - t0, train_seconds, samples, tokens, memory.peak_mb)
        for cb in self.callbacks:
            cb.on_train_end(self, record)
        return record

    def _record(self, wall: float, train_seconds: float, samples: int, tokens: int, peak_mb: float) -> RunRecord:
        model = self.accelerator.unwrap_model(self.model)
        device = self.accelerator.device
        return RunRecord(
            device=device_description(device), device_type=device.type, wall_seconds=wall,
            train_seconds=train_seconds, samples=samples, num_processes=self.accelerator.num_processes,
            precision=self.precision, steps=self.step, tokens=tokens or None,
            peak_host_mb=round(peak_mb), peak_device_mb=peak_device_memory_mb(),
            total_params=sum(p.numel() for p in model.parameters()),
            trainable_params=sum(p.numel() for p in model.parameters() if p.requires_grad),
            price_per_hour=self.config.price_per_hour, history=copy.deepcopy(self.history), best=self.best)
