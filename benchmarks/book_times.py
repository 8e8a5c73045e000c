"""Wall time of every chapter per profile, and of the site build.

Reads the committed notebooks' run cards (the profile they were run with and their
"Finished in ... s" line), executes every chapter under the ci profile, and builds the
site from the committed outputs; prints a Markdown table for benchmarks/RESULTS.md.

    python benchmarks/book_times.py

Goals: ci profile <= 60 s a notebook; site build <= 2 minutes.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from hclib.runcard import read_run_card

ROOT = Path(__file__).resolve().parents[1]


def committed_run(path: Path) -> tuple[str, float]:
    """Profile and wall seconds from a committed notebook's run card."""
    card = read_run_card(nbformat.read(path, as_version=4).cells)
    return card["profile"], card["seconds"]


def ci_run(path: Path) -> float:
    """Seconds to execute a chapter under the ci profile (a kernel of this environment)."""
    os.environ["HCLIB_PROFILE"] = "ci"
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def main() -> None:
    print("| chapter | committed run | ci profile (executed now) |\n|---|---|---|")
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        profile, seconds = committed_run(path)
        print(f"| {path.name} | {profile}: {seconds:.0f} s | {ci_run(path):.0f} s |", flush=True)
    start = time.perf_counter()
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    subprocess.run([str(jupyter_book), "build", str(ROOT), "--all", "--builder", "html", "--quiet"], check=True,
                   capture_output=True)
    print(f"\nsite build from committed outputs (`jupyter-book build --all`): {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
