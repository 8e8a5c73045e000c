import math
import gzip

import pandas as pd
import pytest

from hclib.data import (FASHION_CLASSES, bmes_to_bio, load_chinese_reviews, load_credit, load_fashion_mnist,
                        load_msra, load_peoples_daily_silver, load_peoples_daily_text, load_reviews, review_splits,
                        stratified_subset)
from hclib.data import fashion_mnist


# ----- what the loaders return -------------------------------------------------------------------
def test_reviews_clean_split():
    train, test = load_reviews("train"), load_reviews("test")
    assert len(test) == 1000 and abs(test.label.mean() - 0.658) < 1e-9
    assert len(train) == 4000 - 20 - 7  # repeats inside train and train/test overlaps dropped
    assert not set(train.text) & set(test.text)
    assert not train.text.duplicated().any()
    parts = review_splits(val_fraction=0.1, seed=0)
    assert len(parts["val"]) == math.ceil(0.1 * len(train))  # scikit-learn rounds the test share up
    assert abs(parts["val"].label.mean() - train.label.mean()) < 0.01
    small = review_splits(train_limit=100, val_limit=40, test_limit=50)
    assert [len(small[k]) for k in ("train", "val", "test")] == [100, 40, 50]


def test_credit_columns_and_missing():
    df = load_credit()
    assert df.shape == (4454, 14) and set(df["default"]) == {0, 1}
    missing = df.isna().sum()
    assert missing[missing > 0].to_dict() == {"Home": 6, "Marital": 1, "Job": 2, "Income": 381, "Assets": 47,
                                               "Debt": 18}


def test_fashion_mnist_shapes():
    x, y = load_fashion_mnist("train", limit=1000)
    assert tuple(x.shape) == (1000, 28, 28) and len(FASHION_CLASSES) == 10
    assert set(y.tolist()) == set(range(10))


def test_msra_sizes_and_bio():
    chars, tags = load_msra("test")
    assert len(chars) == 5000 and all(len(c) == len(t) for c, t in zip(chars, tags))
    assert all("\r" not in ch for sent in chars[:100] for ch in sent)
    _, bio = load_msra("test", scheme="bio", limit=200)
    assert {t.split("-")[0] for s in bio for t in s} <= {"B", "I", "O"}


def test_bmes_to_bio_roundtrip_of_entities():
    assert bmes_to_bio(["S-PER", "B-ORG", "M-ORG", "E-ORG"]) == ["B-PER", "B-ORG", "I-ORG", "I-ORG"]


def test_peoples_daily():
    text = load_peoples_daily_text(limit=50)
    assert len(text) == 50 and all("/" not in s for s in text)
    chars, tags = load_peoples_daily_silver(limit=100)
    assert any("B-LOC" in t for t in tags) and all(len(c) == len(t) for c, t in zip(chars, tags))


def test_chinese_reviews_no_repeats_no_conflicts():
    df = load_chinese_reviews()
    assert not df.text.duplicated().any()
    assert 10_000 < len(df) < 35_124


