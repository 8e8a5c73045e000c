"""A label store: every human label saved at once, atomically, with the seconds it took.

The file is one JSON document. Every change takes a lock on the file (``filelock``), re-reads it,
applies the change and writes it back through a temporary file and an atomic rename, so several
writers (two notebook tabs, a notebook and a script) keep every label, a crash or a closed notebook
never leaves the file half-written, and a new session resumes where the last one stopped.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "labels.json")
>>> store = LabelStore(path, classes=("negative", "positive"))
>>> store.add("review-7", "positive", seconds=4.2)
>>> LabelStore(path).labels()
{'review-7': 'positive'}
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Sequence

from filelock import FileLock

from hclib.validate import atomic_write_text, check_number, check_path, check_strings, read_json

FORMAT = "hclib-labels"
VERSION = 1
LOCK_TIMEOUT = 60  # seconds to wait for another writer before giving up


class LabelStore:
    """Labels given by people, one record per decision (label or skip), kept in order.

    Open an existing file with ``LabelStore(path)``; create one with ``classes`` given. Queries read the
    file afresh, so they include what other stores on the same file have saved.
    """

    def __init__(self, path: str | Path, classes: Sequence[str] | None = None):
        self.path = check_path("path", path)
        if self.path.is_dir():
            raise ValueError(f"path {str(self.path)!r} is a folder; pass a file name such as labels.json")
        if classes is not None:
            classes = check_strings("classes", classes, min_length=2)
            if len(set(classes)) != len(classes):
                raise ValueError(f"classes must be distinct names, got {classes}")
        self._lock = FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT)
        self._mine: list[str] = []  # ids of the records this store added, for undo
        with self._lock:
            if self.path.exists():
                data = self._read()
                if classes is not None and classes != data["classes"]:
                    raise ValueError(f"{self.path} holds labels for classes {data['classes']}, not {classes}; "
                                     "use another file for another task")
            elif classes is None:
                raise ValueError(f"no label file at {self.path}; a new label store needs at least two distinct "
                                 "class names, e.g. LabelStore(path, classes=('negative', 'positive'))")
            else:
                self._write({"format": FORMAT, "version": VERSION, "classes": classes, "records": []})
        self.classes = list(data["classes"]) if classes is None else classes

    def _read(self) -> dict:
        fix = "move it away or choose another path"
        data = read_json(self.path, "an hclib label file", fix)
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION \
                or not isinstance(data.get("records"), list):
            raise ValueError(f"{self.path} is not an hclib label file (format {FORMAT!r}, version {VERSION}); {fix}")
        return data

    def _write(self, data: dict) -> None:
        atomic_write_text(self.path, json.dumps(data, ensure_ascii=False, indent=0))

    def _change(self, edit: Callable[[list[dict]], object]) -> object:
        """Lock, re-read, apply ``edit`` to the records, write back: no other writer's label is lost."""
        with self._lock:
            data = self._read()
            result = edit(data["records"])
            self._write(data)
        return result

    def _append(self, item: str, label: str | None, seconds: float) -> None:
        if not isinstance(item, str) or not item:
            raise ValueError(f"item must be a non-empty string id, got {item!r}")
        seconds = check_number("seconds", seconds, minimum=0)
        record = {"item": item, "label": label, "seconds": round(seconds, 3),
                  "time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "id": uuid.uuid4().hex}
        self._change(lambda records: records.append(record))
        self._mine.append(record["id"])

    def add(self, item: str, label: str, seconds: float = 0.0) -> None:
        """Record that ``item`` got ``label`` after ``seconds`` of looking at it."""
        if label not in self.classes:
            raise ValueError(f"unknown label {label!r}; the classes are {self.classes}")
        self._append(item, label, seconds)

    def skip(self, item: str, seconds: float = 0.0) -> None:
        """Record that ``item`` was seen but not labelled (it will not be offered again)."""
        self._append(item, None, seconds)

    def undo(self) -> dict | None:
        """Remove and return this store's last decision (in a resumed session: the file's last one).

        ``None`` when there is nothing to undo.
        """
        def remove(records: list[dict]) -> dict | None:
            ids = [r.get("id") for r in records]
            while self._mine and self._mine[-1] not in ids:  # already removed elsewhere
                self._mine.pop()
            if self._mine:
                return records.pop(ids.index(self._mine.pop()))
            return records.pop() if records else None

        return self._change(remove)

    def records(self) -> list[dict]:
        """Every decision in order: item, label (``None`` for a skip), seconds, time."""
        return [{k: v for k, v in r.items() if k != "id"} for r in self._read()["records"]]

    def labels(self) -> dict[str, str]:
        """The latest label of every labelled item."""
        return {r["item"]: r["label"] for r in self.records() if r["label"] is not None}

    def seen(self) -> set[str]:
        """Items labelled or skipped."""
        return {r["item"] for r in self.records()}

    def next_item(self, order: Iterable[str]) -> str | None:
        """The first item of ``order`` not yet seen: where a resumed session continues."""
        seen = self.seen()
        return next((item for item in check_strings("order", order, min_length=0) if item not in seen), None)

    def median_seconds(self) -> float | None:
        """Median seconds a labelled item took (skips excluded): robust to a coffee break; ``None`` before the first."""
        times = sorted(r["seconds"] for r in self.records() if r["label"] is not None)
        if not times:
            return None
        mid = len(times) // 2
        return times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2

    def seconds_per_label(self) -> float | None:
        """Mean seconds a labelled item took (skips excluded); ``None`` before the first label."""
        times = [r["seconds"] for r in self.records() if r["label"] is not None]
        return sum(times) / len(times) if times else None
