"""Pre-trained character vectors from unlabelled text: co-occurrence counts, PPMI, truncated SVD.

A character is described by the characters around it. Count, over unlabelled sentences, how often
character ``c`` appears within ``window`` places of character ``w``; weight each count by its positive
pointwise mutual information,

    PPMI(w, c) = max(0, log  P(w, c) / (P(w) P_alpha(c))),   P_alpha(c) = n(c)^alpha / sum n^alpha,

(alpha = 0.75 smooths the context distribution, as word2vec's negative sampling does; Levy, Goldberg
and Dagan, 2015), and keep the top ``dim`` singular directions of that matrix as the vectors. This is
the count-based twin of word2vec's skip-gram, with no training loop and a deterministic answer: a
few seconds on a CPU for a newspaper month.

>>> from hclib.charenc import CharVocab
>>> texts = ["北京欢迎你", "上海欢迎你", "北京很大", "上海很大"] * 20
>>> vocab = CharVocab.build(texts)
>>> vectors = ppmi_svd(cooccurrence(texts, vocab, window=2), dim=4)
>>> vectors.shape == (len(vocab), 4)
True
>>> nearest(vectors, vocab, "北", k=1)  # not its neighbour 京, but what is used like it
['上']
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import sparse
from sklearn.utils.extmath import randomized_svd

from hclib.charenc import SPECIALS, CharVocab
from hclib.validate import check_int, check_number, check_strings


def drop_overlapping(texts: Sequence[str], held_out: Sequence[str], window: int = 20,
                     min_window: int | None = None) -> tuple[list[str], int]:
    """``texts`` without any text that shares a ``window``-character stretch with a ``held_out`` text.

    Pre-training text must not contain the test sentences, or the vectors would have seen them. A
    held-out text shorter than ``window`` is matched whole, down to ``min_window`` characters (default
    ``min(8, window)``); shorter
    ones are left out, since a stretch that short (a date, a common phrase) is not a leak of that
    sentence. Returns the kept texts and how many were dropped.

    >>> drop_overlapping(["今天北京下雪了", "上海晴"], ["北京下雪"], window=4)
    (['上海晴'], 1)
    >>> drop_overlapping(["今天北京下雪了", "上海晴"], ["北京下雪"], window=6, min_window=4)
    (['上海晴'], 1)
    """
    texts, held_out = check_strings("texts", texts, min_length=0), check_strings("held_out", held_out, min_length=0)
    window = check_int("window", window, minimum=1)
    min_window = min(8, window) if min_window is None else check_int(
        "min_window (at most window)", min_window, minimum=1, maximum=window)
    seen: dict[int, set[str]] = {}
    for t in held_out:
        if len(t) >= min_window:
            size = min(window, len(t))
            seen.setdefault(size, set()).update(t[i:i + size] for i in range(len(t) - size + 1))
    kept = [t for t in texts
            if not any(t[i:i + size] in stretches for size, stretches in seen.items()
                       for i in range(len(t) - size + 1))]
    return kept, len(texts) - len(kept)


def cooccurrence(texts: Sequence[str], vocab: CharVocab, window: int = 2) -> sparse.csr_matrix:
    """A (vocab, vocab) matrix: how often each character is within ``window`` places of each other one.

    Counts are symmetric; unknown characters and the special tokens are left out.
    """
    texts = check_strings("texts", texts, min_length=0)
    window = check_int("window", window, minimum=1, maximum=20)
    if not isinstance(vocab, CharVocab):
        raise TypeError(f"vocab must be an hclib.charenc.CharVocab, got {type(vocab).__name__}")
    ids = [np.array(vocab.encode(t), dtype=np.int64) for t in texts if t]
    rows, cols = [], []
    for seq in ids:
        for offset in range(1, window + 1):
            if len(seq) > offset:
                rows += [seq[:-offset], seq[offset:]]
                cols += [seq[offset:], seq[:-offset]]
    if not rows:
        raise ValueError("texts hold no pair of neighbouring characters; pass sentences of two characters or more")
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    keep = (rows >= len(SPECIALS)) & (cols >= len(SPECIALS))
    n = len(vocab)
    return sparse.coo_matrix((np.ones(keep.sum()), (rows[keep], cols[keep])), shape=(n, n)).tocsr()


def ppmi_svd(counts: sparse.spmatrix, dim: int = 100, alpha: float = 0.75, seed: int = 0) -> np.ndarray:
    """Character vectors: the top ``dim`` singular directions of the PPMI matrix of ``counts``.

    Rows are scaled by the square root of their singular values (the symmetric split of U S V^T)
    and then to a standard deviation of one over all entries, so they can replace a randomly
    initialised embedding table. Characters never counted get zero vectors.
    """
    if not sparse.issparse(counts) or counts.shape[0] != counts.shape[1]:
        raise TypeError("counts must be a square scipy.sparse matrix (from cooccurrence)")
    dim = check_int("dim", dim, minimum=1, maximum=counts.shape[0] - 1)
    alpha = check_number("alpha", alpha, minimum=0, maximum=1)
    counts = counts.tocoo()
    total = counts.sum()
    if total == 0:
        raise ValueError("counts is all zeros; build it from texts with cooccurrence()")
    row_p = np.asarray(counts.sum(1)).ravel() / total
    context = np.asarray(counts.sum(0)).ravel() ** alpha
    context_p = context / context.sum()
    pmi = np.log(counts.data / total) - np.log(row_p[counts.row]) - np.log(context_p[counts.col])
    keep = pmi > 0
    ppmi = sparse.csr_matrix((pmi[keep], (counts.row[keep], counts.col[keep])), shape=counts.shape)
    u, s, _ = randomized_svd(ppmi, dim, random_state=seed)
    vectors = u * np.sqrt(s)
    std = vectors[row_p > 0].std()
    return (vectors / std if std > 0 else vectors).astype(np.float32)


def nearest(vectors: np.ndarray, vocab: CharVocab, char: str, k: int = 5) -> list[str]:
    """The ``k`` characters whose vectors have the highest cosine similarity to ``char``'s."""
    if char not in vocab.stoi:
        raise KeyError(f"char {char!r} is not in the vocabulary; pick a character of the pre-training text")
    k = check_int("k", k, minimum=1)
    norms = np.linalg.norm(vectors, axis=1)
    cosine = vectors @ vectors[vocab[char]] / np.where(norms > 0, norms * norms[vocab[char]], np.inf)
    cosine[vocab[char]] = -np.inf
    cosine[:len(SPECIALS)] = -np.inf
    return [vocab.itos[i] for i in np.argsort(-cosine)[:k]]
