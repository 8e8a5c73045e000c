"""A labelling tool for notebooks: one text at a time, a button per class, every answer saved at once.

It shows a text and, unless switched off, the model's guess for it; takes a label by button or by keyboard
(a shortcut box: ``1``, ``2``, ... for the classes, ``s`` to skip, ``u`` to undo); writes each decision to a
:class:`~hclib.labels.LabelStore` before showing the next text; and times each decision from the moment the
text is on screen: the human side of the cost model, measured. The texts come in the order given, so an
active-learning strategy can rank the unlabelled pool and feed the queue. Guesses are computed beforehand
(a mapping id -> (label, probability)), so no model runs between one answer and the next text.
A simulated annotator can drive the same code path (:meth:`LabellingTool.answer`).
"""
from __future__ import annotations

import html
import time
from typing import Mapping, Sequence

import ipywidgets as widgets

from hclib.labels import LabelStore
from hclib.validate import check_strings


class LabellingTool:
    """Label ``texts`` (with string ids ``ids``, in queue order) into ``store``.

    ``guesses`` maps an id to the model's ``(label, probability)`` for it, computed before the session;
    ``show_guess`` sets the switch that shows or hides them (a guess on screen can anchor the annotator).
    """

    def __init__(self, texts: Sequence[str], ids: Sequence[str], store: LabelStore,
                 guesses: Mapping[str, tuple[str, float]] | None = None, show_guess: bool = True):
        texts, ids = check_strings("texts", texts), check_strings("ids", ids)
        if not isinstance(store, LabelStore):
            raise TypeError(f"store must be a LabelStore, got {type(store).__name__}")
        if guesses is not None and not isinstance(guesses, Mapping):
            raise TypeError("guesses must be a dict {id: (label, probability)} computed beforehand, or None; "
                            f"got {type(guesses).__name__}")
        if len(texts) != len(ids):
            raise ValueError(f"{len(texts)} texts but {len(ids)} ids; pass one id a text")
        if len(set(ids)) != len(ids):
            raise ValueError("ids must be unique: they name the items in the label file")
        empty = [i for i, t in zip(ids, texts) if not str(t).strip()]
        if empty:
            raise ValueError(f"empty texts cannot be labelled: {empty[:5]}")
        missing = [i for i in ids if guesses is not None and i not in guesses]
        if missing:
            raise ValueError(f"guesses has no entry for ids {missing[:5]}; compute a guess for every text")
        self.texts, self.ids, self.store, self.guesses = dict(zip(ids, texts)), list(ids), store, guesses
        self.text = widgets.HTML()
        self.status = widgets.HTML()
        buttons = [widgets.Button(description=f"{c} ({k})", button_style="primary")
                   for k, c in enumerate(store.classes, start=1)]
        for button, label in zip(buttons, store.classes):
            button.on_click(lambda _, label=label: self.answer(label))
        skip, undo = widgets.Button(description="skip (s)"), widgets.Button(description="undo (u)", icon="undo")
        skip.on_click(lambda _: self.answer(None))
        undo.on_click(lambda _: self.undo())
        self.show_guess = widgets.Checkbox(value=bool(show_guess), description="show the model's guess")
        self.show_guess.observe(lambda _: self._render(), names="value")
        self.keys = widgets.Text(placeholder="type 1, 2, ... s or u", description="keyboard:",
                                 continuous_update=True)
        self.keys.observe(self._on_key, names="value")
        self.view = widgets.VBox([self.text, widgets.HBox(buttons + [skip, undo]),
                                  widgets.HBox([self.keys, self.show_guess]), self.status])
        self._show_next()

    def _on_key(self, change) -> None:
        key = str(change["new"]).strip().lower()[-1:]
        if not key:
            return
        self.keys.value = ""  # ready for the next key
        if key == "s":
            self.answer(None)
        elif key == "u":
            self.undo()
        elif key.isdigit() and 1 <= int(key) <= len(self.store.classes):
            self.answer(self.store.classes[int(key) - 1])

    @property
    def current(self) -> str | None:
        """The id of the text on screen (``None`` when everything is labelled)."""
        return self._current

    def _render(self) -> None:
        if self._current is None:
            self.text.value = "<p><b>All texts are labelled.</b></p>"
        else:
            body = html.escape(self.texts[self._current])
            hint = ""
            if self.guesses is not None and self.show_guess.value:
                label, p = self.guesses[self._current]
                hint = f"<p style='color:#555'>model's guess: <b>{html.escape(str(label))}</b> ({p:.0%})</p>"
            self.text.value = f"<div style='max-width:60em'><p>{body}</p>{hint}</div>"
        done, median = len(self.store.labels()), self.store.median_seconds()
        self.status.value = (f"{done} labelled, {len(self.store.seen()) - done} skipped, "
                             f"{len(self.ids) - len(self.store.seen())} to go"
                             + (f"; median {median:.1f} s a label" if median is not None else ""))

    def _show_next(self) -> None:
        self._current = self.store.next_item(self.ids)
        self._render()
        self._shown_at = time.monotonic()  # the clock starts once the text is on screen

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
        self._shown_at = time.monotonic()  # the first text's clock starts when the tool is on screen
