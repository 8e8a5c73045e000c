import numpy as np
import pint
import pytest

from hclib.cost import Stage, project_table, ureg
from hclib.record import RunRecord


def human(**kw):
    args = dict(work=1000 * ureg.item, rate=ureg("12.5 item / person / hour"), workers=10,
                price=ureg("40 USD / person / hour"))
    return Stage("labelling", **{**args, **kw})


def test_effort_time_money():
    s = human()
    assert s.kind == "human"
    assert s.effort.m_as("person * hour") == pytest.approx(80)
    assert s.calendar_time.m_as("hour") == pytest.approx(8)
    assert s.money.m_as("USD") == pytest.approx(3200)


def test_amdahl_and_brooks_slow_a_team_down():
    assert human(serial_fraction=0.5).calendar_time.m_as("hour") == pytest.approx(80 * (0.5 + 0.5 / 10))
    slowed = human(coordination=0.05)
    assert slowed.speedup == pytest.approx(10 * (1 - 0.05 * 9))
    assert slowed.paid_effort > slowed.effort and slowed.money > human().money
    assert human(workers=1, serial_fraction=0.7).calendar_time.m_as("hour") == pytest.approx(80)


def test_person_hours_and_device_hours_do_not_add():
    train = Stage("training", 1e6 * ureg.item, ureg("2000 item / device / second"), price=ureg("3 USD/device/hour"))
    assert train.kind == "machine" and train.effort.check("[machine] * [time]")
    with pytest.raises(pint.DimensionalityError):
        human().effort + train.effort


def test_table_keeps_units_apart():
    train = Stage("training", 14.4e6 * ureg.item, ureg("2000 item / device / second"), workers=2,
                  price=ureg("3 USD / device / hour"))
    table = project_table([human(), train])
    total = table.iloc[-1]
    assert total["person-hours"] == pytest.approx(80) and total["device-hours"] == pytest.approx(2)
    assert total["calendar hours"] == pytest.approx(9) and total["USD"] == pytest.approx(3206)


def test_stage_from_run_record():
    record = RunRecord(device="CPU", device_type="cpu", wall_seconds=10, train_seconds=8, samples=16000)
    stage = Stage.from_record("training", record)
    assert stage.rate.m_as("item / device / second") == pytest.approx(2000)
    assert stage.price.m_as("USD / device / hour") == pytest.approx(0.10)


@pytest.mark.parametrize("kw,match", [
    (dict(work=1000), "work must be a quantity of \\[work\\]"),
    (dict(work=-5 * ureg.item), "work must be a finite quantity >= 0"),
    (dict(work=float("nan") * ureg.item), "work must be a finite quantity >= 0"),
    (dict(rate=ureg("12.5 item / hour")), "rate must be work per worker per time"),
    (dict(rate=ureg("0 item / person / hour")), "rate must be a finite positive quantity"),
    (dict(rate=ureg("12.5 person / hour")), "rate must be work per worker per time"),
    (dict(workers=0), "workers must be an integer >= 1"),
    (dict(price=ureg("40 USD / device / hour")), "price must be a quantity of \\[currency\\] / \\[human\\]"),
    (dict(price=ureg("-1 USD / person / hour")), "price must be a finite quantity >= 0"),
    (dict(serial_fraction=1.5), "serial_fraction is a share"),
    (dict(coordination=0.2, workers=10), "coordinating takes all their time"),
])
def test_bad_stage(kw, match):
    with pytest.raises(ValueError, match=match):
        human(**kw)


def test_stage_types():
    with pytest.raises(TypeError, match="workers must be an integer"):
        human(workers=2.5)
    assert human(workers=np.int64(2)).workers == 2


def test_bad_project_and_record():
    with pytest.raises(ValueError, match="stages must hold at least 1 item"):
        project_table([])
    with pytest.raises(TypeError, match="stages must hold Stage objects"):
        project_table(["labelling"])
    with pytest.raises(ValueError, match="coordination \\(Brooks\\) applies to people"):
        Stage("gpu", 10 * ureg.item, ureg("1 item/device/second"), workers=2, coordination=0.1)
    empty = RunRecord(device="CPU", device_type="cpu", wall_seconds=0, samples=0)
    with pytest.raises(ValueError, match="no training time or samples"):
        Stage.from_record("training", empty)
