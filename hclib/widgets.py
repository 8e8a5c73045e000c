"""A labelling tool for notebooks: one text at a time, a button per class, every answer saved at once.

It shows a text and the model's current guess, takes a label by button (or skip, or undo),
writes each decision to a :class:`~hclib.labels.LabelStore` before showing the next text,
and times how long each decision took: the human side of the cost model, measured.
A simulated annotator can drive the same code path (:meth:`LabellingTool.answer`).
"""
from __future__ import annotations

import html
import time
from typing import Callable, Sequence

import ipywidgets as widgets

from hclib.labels import LabelStore
from hclib.validate import check_strings


class LabellingTool:
    """Label ``texts`` (with string ids ``ids``) into ``store``; ``guess(text) -> (label, probability)`` is optional."""

    def __init__(self, texts: Sequence[str], ids: Sequence[str], store: LabelStore,
                 guess: Callable[[str], tuple[str, float]] | None = None):
        texts, ids = check_strings("texts", texts), check_strings("ids", ids)
        if not isinstance(store, LabelStore):
            raise TypeError(f"store must be a LabelStore, got {type(store).__name__}")
        if guess is not None and not callable(guess):
            raise TypeError(f"guess must be a function text -> (label, probability) or None, got {guess!r}")
        if len(texts) != len(ids):
            raise ValueError(f"{len(texts)} texts but {len(ids)} ids; pass one id a text")
        if len(set(ids)) != len(ids):
            raise ValueError("ids must be unique: they name the items in the label file")
        empty = [i for i, t in zip(ids, texts) if not str(t).strip()]
        if empty:
            raise ValueError(f"empty texts cannot be labelled: {empty[:5]}")
        self.texts, self.ids, self.store, self.guess = dict(zip(ids, texts)), list(ids), store, guess
        self.text = widgets.HTML()
        self.status = widgets.HTML()
        buttons = [widgets.Button(description=c, button_style="primary") for c in store.classes]
        for button, label in zip(buttons, store.classes):
            button.on_click(lambda _, label=label: self.answer(label))
        skip, undo = widgets.Button(description="skip"), widgets.Button(description="undo", icon="undo")
        skip.on_click(lambda _: self.answer(None))
        undo.on_click(lambda _: self.undo())
        self.view = widgets.VBox([self.text, widgets.HBox(buttons + [skip, undo]), self.status])
        self._show_next()

    @property
    def current(self) -> str | None:
        """The id of the text on screen (``None`` when everything is labelled)."""
        return self._current

    def _show_next(self) -> None:
        self._current = self.store.next_item(self.ids)
        self._shown_at = time.monotonic()
        if self._current is None:
            self.text.value = "<p><b>All texts are labelled.</b></p>"
        else:
            body = html.escape(self.texts[self._current])
            hint = ""
            if self.guess is not None:
                label, p = self.guess(self.texts[self._current])
                hint = f"<p style='color:#555'>model's guess: <b>{html.escape(label)}</b> ({p:.0%})</p>"
            self.text.value = f"<div style='max-width:60em'><p>{body}</p>{hint}</div>"
        done, per = len(self.store.labels()), self.store.seconds_per_label()
        self.status.value = (f"{done} labelled, {len(self.store.seen()) - done} skipped, "
                             f"{len(self.ids) - len(self.store.seen())} to go"
                             + (f"; {per:.1f} s a label" if per is not None else ""))

    def answer(self, label: str | None, seconds: float | None = None) -> None:
        """Label the text on screen (``None`` skips it) and show the next one.

        ``seconds`` overrides the measured time (for a simulated annotator).
        """
        if self._current is None:
            raise ValueError("nothing left to label")
        took = time.monotonic() - self._shown_at if seconds is None else seconds
        if label is None:
            self.store.skip(self._current, took)
        else:
            self.store.add(self._current, label, took)
        self._show_next()

    def undo(self) -> None:
        """Take back the last decision and show that text again."""
        self.store.undo()
        self._show_next()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)
