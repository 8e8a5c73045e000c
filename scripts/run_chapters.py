"""Re-execute chapter notebooks under a profile and save them with their outputs.

    python scripts/run_chapters.py --profile cpu chapters/01_cnn.ipynb
    make run PROFILE=cpu                    # every chapter

The committed notebooks carry the outputs of a cpu or gpu run; the site is built from them.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--profile", choices=("ci", "cpu", "gpu"), default="cpu")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds a cell may take")
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
        nbformat.write(nb, path)
        print(f"{path}: done in {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
