import pytest

from hclib.record import RunRecord, measure


def test_measure_keeps_the_fastest_run_and_its_memory():
    calls = []
    result, record = measure(lambda: calls.append(1) or len(calls), samples=10, repeats=3)
    assert result == 3 and len(calls) == 3
    assert isinstance(record, RunRecord) and record.device_type == "cpu" and record.samples == 10
    assert record.wall_seconds > 0 and record.peak_host_mb > 0 and record.cost > 0


def test_measure_can_time_without_sampling_memory():
    import threading

    before = threading.active_count()
    seen = []
    _, record = measure(lambda: seen.append(threading.active_count()), samples=1, repeats=2, memory=False)
    assert seen == [before, before], "no sampler thread runs beside the timed call"
    assert record.peak_host_mb is None and record.wall_seconds > 0
    with pytest.raises(TypeError, match="memory"):
        measure(lambda: None, samples=1, memory="no")


def test_measure_stops_its_sampler_when_the_call_fails():
    import threading

    before = threading.active_count()
    with pytest.raises(ZeroDivisionError):
        measure(lambda: 1 / 0, samples=1)
    assert threading.active_count() == before


@pytest.mark.parametrize("repeats,error", [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError)])
def test_measure_rejects_bad_repeats(repeats, error):
    with pytest.raises(error, match="repeats must be an integer"):
        measure(lambda: None, samples=1, repeats=repeats)


@pytest.mark.parametrize("field,value,match", [
    ("price_per_hour", -1.0, "price_per_hour must be a finite number >= 0"),
    ("wall_seconds", float("inf"), "wall_seconds must be a finite number >= 0"),
    ("samples", -5, "samples must be an integer >= 0"),
])
def test_record_refuses_impossible_numbers(field, value, match):
    fields = dict(device="CPU", device_type="cpu", wall_seconds=1.0, samples=1)
    with pytest.raises(ValueError, match=match):
        RunRecord(**{**fields, field: value})


def test_record_files(tmp_path):
    record = RunRecord(device="CPU", device_type="cpu", wall_seconds=3.0, samples=7)
    path = record.save(tmp_path / "r.json")
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert RunRecord.load(bom) == record
    with pytest.raises(FileNotFoundError, match="path: no file"):
        RunRecord.load(tmp_path / "missing.json")
    path.write_text('{"device": "CPU"}')
    with pytest.raises(ValueError, match="not a run record"):
        RunRecord.load(path)
