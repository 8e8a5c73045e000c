"""Profiles: one notebook, three sizes.

Every chapter runs at the size its reader can afford, chosen by the
environment variable ``HCLIB_PROFILE``:

- ``ci``: under a minute a notebook on a CPU; what the tests run.
- ``cpu``: a laptop, minutes, results worth reading.
- ``gpu``: the full data.

Without the variable the profile is ``gpu`` when CUDA is available, else ``cpu``.
"""
from __future__ import annotations

import html
import os
from typing import Any

import torch

PROFILES = ("ci", "cpu", "gpu")


def active_profile() -> str:
    """Return the active profile name.

    >>> os.environ["HCLIB_PROFILE"] = "ci"; active_profile()
    'ci'
    """
    name = os.environ.get("HCLIB_PROFILE", "").strip().lower()
    if not name:
        return "gpu" if torch.cuda.is_available() else "cpu"
    if name not in PROFILES:
        raise ValueError(
            f"HCLIB_PROFILE={name!r} is not a profile; use one of {', '.join(PROFILES)} "
            "(or unset it to choose gpu or cpu from the hardware)."
        )
    return name


def _show(value: Any) -> str:
    """A size as a reader wants it: ``dim=128, layers=4`` for a dict, ``300, 1200`` for a tuple, ``all`` for None."""
    if value is None:
        return "all"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_show(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_show(v) for v in value)
    return str(value)


class Sizes(dict):
    """The active profile's sizes, with attribute access and a table of all three.

    Build it with :func:`sizes`; ``S.epochs`` and ``S["epochs"]`` are the same.
    """

    def __init__(self, profile: str, table: dict[str, dict[str, Any]]):
        super().__init__(table[profile])
        self.profile = profile
        self.table = table

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"no size named {key!r}; the sizes are {', '.join(self)}") from None

    def _rows(self) -> list[list[str]]:
        return [[key] + [_show(self.table[p][key]) for p in PROFILES] for key in self]

    def __repr__(self) -> str:
        rows = [["size", *PROFILES]] + self._rows()
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
        return f"Sizes (active profile: {self.profile})\n" + "\n".join(lines)

    def _repr_html_(self) -> str:
        def cell(text: str, tag: str, active: bool) -> str:
            style = ' style="font-weight:bold;background:#eef5ff"' if active else ""
            return f"<{tag}{style}>{html.escape(text)}</{tag}>"

        head = "".join(cell(p + (" (active)" if p == self.profile else ""), "th", p == self.profile)
                       for p in PROFILES)
        body = "".join(
            "<tr><td>" + html.escape(r[0]) + "</td>"
            + "".join(cell(v, "td", p == self.profile) for v, p in zip(r[1:], PROFILES)) + "</tr>"
            for r in self._rows()
        )
        return f"<table><tr><th>size</th>{head}</tr>{body}</table>"


def sizes(*, ci: dict[str, Any], cpu: dict[str, Any], gpu: dict[str, Any]) -> Sizes:
    """Declare a notebook's sizes for every profile and get the active ones.

    >>> S = sizes(ci=dict(epochs=1), cpu=dict(epochs=3), gpu=dict(epochs=10))
    >>> S.epochs in (1, 3, 10)
    True
    """
    for name, values in (("ci", ci), ("cpu", cpu), ("gpu", gpu)):
        if not isinstance(values, dict):
            raise TypeError(f"{name} must be a dict of sizes, e.g. {name}=dict(epochs=1); got {values!r}")
    table = {"ci": dict(ci), "cpu": dict(cpu), "gpu": dict(gpu)}
    keys = list(table["ci"])
    if not keys:
        raise ValueError("sizes() needs at least one size, e.g. sizes(ci=dict(epochs=1), cpu=..., gpu=...)")
    for name, values in table.items():
        if set(values) != set(keys):
            missing = sorted(set(keys) - set(values))
            extra = sorted(set(values) - set(keys))
            raise ValueError(
                f"profile {name!r} must name the same sizes as 'ci' ({', '.join(keys)}); "
                f"missing {missing}, extra {extra}"
            )
    return Sizes(active_profile(), table)
