"""Progress bars that read well in a terminal, a notebook and a saved notebook."""
from __future__ import annotations

import sys

from tqdm.std import tqdm

from hclib.validate import check_int


class NotebookLine:
    """A file for tqdm that keeps one output line in a notebook, updated in place.

    Writing to stdout in a notebook leaves one output per refresh; a display handle is
    replaced instead, so a saved notebook holds only the bar's final state.
    """

    encoding = "utf-8"  # tells tqdm it may draw with Unicode blocks

    def __init__(self):
        from IPython.display import Pretty, display

        self._pretty = Pretty
        self._handle = display(Pretty(""), display_id=True)

    def write(self, text: str) -> None:
        line = text.strip("\r\n")
        if line:
            self._handle.update(self._pretty(line))

    def flush(self) -> None: ...


def _file():
    """``sys.stdout`` in a terminal; a line updated in place inside a Jupyter kernel."""
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return NotebookLine() if shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell" else sys.stdout


def progress_bar(total: int, initial: int = 0, desc: str = "train", show: bool = True) -> tqdm:
    """A tqdm bar counting steps; in a notebook it is one line, updated in place."""
    total, initial = check_int("total", total, minimum=0), check_int("initial", initial, minimum=0)
    return tqdm(total=total, initial=initial, desc=desc, unit="step", mininterval=1.0, disable=not show,
                file=_file() if show else sys.stdout, ncols=100)
