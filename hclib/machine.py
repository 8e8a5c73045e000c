"""The machine a run happens on: device choice, its name, and memory peaks."""
from __future__ import annotations

import os
import platform
import resource
import sys
import threading

import torch

from hclib.validate import check_number


def resolve_device(device: str = "auto") -> torch.device:
    """Turn ``'auto'``, ``'cpu'``, ``'cuda'`` or ``'cuda:N'`` into a ``torch.device``.

    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if not isinstance(device, str):
        raise ValueError(f"device must be a string such as 'auto', 'cpu' or 'cuda', got {device!r}")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu":
        return torch.device("cpu")
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} but CUDA is not available here; use device='auto' or 'cpu'")
        return torch.device(device)
    raise ValueError(f"unknown device {device!r}; use 'auto', 'cpu', 'cuda' or 'cuda:N'")


def cpu_model() -> str:
    """The CPU's model name, as the operating system reports it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_description(device: torch.device | str = "auto") -> str:
    """A short human description: GPU name and memory, or CPU model and cores."""
    device = device if isinstance(device, torch.device) else resolve_device(device)
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        n = torch.cuda.device_count()
        return f"{n} x {props.name} ({props.total_memory / 2**30:.0f} GiB)"
    return f"CPU: {cpu_model()}, {os.cpu_count()} cores"


def peak_host_memory_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def peak_device_memory_mb() -> float | None:
    """Peak memory allocated by torch on the current GPU, in MiB; ``None`` without CUDA."""
    if not torch.cuda.is_available():
        return None
    return torch.cuda.max_memory_allocated() / 2**20


class HostMemoryPeak:
    """Peak resident memory of this process while a block runs, sampled every 20 ms, in MiB.

    Unlike :func:`peak_host_memory_mb`, which is the peak of the whole process so far, this
    measures one run among several in the same notebook.

    >>> with HostMemoryPeak() as memory:
    ...     block = bytearray(50 * 2**20)
    >>> memory.peak_mb > 0
    True
    """

    def __init__(self, interval: float = 0.02):
        import psutil

        self._process = psutil.Process()
        self._interval = check_number("interval", interval, minimum=0, low_open=True)
        self._stop = threading.Event()
        self.peak_mb = 0.0

    def _sample(self) -> None:
        while True:
            self.peak_mb = max(self.peak_mb, self._process.memory_info().rss / 2**20)
            if self._stop.wait(self._interval):
                return

    def start(self) -> "HostMemoryPeak":
        """Start sampling (``with`` does this for you)."""
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> float:
        """Stop sampling and return the peak in MiB."""
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self._process.memory_info().rss / 2**20)
        return self.peak_mb

    def __enter__(self) -> "HostMemoryPeak":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
