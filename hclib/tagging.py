"""Sequence labelling: a data set of tagged sentences and a tagger (any encoder + a CRF or softmax head).

The tagger works with :class:`hclib.train.Trainer` as it is: its ``forward`` returns the loss and the
emission scores, and :meth:`Tagger.entity_metrics` is a ``metric_fn`` giving strict entity-level F1.

>>> from hclib.charenc import BiLSTMEncoder, CharVocab
>>> sentences, tags = [list("我在北京"), list("马云")], [["O", "O", "B-LOC", "I-LOC"], ["B-PER", "I-PER"]]
>>> vocab = CharVocab.build(sentences)
>>> data = TaggingDataset(sentences, tags, vocab, TAGS)
>>> batch = data.collate([data[0], data[1]])
>>> tagger = Tagger(BiLSTMEncoder(len(vocab), 8, 8), TAGS)
>>> out = tagger(**batch)
>>> tuple(out["logits"].shape), out["loss"].ndim
((2, 4, 7), 0)
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import Dataset

from hclib.charenc import PAD, CharVocab
from hclib.crf import CRF, bio_allows
from hclib.metrics import check_tag_lists
from hclib.validate import check_int, check_list, check_number, check_strings

TAGS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG")


class TaggingDataset(Dataset):
    """Sentences (lists of characters) with one BIO tag a character, as id tensors."""

    def __init__(self, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]], vocab: CharVocab,
                 tag_names: Sequence[str] = TAGS, max_length: int = 128):
        sentences, tags = check_list("sentences", sentences), check_list("tags", tags)
        tag_names, max_length = check_strings("tag_names", tag_names), check_int("max_length", max_length, minimum=1)
        if not isinstance(vocab, CharVocab):
            raise TypeError(f"vocab must be a CharVocab (CharVocab.build(sentences)), got {type(vocab).__name__}")
        if not sentences:
            raise ValueError("sentences is empty; pass at least one sentence")
        if len(sentences) != len(tags):
            raise ValueError(f"{len(sentences)} sentences but {len(tags)} tag lists; pass one tag list a sentence")
        index = {t: i for i, t in enumerate(tag_names)}
        self.items = []
        for n, (chars, labels) in enumerate(zip(sentences, tags)):
            if not chars:
                raise ValueError(f"sentence {n} is empty; drop empty sentences before tagging")
            if len(chars) != len(labels):
                raise ValueError(f"sentence {n} has {len(chars)} characters but {len(labels)} tags")
            if len(chars) > max_length:
                raise ValueError(f"sentence {n} has {len(chars)} characters, over max_length={max_length}; "
                                 "split long sentences first")
            unknown = [t for t in labels if t not in index]
            if unknown:
                raise ValueError(f"sentence {n} has unknown tag {unknown[0]!r}; known tags: {', '.join(tag_names)}"
                                 " (convert BMES tags with hclib.data.bmes_to_bio)")
            self.items.append((torch.tensor(vocab.encode(chars)), torch.tensor([index[t] for t in labels])))
        self.tag_names = list(tag_names)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.items[i]

    def lengths(self) -> list[int]:
        return [len(ids) for ids, _ in self.items]

    @staticmethod
    def collate(items: list[tuple[torch.Tensor, torch.Tensor]]) -> dict[str, torch.Tensor]:
        """Pad a batch to its longest sentence; padded labels are -100."""
        ids = pad_sequence([x for x, _ in items], batch_first=True, padding_value=PAD)
        labels = pad_sequence([y for _, y in items], batch_first=True, padding_value=-100)
        return {"input_ids": ids, "attention_mask": ids != PAD, "labels": labels}


class Tagger(nn.Module):
    """Encoder -> dropout -> linear emission scores -> CRF (``crf=True``) or per-character softmax."""

    def __init__(self, encoder: nn.Module, tag_names: Sequence[str] = TAGS, crf: bool = True, dropout: float = 0.1):
        super().__init__()
        if not isinstance(encoder, nn.Module) or not isinstance(getattr(encoder, "dim", None), int):
            raise TypeError("encoder must be an hclib.charenc encoder (a torch Module with an integer .dim), got "
                            f"{type(encoder).__name__}")
        self.encoder, self.tag_names = encoder, check_strings("tag_names", tag_names, min_length=2)
        self.dropout = nn.Dropout(check_number("dropout", dropout, minimum=0, maximum=1, high_open=True))
        self.emissions = nn.Linear(encoder.dim, len(tag_names))
        self.crf = CRF(tag_names) if crf else None

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        mask = attention_mask.bool()
        logits = self.emissions(self.dropout(self.encoder(input_ids, mask)))
        out = {"logits": logits}
        if labels is not None:
            if self.crf is not None:
                out["loss"] = self.crf.nll(logits, labels, mask)  # padding (-100) is masked out
            else:
                out["loss"] = F.cross_entropy(logits.transpose(1, 2), labels, ignore_index=-100)
        return out

    @torch.no_grad()
    def decode(self, logits: torch.Tensor, mask: torch.Tensor) -> list[list[str]]:
        """Tag names of each sentence: Viterbi through the CRF, or the argmax of each character."""
        mask = mask.bool()
        if self.crf is not None:
            paths = self.crf.decode(logits, mask)
        else:
            paths = [row[:int(m.sum())].tolist() for row, m in zip(logits.argmax(-1), mask)]
        return [[self.tag_names[i] for i in path] for path in paths]

    def gold(self, labels: torch.Tensor) -> list[list[str]]:
        """Tag names of padded label ids (-100 marks padding)."""
        return [[self.tag_names[i] for i in row[row != -100].tolist()] for row in labels]

    def entity_metrics(self, logits: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        """A ``metric_fn`` for the trainer: strict entity F1, precision, recall, and character accuracy.

        Entities are compared as (type, start, end) spans, the same strict scores as seqeval's and many
        times faster, since the trainer calls this at every evaluation."""
        mask = labels != -100
        pred, gold = self.decode(logits, mask), self.gold(labels)
        scores = span_scores([entity_spans(t) for t in gold], [entity_spans(t) for t in pred])
        char_acc = sum(p == g for ps, gs in zip(pred, gold) for p, g in zip(ps, gs)) / int(mask.sum())
        return {**scores, "char_accuracy": char_acc}


def invalid_sequences(tag_paths: Sequence[Sequence[str]]) -> int:
    """How many tag sequences break BIO somewhere (:func:`hclib.crf.bio_allows`).

    >>> invalid_sequences([["B-PER", "I-PER"], ["O", "I-LOC"], ["B-PER", "I-ORG"]])
    2
    """
    tag_paths = check_list("tag_paths", tag_paths)
    check_tag_lists(tag_paths, tag_paths)
    return sum(any(not bio_allows(prev, tag) for prev, tag in zip(["O", *path], path)) for path in tag_paths)


def repair_bio(tags: Sequence[str]) -> list[str]:
    """``tags`` with every ``I-X`` that may not follow its neighbour turned into ``B-X``: the usual
    post-processing of a softmax tagger, and how conlleval reads a stray ``I-X`` (it starts an entity).

    >>> repair_bio(["O", "I-LOC", "I-LOC", "B-PER", "I-ORG"])
    ['O', 'B-LOC', 'I-LOC', 'B-PER', 'B-ORG']
    """
    fixed: list[str] = []
    for tag in check_list("tags", tags):
        if tag.startswith("I-") and not bio_allows(fixed[-1] if fixed else "O", tag):
            tag = "B-" + tag[2:]
        fixed.append(tag)
    return fixed


def entity_spans(tags: Sequence[str]) -> set[tuple[str, int, int]]:
    """The entities of one BIO tag sequence as ``(type, start, end)``, end exclusive (strict: an entity
    starts at ``B-X``; a stray ``I-X`` starts nothing).

    >>> sorted(entity_spans(["B-PER", "I-PER", "O", "B-LOC", "I-ORG"]))
    [('LOC', 3, 4), ('PER', 0, 2)]
    """
    spans, current = set(), None
    for i, tag in enumerate(check_strings("tags", tags, min_length=0) + ["O"]):
        if current and tag != "I-" + current[0]:
            spans.add((current[0], current[1], i))
            current = None
        if tag.startswith("B-"):
            current = (tag[2:], i)
    return spans


def span_scores(gold: Sequence[set], pred: Sequence[set]) -> dict[str, float]:
    """Micro precision, recall and F1 of exact entity matches, from each sentence's :func:`entity_spans`:
    strict entity scores (as seqeval's) without re-reading the tags, fast enough to bootstrap over
    thousands of sentences and to run at every evaluation.

    >>> span_scores([{("PER", 0, 2)}, {("LOC", 3, 4)}], [{("PER", 0, 2)}, set()])
    {'precision': 1.0, 'recall': 0.5, 'f1': 0.6666666666666666}
    """
    gold, pred = check_list("gold", gold), check_list("pred", pred)
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold sentences but {len(pred)} predicted; pass one span set each")
    bad = next((s for s in gold + pred if not isinstance(s, (set, frozenset, list, tuple))), None)
    if bad is not None:
        raise TypeError(f"gold and pred must hold one set of entity_spans a sentence, got {bad!r}")
    found = sum(len(set(g) & set(p)) for g, p in zip(gold, pred))
    actual, predicted = sum(map(len, gold)), sum(map(len, pred))
    return {"precision": found / predicted if predicted else 0.0, "recall": found / actual if actual else 0.0,
            "f1": 2 * found / (actual + predicted) if actual + predicted else 0.0}


def span_f1(gold: Sequence[set], pred: Sequence[set]) -> float:
    """Strict entity F1 of :func:`span_scores` (the metric the bootstrap resamples).

    >>> span_f1([{("PER", 0, 2)}, {("LOC", 3, 4)}], [{("PER", 0, 2)}, set()])
    0.6666666666666666
    """
    return span_scores(gold, pred)["f1"]


ERROR_KINDS = ("correct", "wrong type", "wrong boundary", "wrong type and boundary", "spurious", "missed")


def entity_errors(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> list[dict]:
    """One row a predicted entity (its kind of outcome) and one a gold entity no prediction touches ("missed").

    Each row gives the sentence index, the outcome (one of :data:`ERROR_KINDS`), the entity type and
    its length in characters (the predicted entity's, or the missed gold one's), and its span.

    >>> [(r["kind"], r["type"], r["length"]) for r in entity_errors([["B-PER", "I-PER", "O"]], [["B-ORG", "I-ORG", "B-LOC"]])]
    [('wrong type', 'ORG', 2), ('spurious', 'LOC', 1)]
    """
    check_tag_lists(gold, pred)
    rows = []
    for i, (g_tags, p_tags) in enumerate(zip(gold, pred)):
        g, p = entity_spans(g_tags), entity_spans(p_tags)
        for kind, start, end in sorted(p, key=lambda e: e[1]):
            overlapping = [e for e in g if e[1] < end and start < e[2]]
            if (kind, start, end) in g:
                outcome = "correct"
            elif any(e[1:] == (start, end) for e in overlapping):
                outcome = "wrong type"
            elif any(e[0] == kind for e in overlapping):
                outcome = "wrong boundary"
            else:
                outcome = "wrong type and boundary" if overlapping else "spurious"
            rows.append({"sentence": i, "kind": outcome, "type": kind, "length": end - start, "start": start,
                         "end": end})
        for kind, start, end in sorted(g, key=lambda e: e[1]):
            if not any(q[1] < end and start < q[2] for q in p):
                rows.append({"sentence": i, "kind": "missed", "type": kind, "length": end - start, "start": start,
                             "end": end})
    return rows


def error_kinds(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict[str, int]:
    """Count predicted entities by what went wrong, plus the gold entities no prediction touches ("missed").

    >>> error_kinds([["B-PER", "I-PER", "O"]], [["B-ORG", "I-ORG", "B-LOC"]])["wrong type"]
    1
    """
    counts = dict.fromkeys(ERROR_KINDS, 0)
    for row in entity_errors(gold, pred):
        counts[row["kind"]] += 1
    return counts
