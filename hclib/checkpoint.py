"""The trainer's checkpoints: written atomically, and checked completely before anything is loaded.

A checkpoint is a folder: ``model.safetensors`` (weights), ``optimizer.pt``, ``trainer_state.json``
(loop state, history, scheduler and the settings that must match), ``rng_<process>.pt`` and, when the
run keeps best weights, ``best_weights.pt``. :func:`read_checkpoint` reads every file and compares it with
the model, optimizer and settings at hand; only when all of it fits does the trainer load it, so a
checkpoint of another model, another run's settings or a truncated file is refused with nothing changed.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Callable

import torch
from safetensors.torch import load_file, save_model

from hclib.seed import rng_state
from hclib.validate import read_json

REQUIRED = ("trainer_state.json", "model.safetensors", "optimizer.pt")
STATE_KEYS = ("step", "epoch", "batch_in_epoch", "history", "best", "config", "scheduler")
FIX = "delete the folder, or pass another checkpoint_dir, to start afresh"


def write_checkpoint(folder: Path, accelerator, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                     state: dict, best_weights: dict | None) -> None:
    """Write a checkpoint into ``folder.tmp``, then rename it to ``folder``: a crash leaves the old one whole."""
    acc = accelerator
    tmp = folder.with_name(folder.name + ".tmp")
    if acc.is_main_process:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        save_model(acc.unwrap_model(model), str(tmp / "model.safetensors"))
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        (tmp / "trainer_state.json").write_text(json.dumps(state, indent=1), encoding="utf-8")
        if best_weights is not None:
            torch.save(best_weights, tmp / "best_weights.pt")
    acc.wait_for_everyone()
    torch.save(rng_state(), tmp / f"rng_{acc.process_index}.pt")
    acc.wait_for_everyone()
    if acc.is_main_process:
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    acc.wait_for_everyone()


def _load(path: Path, read: Callable[[str], Any]) -> Any:
    try:
        return read(str(path))
    except Exception as e:  # any failure to read a file of the checkpoint means the file is damaged
        raise ValueError(f"{path} cannot be read ({type(e).__name__}: {e}); the checkpoint is damaged; {FIX}") from e


def _torch_file(path: str) -> Any:
    return torch.load(path, weights_only=True)


def has_checkpoint(folder: Path) -> bool:
    """Whether ``folder`` holds a checkpoint to resume from; refuse a folder that holds something else.

    Saving replaces the whole folder, so a folder of other files, or a checkpoint with files missing,
    is an error rather than something to overwrite.
    """
    if not folder.exists():
        return False
    if not folder.is_dir():
        raise ValueError(f"checkpoint_dir {str(folder)!r} is a file; pass a folder")
    names = {p.name for p in folder.iterdir()}
    ours = {n for n in names if n in REQUIRED or n == "best_weights.pt" or n.startswith("rng_")}
    if not names:
        return False
    if not ours:
        raise ValueError(f"checkpoint_dir {str(folder)!r} holds other files ({sorted(names)[:5]}); each save "
                         "replaces the whole folder, so pass an empty or new folder")
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise FileNotFoundError(f"the checkpoint in {folder} is incomplete: {', '.join(missing)} missing; {FIX}")
    return True


def _check_shapes(path: Path, saved: dict, expected: dict[str, torch.Tensor], what: str) -> None:
    unknown = sorted(set(saved) - set(expected))
    wrong = [f"{k}: {tuple(saved[k].shape)} here {tuple(expected[k].shape)}" for k in saved
             if k in expected and saved[k].shape != expected[k].shape]
    stored = {expected[k].data_ptr() for k in saved if k in expected}
    absent = [k for k, v in expected.items() if k not in saved and v.data_ptr() not in stored]  # tied weights pass
    if unknown or wrong or absent:
        detail = "; ".join(filter(None, [f"unknown {unknown[:3]}" if unknown else "",
                                         f"other shapes {wrong[:3]}" if wrong else "",
                                         f"missing {absent[:3]}" if absent else ""]))
        raise ValueError(f"{path} holds the {what} of another model ({detail}); load it into the model it was "
                         f"made with, or {FIX}")


def _check_optimizer(path: Path, saved: Any, optimizer: torch.optim.Optimizer) -> None:
    params = [p for group in optimizer.param_groups for p in group["params"]]
    groups = saved.get("param_groups") if isinstance(saved, dict) else None
    if not isinstance(groups, list) or [len(g.get("params", ())) for g in groups] != \
            [len(g["params"]) for g in optimizer.param_groups]:
        raise ValueError(f"{path} is the optimizer of another model (other parameter groups); {FIX}")
    for index, entry in saved.get("state", {}).items():
        for name, value in entry.items():
            if torch.is_tensor(value) and value.dim() and (index >= len(params) or value.shape != params[index].shape):
                raise ValueError(f"{path} is the optimizer of another model ({name} of parameter {index} has "
                                 f"shape {tuple(value.shape)}); {FIX}")


def read_checkpoint(folder: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, settings: dict,
                    process_index: int = 0) -> dict:
    """Read every file of the checkpoint in ``folder`` and check it against ``model``, ``optimizer`` and
    ``settings``; return ``state``, ``weights``, ``optimizer``, ``best_weights`` (or ``None``) and ``rng``."""
    if not has_checkpoint(folder):
        raise FileNotFoundError(f"no checkpoint in {folder}; train with TrainConfig(checkpoint_dir=...) to make one")
    rng_path = folder / f"rng_{process_index}.pt"
    if not rng_path.is_file():
        raise FileNotFoundError(f"the checkpoint in {folder} is incomplete: {rng_path.name} missing; {FIX}")
    state = read_json(folder / "trainer_state.json", "a trainer checkpoint", FIX)
    if not isinstance(state, dict) or any(k not in state for k in STATE_KEYS):
        raise ValueError(f"{folder / 'trainer_state.json'} is not a trainer state (it needs {', '.join(STATE_KEYS)}); "
                         f"{FIX}")
    if state["config"] != settings:
        raise ValueError(f"the checkpoint in {folder} was made with other settings ({state['config']}); {FIX}")
    expected = model.state_dict()
    weights = _load(folder / "model.safetensors", load_file)
    _check_shapes(folder / "model.safetensors", weights, expected, "weights")
    saved_optimizer = _load(folder / "optimizer.pt", _torch_file)
    _check_optimizer(folder / "optimizer.pt", saved_optimizer, optimizer)
    best = None
    if (folder / "best_weights.pt").is_file():
        best = _load(folder / "best_weights.pt", _torch_file)
        _check_shapes(folder / "best_weights.pt", best, expected, "best weights")
    return {"state": state, "weights": weights, "optimizer": saved_optimizer, "best_weights": best,
            "rng": _load(rng_path, _torch_file)}
