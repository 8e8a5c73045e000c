"""Re-execute chapter notebooks under a profile and save them with their outputs.

    python scripts/run_chapters.py --profile cpu chapters/01_cnn.ipynb
    make run PROFILE=cpu                    # every chapter

The committed notebooks carry the outputs of a cpu or gpu run; the site is built from them.
Every run also records its wall time (the run card's closing line) in chapters/run_times.json,
which the site shows per chapter and profile; `--times-only` runs without saving the outputs
(how the ci times are taken: python scripts/run_chapters.py --profile ci --times-only chapters/*.ipynb).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

TIMES = Path(__file__).resolve().parents[1] / "chapters" / "run_times.json"


def record_time(path: Path, nb: nbformat.NotebookNode, profile: str) -> None:
    """Store the run card's wall time of this run in chapters/run_times.json."""
    streams = ["".join(o.get("text", "")) for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if o.get("output_type") == "stream"]
    finished = re.search(r"Finished in ([\d.]+) s", streams[-1]) if streams else None
    if finished is None:
        raise SystemExit(f"{path}: no run card closing line ('Finished in ... s') in the last output")
    device = re.search(r"device\s+(.+)", streams[0])
    times = json.loads(TIMES.read_text()) if TIMES.is_file() else {}
    times.setdefault(path.stem, {})[profile] = {
        "seconds": float(finished.group(1)), "date": time.strftime("%Y-%m-%d"),
        "machine": device.group(1).strip() if device else platform.machine()}
    TIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")


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
        client = NotebookClient(nb, timeout=args.timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        client.execute()
        record_time(path, nb, args.profile)
        if not args.times_only:
            nbformat.write(nb, path)
        print(f"{path}: done in {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
