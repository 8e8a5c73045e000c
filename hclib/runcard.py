"""The run card: the first output of every notebook, and its closing line.

It says what ran where (profile, device, versions, seed, threads, start time)
and, at the end, how long it took and how much memory it used, so a reader can
tell which figures came from which machine.
"""
from __future__ import annotations

import platform
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import torch

from hclib import __version__
from hclib.machine import device_description, peak_device_memory_mb, peak_host_memory_mb, resolve_device
from hclib.profiles import active_profile
from hclib.seed import seed_everything


@dataclass
class RunCard:
    """What a notebook ran on. Create it with :func:`run_card`; end with :meth:`finish`."""

    profile: str
    device: str
    seed: int
    versions: dict[str, str]
    threads: int
    started: str
    _t0: float = field(default_factory=time.perf_counter, repr=False)

    def __str__(self) -> str:
        versions = ", ".join(f"{k} {v}" for k, v in self.versions.items())
        return (
            f"Run card\n"
            f"  profile  {self.profile}\n"
            f"  device   {self.device}\n"
            f"  versions {versions}\n"
            f"  seed     {self.seed}   threads {self.threads}\n"
            f"  started  {self.started}"
        )

    def elapsed(self) -> float:
        """Seconds since the card was made."""
        return time.perf_counter() - self._t0

    def finish(self) -> dict[str, float | None]:
        """Print and return wall time and peak memory (host RSS, and GPU when there is one)."""
        summary = {
            "wall_seconds": round(self.elapsed(), 1),
            "peak_host_mb": round(peak_host_memory_mb()),
            "peak_device_mb": None if (m := peak_device_memory_mb()) is None else round(m),
        }
        gpu = "" if summary["peak_device_mb"] is None else f", GPU {summary['peak_device_mb']} MiB"
        print(f"Finished in {summary['wall_seconds']} s (profile {self.profile}); "
              f"peak memory: host {summary['peak_host_mb']} MiB{gpu}")
        return summary


def _versions() -> dict[str, str]:
    import transformers

    return {"python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__, "hclib": __version__}


def run_card(seed: int = 0, show: bool = True) -> RunCard:
    """Seed everything, then print the run card and return it.

    >>> card = run_card(seed=0, show=False)
    >>> card.seed
    0
    """
    seed_everything(seed)
    if not isinstance(show, bool):
        raise TypeError(f"show must be True or False, got {show!r}")
    card = RunCard(
        profile=active_profile(),
        device=device_description(resolve_device("auto")),
        seed=seed,
        versions=_versions(),
        threads=torch.get_num_threads(),
        started=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )
    if show:
        print(card)
    return card


def read_run_card(cells: list) -> dict[str, str | float] | None:
    """Profile, device and wall seconds from an executed notebook's cells (its run card's two lines).

    ``cells`` are notebook cells as dicts (``json.load`` or ``nbformat``); ``None`` when the notebook
    has no run card and closing line.

    >>> read_run_card([{"cell_type": "code", "outputs": [
    ...     {"output_type": "stream", "text": "Run card\\n  profile  cpu\\n  device   CPU\\n"},
    ...     {"output_type": "stream", "text": "Finished in 51.3 s (profile cpu)"}]}])
    {'profile': 'cpu', 'device': 'CPU', 'seconds': 51.3}
    """
    texts = ["".join(o.get("text", "")) for c in cells if c["cell_type"] == "code"
             for o in c.get("outputs", []) if o.get("output_type") == "stream"]
    profile = re.search(r"profile\s+(\w+)", texts[0]) if texts else None
    device = re.search(r"device\s+(.+)", texts[0]) if texts else None
    finished = re.search(r"Finished in ([\d.]+) s", texts[-1]) if texts else None
    if profile is None or finished is None:
        return None
    return {"profile": profile.group(1), "device": device.group(1).strip() if device else "",
            "seconds": float(finished.group(1))}
