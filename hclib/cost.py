"""What a project costs: human and machine work kept apart, each with units, then priced.

A project is a sequence of stages (collecting and labelling data, training, deployment,
maintenance). Each stage has an amount of **work** (items: records, labels, samples), a
**rate** at which one worker does it (items per person-hour, or per device-second), a
number of **workers** in parallel, and a **price** per worker-hour. Then

- effort = work / rate (person-hours or device-hours; never added together);
- calendar time = work / (workers x rate), slowed by the part that cannot be split
  (Amdahl) and by the time people spend coordinating (Brooks);
- money = workers x calendar time x price: everyone is paid while the stage lasts.

Units are checked with pint: a person-hour plus a device-hour is an error, not a number.

>>> labelling = Stage("labelling", work=1000 * ureg.item, rate=12.5 * ureg("item / person / hour"),
...                   workers=10, price=40 * ureg("USD / person / hour"))
>>> labelling.effort, labelling.calendar_time, labelling.money
(<Quantity(80.0, 'person * hour')>, <Quantity(8.0, 'hour')>, <Quantity(3200.0, 'USD')>)
"""
from __future__ import annotations

from dataclasses import dataclass

import math

import pandas as pd
import pint

from hclib.validate import check_int, check_list, check_number, check_str

ureg = pint.UnitRegistry()
ureg.define("person = [human]")  # one human worker
ureg.define("device = [machine]")  # one CPU server or GPU
ureg.define("item = [work]")  # one unit of work: a record, a label, a training sample
ureg.define("USD = [currency]")
Quantity = ureg.Quantity
WORKER = {"human": ureg.person, "machine": ureg.device}
# A stated assumption, not a measurement: the US median hourly wage of data scientists, May 2023
# (US Bureau of Labor Statistics, Occupational Employment and Wage Statistics, 2024), rounded.
DATA_SCIENTIST_USD_PER_HOUR = 52.0
# A stated assumption, not a measurement: what a trained annotator is paid an hour in this book's examples.
# Labelling is an annotator's work, not a data scientist's; crowd-work rates are often far lower.
ANNOTATOR_USD_PER_HOUR = 18.0
# A stated assumption, not a measurement: seconds an annotator spends reading one short product review and
# choosing its class (the human-in-the-loop chapter's labelling tool measures this for a real person).
REVIEW_LABEL_SECONDS = 10.0
# A stated assumption, not a measurement: seconds an annotator spends reading one news sentence of about 45
# Chinese characters and marking its people, places and organisations (span and type); annotation times vary
# widely between sentences and annotators (Tomanek and Hahn, 2010, timed them on MUC-7).
NER_SENTENCE_LABEL_SECONDS = 30.0


def _check(name: str, value, dimension: str, example: str) -> None:
    if not isinstance(value, Quantity) or not value.check(dimension):
        raise ValueError(f"{name} must be a quantity of {dimension}, e.g. {example}; got {value!r}")
    if not math.isfinite(value.magnitude) or value.magnitude < 0:
        raise ValueError(f"{name} must be a finite quantity >= 0, got {value}")


