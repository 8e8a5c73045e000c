"""Run records: what a training run cost, as plain data saved to JSON.

The cost-model chapter reads these. Prices are stated assumptions, not
measurements: change them with ``price_per_hour`` to match your provider.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, TypeVar

from hclib.machine import HostMemoryPeak, device_description
from hclib.validate import atomic_write_text, check_int, check_number, check_path, check_str, read_json

T = TypeVar("T")

# US dollars per device-hour (on-demand cloud prices, late 2026, rounded):
# a 2-vCPU general-purpose VM, and one H100-class GPU with its host share.
PRICE_PER_HOUR = {"cpu": 0.10, "cuda": 3.00}


@dataclass
class RunRecord:
    """Time, memory, size and money of one training run.

    >>> r = RunRecord(device="CPU", device_type="cpu", wall_seconds=36.0, samples=100)
    >>> round(r.cost, 4), r.samples_per_second
    (0.001, 2.78)
    """

    device: str
    device_type: str
    wall_seconds: float
    samples: int
    train_seconds: float | None = None
    num_processes: int = 1
    precision: str = "fp32"
    steps: int = 0
    tokens: int | None = None
    peak_host_mb: float | None = None
    peak_device_mb: float | None = None
    total_params: int = 0
    trainable_params: int = 0
    price_per_hour: float | None = None
    history: list[dict] = field(default_factory=list)
    best: dict | None = None

    def __post_init__(self) -> None:
        self.device, self.device_type = check_str("device", self.device), check_str("device_type", self.device_type)
        self.wall_seconds = check_number("wall_seconds", self.wall_seconds, minimum=0)
        self.train_seconds = check_number("train_seconds", self.train_seconds, minimum=0, optional=True)
        self.samples = check_int("samples", self.samples, minimum=0)
        self.num_processes = check_int("num_processes", self.num_processes, minimum=1)
        self.price_per_hour = check_number("price_per_hour", self.price_per_hour, minimum=0, optional=True)
        if self.price_per_hour is None:
            self.price_per_hour = PRICE_PER_HOUR.get(self.device_type, PRICE_PER_HOUR["cpu"])
        if self.train_seconds is None:
            self.train_seconds = self.wall_seconds

    @property
    def device_hours(self) -> float:
        """Device-hours used: wall time times the number of devices."""
        return self.wall_seconds * self.num_processes / 3600

    @property
    def cost(self) -> float:
        """Money spent, in US dollars, at ``price_per_hour`` a device."""
        return self.device_hours * self.price_per_hour

    @property
    def samples_per_second(self) -> float:
        """Training samples a second (training time only, evaluation excluded)."""
        return round(self.samples / self.train_seconds, 2) if self.train_seconds else 0.0

    @property
    def tokens_per_second(self) -> float | None:
        """Non-padding tokens a second, for text; ``None`` otherwise."""
        if self.tokens is None or not self.train_seconds:
            return None
        return round(self.tokens / self.train_seconds, 1)

    def summary(self) -> dict:
        """The headline numbers, one flat dict (for tables)."""
        return {"device": self.device, "seconds": round(self.wall_seconds, 1),
                "samples/s": self.samples_per_second, "peak host MiB": self.peak_host_mb,
                "peak GPU MiB": self.peak_device_mb, "trainable params": self.trainable_params,
                "cost USD": round(self.cost, 4)}

    def save(self, path: str | Path) -> Path:
        """Write the record as JSON."""
        path = check_path("path", path)
        atomic_write_text(path, json.dumps(asdict(self), indent=1))
        return path

    @classmethod
    def load(cls, path: str | Path) -> "RunRecord":
        """Read a record written by :meth:`save`."""
        path = check_path("path", path, must_exist=True)
        data = read_json(path, "a run record", "pass a file written by RunRecord.save")
        try:
            return cls(**data)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{path} is not a run record saved by RunRecord.save ({e})") from e


def measure(fn: Callable[[], T], samples: int, repeats: int = 1, memory: bool = True) -> tuple[T, RunRecord]:
    """Run ``fn()`` ``repeats`` times on the CPU; return its last result and a record of the fastest run.

    For work outside the trainer (fitting a scikit-learn model, embedding texts): the record holds the
    wall time, the peak host memory while ``fn`` ran, and the cost at the CPU price. ``memory=False`` times
    ``fn`` with nothing else running (no memory-sampling thread; ``peak_host_mb`` is then ``None``), for
    timing studies where even a small sampler's share of the CPU would bias the curve.

    >>> result, record = measure(lambda: sum(range(1000)), samples=1000)
    >>> result, record.samples, record.wall_seconds > 0
    (499500, 1000, True)
    """
    if not callable(fn):
        raise TypeError(f"fn must be a function taking no arguments, e.g. lambda: model.fit(X, y); got {fn!r}")
    samples = check_int("samples", samples, minimum=0)
    repeats = check_int("repeats", repeats, minimum=1, maximum=1000)
    if not isinstance(memory, bool):
        raise TypeError(f"memory must be True (sample peak memory) or False (time only), got {memory!r}")
    best, peak = float("inf"), 0.0
    for _ in range(repeats):
        sampler = HostMemoryPeak().start() if memory else None
        try:
            start = time.perf_counter()
            result = fn()
            best = min(best, time.perf_counter() - start)
        finally:
            if sampler is not None:
                peak = max(peak, sampler.stop())
    return result, RunRecord(device=device_description("cpu"), device_type="cpu", wall_seconds=best,
                             samples=samples, peak_host_mb=round(peak) if memory else None)
