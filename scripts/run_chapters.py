"""Re-execute chapter notebooks under a profile and save them with their outputs.

    python scripts/run_chapters.py --profile cpu chapters/01_cnn.ipynb
    make run PROFILE=cpu                    # every chapter

The committed notebooks carry the outputs of a cpu or gpu run; the site is built from them.
At the end of a run, every markdown cell's inline {eval} expressions are evaluated in the kernel and
their results stored in the cell's metadata (jupyterlab-myst's user_expressions): JupyterLab shows
them before the chapter runs, the site shows them (book/_ext/stored_eval.py).
Every run also records its wall time (the run card's closing line) in chapters/run_times.json,
which the site shows per chapter and profile; `--times-only` runs without saving the outputs
(how the ci times are taken: python scripts/run_chapters.py --profile ci --times-only chapters/*.ipynb).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hclib.prose import METADATA_KEY, expressions  # noqa: E402
from hclib.runcard import read_run_card  # noqa: E402

TIMES = Path(__file__).resolve().parents[1] / "chapters" / "run_times.json"


def record_time(path: Path, nb: nbformat.NotebookNode, profile: str) -> None:
    """Store the run card's wall time of this run in chapters/run_times.json."""
    card = read_run_card(nb.cells)
    if card is None:
        raise SystemExit(f"{path}: no run card and closing line ('Finished in ... s') in the outputs")
    times = json.loads(TIMES.read_text()) if TIMES.is_file() else {}
    times.setdefault(path.stem, {})[profile] = {
        "seconds": card["seconds"], "date": time.strftime("%Y-%m-%d"),
        "machine": card["device"] or platform.machine()}
    TIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")


class ChapterClient(NotebookClient):
    """nbclient's execution, then every markdown cell's inline ``{eval}`` expressions evaluated in
    the kernel at the end of the run (prose may name a number computed further down), their
    results stored in the cell's metadata (``user_expressions``, as jupyterlab-myst stores them):
    what JupyterLab shows before the chapter runs, and what the site shows (book/_ext/stored_eval.py)."""

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        if cell_index == len(self.nb.cells) - 1:
            await self.store_expressions()
        return cell

    async def store_expressions(self) -> None:
        cells = [(c, expressions(c.source)) for c in self.nb.cells if c.cell_type == "markdown"]
        found = list(dict.fromkeys(e for _, exprs in cells for e in exprs))
        results = {}
        if found:
            msg_id = self.kc.execute("", silent=True, store_history=False,
                                     user_expressions={str(i): e for i, e in enumerate(found)})
            reply = await self.async_wait_for_reply(msg_id)
            answers = reply["content"].get("user_expressions", {}) if reply else {}
            results = {e: answers.get(str(i)) for i, e in enumerate(found)}
        for cell, exprs in cells:
            for e in exprs:
                r = results.get(e) or {"ename": "NoReply", "evalue": "the kernel did not answer"}
                if r.get("status") != "ok":
                    raise RuntimeError(f"markdown cell {cell.get('id')}: {{eval}}`{e}` failed: "
                                       f"{r.get('ename')}: {r.get('evalue')}")
            if exprs:
                cell.metadata[METADATA_KEY] = [{"expression": e, "result": results[e]} for e in exprs]
            else:
                cell.metadata.pop(METADATA_KEY, None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--profile", choices=("ci", "cpu", "gpu"), default="cpu")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds a cell may take")
    parser.add_argument("--times-only", action="store_true", help="record the wall time, keep the saved outputs")
    args = parser.parse_args()
    os.environ["HCLIB_PROFILE"] = args.profile
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        print(f"{path}: running with profile {args.profile} ...", flush=True)
        client = ChapterClient(nb, timeout=args.timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        client.execute()
        record_time(path, nb, args.profile)
        if not args.times_only:
            nbformat.write(nb, path)
        print(f"{path}: done in {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
