"""Argument checks shared by every public function of hclib, in scikit-learn's ``check_array`` style.

Each check takes the argument's name and value, returns the value in the form the caller works with
(a Python ``int``, a ``float``, a ``Path``, a list, a NumPy array) and otherwise raises a ``TypeError``
(wrong kind of value), a ``ValueError`` (right kind, wrong value) or a ``FileNotFoundError``, with a
message that names the argument, says what was wrong and how to fix it. NumPy and Python numbers are
accepted alike, pandas objects wherever a list is, and ``~`` in paths.

>>> check_int("epochs", np.int64(3), minimum=1)
3
>>> check_int("epochs", 0, minimum=1)
Traceback (most recent call last):
...
ValueError: epochs must be an integer >= 1, got 0
"""
from __future__ import annotations

import json
import math
import numbers
import os
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np

def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"a {type(value).__name__} ({text[:60]}...)"


def check_int(name: str, value: Any, minimum: int | None = None, maximum: int | None = None,
              optional: bool = False) -> int | None:
    """A Python or NumPy integer (not a bool, not a float) within ``[minimum, maximum]``; ``None`` if optional."""
    if value is None and optional:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        extra = " or None" if optional else ""
        raise TypeError(f"{name} must be an integer{extra}, got {_describe(value)} of type {type(value).__name__}")
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = (f"from {minimum} to {maximum}" if minimum is not None and maximum is not None
                  else f">= {minimum}" if minimum is not None else f"<= {maximum}")
        raise ValueError(f"{name} must be an integer {bounds}, got {value}")
    return value


def check_number(name: str, value: Any, minimum: float | None = None, maximum: float | None = None,
                 low_open: bool = False, high_open: bool = False, optional: bool = False) -> float | None:
    """A finite real number (Python or NumPy) within the given bounds; ``None`` if optional.

    >>> check_number("lr", float("nan"), minimum=0, low_open=True)
    Traceback (most recent call last):
    ...
    ValueError: lr must be a finite number > 0, got nan
    """
    if value is None and optional:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        extra = " or None" if optional else ""
        raise TypeError(f"{name} must be a number{extra}, got {_describe(value)} of type {type(value).__name__}")
    value = float(value)
    low = minimum is not None and (value <= minimum if low_open else value < minimum)
    high = maximum is not None and (value >= maximum if high_open else value > maximum)
    if not math.isfinite(value) or low or high:
        parts = ([f"{'>' if low_open else '>='} {minimum:g}"] if minimum is not None else []) + \
                ([f"{'<' if high_open else '<='} {maximum:g}"] if maximum is not None else [])
        raise ValueError(f"{name} must be a finite number{' ' + ' and '.join(parts) if parts else ''}, got {value!r}")
    return value


def check_choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    """``value`` if it is one of ``allowed``, else a ValueError listing them."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name}={_describe(value)} is not allowed; use one of {', '.join(map(repr, allowed))}")
    return value


def check_str(name: str, value: Any, optional: bool = False) -> str | None:
    """A non-blank string."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {_describe(value)} of type {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def check_path(name: str, value: Any, must_exist: bool = False) -> Path:
    """A path (string or ``os.PathLike``) with ``~`` expanded; with ``must_exist``, an existing file."""
    if not isinstance(value, (str, os.PathLike)) or not str(value).strip():
        raise TypeError(f"{name} must be a file path (a string or pathlib.Path), got {_describe(value)}")
    path = Path(value).expanduser()
    if must_exist and not path.is_file():
        hint = "it is a folder; pass a file in it" if path.is_dir() else "check the spelling, or create it first"
        raise FileNotFoundError(f"{name}: no file {str(path)!r}; {hint}")
    return path


def check_list(name: str, value: Any, min_length: int = 0) -> list:
    """A list, tuple, NumPy array, pandas Series or other sized iterable (not a string), as a list."""
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be a list (or tuple, array, pandas Series), got {_describe(value)}")
    items = value.tolist() if hasattr(value, "tolist") else list(value)
    if len(items) < min_length:
        raise ValueError(f"{name} must hold at least {min_length} item{'s' * (min_length > 1)}, got {len(items)}")
    return items


def check_strings(name: str, value: Any, min_length: int = 1) -> list[str]:
    """A list of strings (pandas Series and tuples accepted)."""
    items = check_list(name, value, min_length)
    bad = next((i for i, s in enumerate(items) if not isinstance(s, str)), None)
    if bad is not None:
        raise TypeError(f"{name}[{bad}] must be a string, got {_describe(items[bad])}")
    return items


def check_array(name: str, value: Any, ndim: int | None = None, numeric: bool = True, min_rows: int = 1,
                finite: bool = True) -> np.ndarray:
    """A NumPy array (from a list, tensor, pandas object) of ``ndim`` dimensions and at least ``min_rows`` rows.

    >>> check_array("y", [1, 2, 3], ndim=1).tolist()
    [1, 2, 3]
    >>> check_array("y", [[1, 2]], ndim=1)
    Traceback (most recent call last):
    ...
    ValueError: y must be 1-D, got shape (1, 2); pass one value a row
    """
    if isinstance(value, (str, bytes, dict)) or value is None:
        raise TypeError(f"{name} must be an array or a list, got {_describe(value)}")
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as e:
        raise ValueError(f"{name} must be a rectangular array (rows of one length): {e}") from e
    if ndim is not None and array.ndim != ndim:
        hint = "pass one value a row" if ndim == 1 else f"reshape it to {ndim} dimensions"
        raise ValueError(f"{name} must be {ndim}-D, got shape {array.shape}; {hint}")
    if (len(array) if array.ndim else 0) < min_rows:
        raise ValueError(f"{name} must have at least {min_rows} row{'s' * (min_rows > 1)}, got shape {array.shape}")
    if numeric and array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    if finite and array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinite values; drop or fill them first")
    return array


def check_same_length(**named: Sequence) -> int:
    """All the named sequences have one length; return it."""
    lengths = {name: len(value) for name, value in named.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError("these must have one length: " + ", ".join(f"{k} has {v}" for k, v in lengths.items()))
    return next(iter(lengths.values()))


def read_json(path: Path, what: str, fix: str) -> Any:
    """Parse a JSON file (a UTF-8 byte-order mark is allowed); name the file, what it is and the fix on failure."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: {what} needs it; {fix}")
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path} is not readable as {what} (invalid JSON: {e}); {fix}") from e


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