@dataclass(frozen=True)
class Stage:
    """One stage of a project, done by people or by machines (see the module docstring)."""

    name: str
    work: Quantity
    rate: Quantity
    workers: int = 1
    price: Quantity | None = None
    serial_fraction: float = 0.0  # Amdahl: share of the work that one worker must do alone
    coordination: float = 0.0  # Brooks: share of a person's time lost per other team member

    def __post_init__(self) -> None:
        check_str("name", self.name)
        _check("work", self.work, "[work]", "1000 * ureg.item")
        if not (isinstance(self.rate, Quantity) and (self.rate.check("[work] / [human] / [time]")
                                                     or self.rate.check("[work] / [machine] / [time]"))):
            raise ValueError(f"stage {self.name!r}: rate must be work per worker per time, e.g. "
                             f"ureg('12.5 item / person / hour') or ureg('2000 item / device / second'); "
                             f"got {self.rate!r}")
        if not math.isfinite(self.rate.magnitude) or self.rate.magnitude <= 0:
            raise ValueError(f"stage {self.name!r}: rate must be a finite positive quantity, got {self.rate}")
        kind = self.kind
        object.__setattr__(self, "workers", check_int(f"stage {self.name!r}: workers", self.workers, minimum=1))
        for name in ("serial_fraction", "coordination"):
            object.__setattr__(self, name, check_number(f"stage {self.name!r}: {name}", getattr(self, name)))
        unit = "person" if kind == "human" else "device"
        if self.price is None:  # free (e.g. your own laptop); frozen, so set it the dataclass way
            object.__setattr__(self, "price", 0 * ureg(f"USD / {unit} / hour"))
        _check("price", self.price, f"[currency] / [{kind}] / [time]", f"ureg('40 USD / {unit} / hour')")
        if not 0 <= self.serial_fraction <= 1:
            raise ValueError(f"stage {self.name!r}: serial_fraction is a share in [0, 1], got {self.serial_fraction}")
        if not 0 <= self.coordination < 1:
            raise ValueError(f"stage {self.name!r}: coordination is a share in [0, 1), got {self.coordination}")
        if kind == "machine" and self.coordination:
            raise ValueError(f"stage {self.name!r}: coordination (Brooks) applies to people, not devices")
        if self.coordination * (self.workers - 1) >= 1:
            raise ValueError(f"stage {self.name!r}: with {self.workers} people and coordination "
                             f"{self.coordination}, coordinating takes all their time; use fewer people")

    @property
    def kind(self) -> str:
        """``'human'`` or ``'machine'``, read off the rate's units."""
        return "human" if self.rate.check("[work] / [human] / [time]") else "machine"

    @property
    def effort(self) -> Quantity:
        """Work divided by rate: person-hours or device-hours, as if nothing were lost."""
        return (self.work / self.rate).to(f"{WORKER[self.kind]} * hour")

    @property
    def speedup(self) -> float:
        """How much faster ``workers`` finish than one: Amdahl's law with Brooks's coordination loss."""
        n = self.workers
        useful = 1 - self.coordination * (n - 1)
        return 1 / (self.serial_fraction + (1 - self.serial_fraction) / (n * useful))

    @property
    def calendar_time(self) -> Quantity:
        """Hours from the stage's start to its end."""
        one_worker = (self.work / (self.rate * WORKER[self.kind])).to("hour")
        return one_worker / self.speedup

    @property
    def paid_effort(self) -> Quantity:
        """Worker-hours paid for: every worker, for the whole calendar time."""
        return (self.workers * WORKER[self.kind] * self.calendar_time).to(f"{WORKER[self.kind]} * hour")

    @property
    def money(self) -> Quantity:
        """Paid effort times price, in US dollars."""
        return (self.paid_effort * self.price).to("USD")

    @classmethod
    def from_record(cls, name: str, record, work: Quantity | None = None) -> "Stage":
        """A machine stage whose rate and price come from a measured :class:`~hclib.record.RunRecord`.

        ``work`` defaults to the samples the run processed.
        """
        if not hasattr(record, "train_seconds") or not hasattr(record, "samples"):
            raise TypeError(f"record must be a RunRecord (from Trainer.fit or hclib.record.measure), got {record!r}")
        if record.train_seconds is None or record.train_seconds <= 0 or record.samples <= 0:
            raise ValueError("the run record has no training time or samples; pass a record from Trainer.fit")
        rate = record.samples / record.train_seconds / record.num_processes * ureg("item / device / second")
        return cls(name, work if work is not None else record.samples * ureg.item, rate,
                   workers=record.num_processes, price=record.price_per_hour * ureg("USD / device / hour"))


def project_table(stages: list[Stage]) -> pd.DataFrame:
    """One row a stage (effort, calendar time, money) and a total row; stages run one after another.

    Person-hours and device-hours stay in separate columns: they are different units.
    """
    stages = check_list("stages", stages, min_length=1)
    bad = next((s for s in stages if not isinstance(s, Stage)), None)
    if bad is not None:
        raise TypeError(f"stages must hold Stage objects, got {bad!r}")
    rows = []
    for s in stages:
        rows.append({"stage": s.name, "kind": s.kind, "workers": s.workers,
                     "person-hours": s.paid_effort.m_as("person * hour") if s.kind == "human" else 0.0,
                     "device-hours": s.paid_effort.m_as("device * hour") if s.kind == "machine" else 0.0,
                     "calendar hours": s.calendar_time.m_as("hour"), "USD": s.money.m_as("USD")})
    table = pd.DataFrame(rows)
    total = table[["person-hours", "device-hours", "calendar hours", "USD"]].sum()
    table.loc[len(table)] = {"stage": "total", "kind": "", "workers": None, **total.to_dict()}
    return table
