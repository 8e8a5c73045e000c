"""A label store: every human label saved at once, atomically, with the seconds it took.

The file is one JSON document, rewritten in full through a temporary file and an atomic
rename after every change, so a crash or a closed notebook never leaves it half-written,
and a new session resumes where the last one stopped.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "labels.json")
>>> store = LabelStore(path, classes=("negative", "positive"))
>>> store.add("review-7", "positive", seconds=4.2)
>>> LabelStore(path).labels()
{'review-7': 'positive'}
"""
from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence

FORMAT = "hclib-labels"
VERSION = 1


class LabelStore:
    """Labels given by people, one record per decision (label or skip), kept in order.

    Open an existing file with ``LabelStore(path)``; create one with ``classes`` given.
    """

    def __init__(self, path: str | Path, classes: Sequence[str] | None = None):
        self.path = Path(path)
        if self.path.exists():
            self._data = self._read()
            if classes is not None and list(classes) != self._data["classes"]:
                raise ValueError(f"{self.path} holds labels for classes {self._data['classes']}, not {list(classes)}; "
                                 "use another file for another task")
        else:
            if not classes or len(set(classes)) != len(classes) or len(classes) < 2:
                raise ValueError("a new label store needs at least two distinct class names, "
                                 "e.g. LabelStore(path, classes=('negative', 'positive'))")
            self._data = {"format": FORMAT, "version": VERSION, "classes": list(classes), "records": []}
            self._write()

    @property
    def classes(self) -> list[str]:
        return list(self._data["classes"])

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ValueError(f"{self.path} is not a label file (invalid JSON: {e}); "
                             "move it away or choose another path") from e
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
            raise ValueError(f"{self.path} is not an hclib label file (format {FORMAT!r}, version {VERSION}); "
                             "move it away or choose another path")
        return data

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(self._data, f, ensure_ascii=False, indent=0)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)  # atomic: readers see the old file or the new one, never half
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _append(self, item: str, label: str | None, seconds: float) -> None:
        if not isinstance(item, str) or not item:
            raise ValueError(f"item must be a non-empty string id, got {item!r}")
        if not seconds >= 0:
            raise ValueError(f"seconds must be a non-negative number, got {seconds!r}")
        self._data["records"].append({"item": item, "label": label, "seconds": round(float(seconds), 3),
                                      "time": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        self._write()

    def add(self, item: str, label: str, seconds: float = 0.0) -> None:
        """Record that ``item`` got ``label`` after ``seconds`` of looking at it."""
        if label not in self._data["classes"]:
            raise ValueError(f"unknown label {label!r}; the classes are {self._data['classes']}")
        self._append(item, label, seconds)

    def skip(self, item: str, seconds: float = 0.0) -> None:
        """Record that ``item`` was seen but not labelled (it will not be offered again)."""
        self._append(item, None, seconds)

    def undo(self) -> dict | None:
        """Remove and return the last decision (``None`` when there is none)."""
        if not self._data["records"]:
            return None
        last = self._data["records"].pop()
        self._write()
        return last

    def records(self) -> list[dict]:
        """Every decision in order: item, label (``None`` for a skip), seconds, time."""
        return [dict(r) for r in self._data["records"]]

    def labels(self) -> dict[str, str]:
        """The latest label of every labelled item."""
        return {r["item"]: r["label"] for r in self._data["records"] if r["label"] is not None}

    def seen(self) -> set[str]:
        """Items labelled or skipped."""
        return {r["item"] for r in self._data["records"]}

    def next_item(self, order: Iterable[str]) -> str | None:
        """The first item of ``order`` not yet seen: where a resumed session continues."""
        seen = self.seen()
        return next((item for item in order if item not in seen), None)

    def seconds_per_label(self) -> float | None:
        """Mean seconds a labelled item took (skips excluded); ``None`` before the first label."""
        times = [r["seconds"] for r in self._data["records"] if r["label"] is not None]
        return sum(times) / len(times) if times else None