# ----- bad input: the error names the problem ----------------------------------------------------
@pytest.mark.parametrize("call,error,match", [
    (lambda: load_reviews("validation"), ValueError, "split='validation'"),
    (lambda: load_reviews("train", limit=0), ValueError, "limit must be an integer >= 1"),
    (lambda: load_reviews("train", limit=2.5), TypeError, "limit must be an integer or None"),
    (lambda: review_splits(val_fraction=0), ValueError, "val_fraction"),
    (lambda: review_splits(val_fraction=1.5), ValueError, "val_fraction"),
    (lambda: review_splits(train_limit=-3), ValueError, "train_limit must be an integer >= 1"),
    (lambda: review_splits(val_limit=0), ValueError, "val_limit must be an integer >= 1"),
    (lambda: load_fashion_mnist("dev"), ValueError, "split='dev'"),
    (lambda: load_fashion_mnist("test", limit=True), TypeError, "limit must be an integer or None"),
    (lambda: load_msra("valid"), ValueError, "split='valid'"),
    (lambda: load_msra("test", scheme="iob"), ValueError, "scheme='iob'"),
    (lambda: load_msra("test", limit=-1), ValueError, "limit must be an integer >= 1"),
    (lambda: load_msra(path="/no/such/file.txt"), FileNotFoundError, "path: no file"),
    (lambda: load_peoples_daily_text(limit=0), ValueError, "limit must be an integer >= 1"),
    (lambda: load_peoples_daily_silver(limit="all"), TypeError, "limit must be an integer or None"),
    (lambda: bmes_to_bio(["B-PER", "X-PER"]), ValueError, r"tags\[1\]: unknown BMES tag 'X-PER'"),
    (lambda: bmes_to_bio(["B-MISC"]), ValueError, "unknown BMES tag 'B-MISC'"),
    (lambda: stratified_subset(load_credit(), 10, label="Status"), ValueError, "no column 'Status'"),
    (lambda: stratified_subset(pd.DataFrame({"label": [0, 1, 1, 1]}), 2), ValueError, "cannot draw n=2 rows"),
    (lambda: stratified_subset([1, 2], 1), TypeError, "df must be a pandas DataFrame"),
])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_fashion_dir_without_files(tmp_path, monkeypatch):
    monkeypatch.setenv("HCLIB_FASHION_MNIST_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        load_fashion_mnist("test")


def test_fashion_corrupt_file(tmp_path, monkeypatch):
    for name in fashion_mnist.FILES:
        (tmp_path / name).write_bytes(gzip.compress(b"not the data"))
    monkeypatch.setenv("HCLIB_FASHION_MNIST_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="corrupt"):
        load_fashion_mnist("test")


def test_fashion_not_gzip(tmp_path, monkeypatch):
    for name in fashion_mnist.FILES:
        (tmp_path / name).write_bytes(b"plain bytes")
    monkeypatch.setenv("HCLIB_FASHION_MNIST_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="not a readable gzip file"):
        load_fashion_mnist("test")


def test_fashion_nothing_anywhere_offline(tmp_path, monkeypatch):
    monkeypatch.delenv("HCLIB_FASHION_MNIST_DIR", raising=False)
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "none")
    monkeypatch.setattr(fashion_mnist, "CACHE_DIR", tmp_path / "cache")
    with pytest.raises(FileNotFoundError, match="download failed"):
        load_fashion_mnist("test")  # the network guard makes the download fail, as offline


def test_msra_corrupt_line(tmp_path, monkeypatch):
    from hclib.data import chinese

    bad = tmp_path / "msra_test.txt"
    bad.write_text("中 O\r\n国 B-LOC extra\r\n", encoding="utf-8")
    monkeypatch.setattr(chinese, "package_file", lambda *a: bad)
    with pytest.raises(ValueError, match=r"msra_test.txt:2: expected 'character TAG'"):
        load_msra("test")


def test_msra_file_of_your_own(tmp_path, monkeypatch):
    mine = tmp_path / "mine.txt"
    mine.write_bytes("\ufeff马 B-PER\n云 E-PER\n\n在 O\n".encode("utf-8"))  # with a byte-order mark
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_msra(path="~/mine.txt", scheme="bio") == ([["马", "云"], ["在"]], [["B-PER", "I-PER"], ["O"]])
    mine.write_text("马 B-PER\n云 X-PER\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"mine.txt:2: unknown BMES tag 'X-PER'.*correct that line"):
        load_msra(path=mine)
    mine.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="holds no sentences"):
        load_msra(path=mine)


def test_missing_package_says_what_to_install():
    from hclib.data._files import package_file

    with pytest.raises(FileNotFoundError, match="pip install no-such-data"):
        package_file("no_such_data_pkg", "x.txt", "no-such-data")
