"""Fashion-MNIST: 70,000 grey 28 x 28 images of clothing in 10 classes.

Source: Xiao, Rasul and Vollgraf (2017), Zalando Research,
https://github.com/zalandoresearch/fashion-mnist. Licence: MIT.
Size: 60,000 training and 10,000 test images, 6,000 / 1,000 per class.
Returned: ``images`` (uint8 tensor, N x 28 x 28) and ``labels`` (int64, 0-9;
names in :data:`CLASSES`).

Where the files are looked for, in order:
1. the directory in the environment variable ``HCLIB_FASHION_MNIST_DIR``;
2. ``/usr/share/datasets/fashion-mnist`` (Debian: ``apt-get install dataset-fashion-mnist``);
3. ``~/.cache/hclib/fashion-mnist``, downloaded there from the official mirror
   when the machine is online.
Every file is checked against the SHA-256 of its decompressed content.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import urllib.request
from pathlib import Path

import numpy as np
import torch

from hclib.validate import check_choice, check_int

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
MIRROR = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
CACHE_DIR = Path.home() / ".cache" / "hclib" / "fashion-mnist"
FILES = {  # name -> SHA-256 of the decompressed IDX file
    "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
HOW_TO_GET = ("install the Debian package (apt-get install dataset-fashion-mnist), or put the four "
              "*-ubyte.gz files from https://github.com/zalandoresearch/fashion-mnist in a directory "
              "and set HCLIB_FASHION_MNIST_DIR to it")


def _read_checked(path: Path) -> bytes:
    try:
        raw = gzip.decompress(path.read_bytes())
    except (OSError, EOFError) as e:
        raise ValueError(f"{path} is not a readable gzip file ({e}); delete it and {HOW_TO_GET}") from e
    if hashlib.sha256(raw).hexdigest() != FILES[path.name]:
        raise ValueError(f"{path} is corrupt (checksum mismatch); delete it and {HOW_TO_GET}")
    return raw


def _download(name: str) -> Path:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    target = CACHE_DIR / name
    partial = target.with_suffix(".part")
    urllib.request.urlretrieve(MIRROR + name, partial)  # noqa: S310 (fixed https mirror)
    partial.replace(target)
    return target


def _locate(name: str) -> Path:
    env = os.environ.get("HCLIB_FASHION_MNIST_DIR")
    if env:
        path = Path(env) / name
        if not path.is_file():
            raise FileNotFoundError(f"HCLIB_FASHION_MNIST_DIR={env} has no {name}; {HOW_TO_GET}")
        return path
    for folder in (DEBIAN_DIR, CACHE_DIR):
        if (folder / name).is_file():
            return folder / name
    try:
        return _download(name)
    except OSError as e:
        raise FileNotFoundError(f"Fashion-MNIST not found and the download failed ({e}); {HOW_TO_GET}") from e


def _parse_idx(raw: bytes, expected_dims: int) -> np.ndarray:
    magic = int.from_bytes(raw[:4], "big")
    if magic >> 8 != 0x08 or (magic & 0xFF) != expected_dims:  # 0x08: unsigned bytes
        raise ValueError(f"not an IDX file of {expected_dims} dimensions (magic {magic:#x})")
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(expected_dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * expected_dims).reshape(shape)


def load_fashion_mnist(split: str = "train", limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(images, labels)`` of one split; ``limit`` keeps the first N (the files are shuffled, so classes stay near balanced).

    >>> x, y = load_fashion_mnist("test"); tuple(x.shape), x.dtype, int(y.max())
    ((10000, 28, 28), torch.uint8, 9)
    """
    check_choice("split", split, ("train", "test"))
    limit = check_int("limit", limit, minimum=1, optional=True)
    prefix = "train" if split == "train" else "t10k"
    images = _parse_idx(_read_checked(_locate(f"{prefix}-images-idx3-ubyte.gz")), 3)
    labels = _parse_idx(_read_checked(_locate(f"{prefix}-labels-idx1-ubyte.gz")), 1)
    images, labels = torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))
    return (images[:limit], labels[:limit]) if limit else (images, labels)
