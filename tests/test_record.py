import pytest

from hclib.record import RunRecord, measure


def test_measure_keeps_the_fastest_run_and_its_memory():
    calls = []
    result, record = measure(lambda: calls.append(1) or len(calls), samples=10, repeats=3)
    assert result == 3 and len(calls) == 3
    assert isinstance(record, RunRecord) and record.device_type == "cpu" and record.samples == 10
    assert record.wall_seconds > 0 and record.peak_host_mb > 0 and record.cost > 0


@pytest.mark.parametrize("repeats", [0, -1, 1.5, True])
def test_measure_rejects_bad_repeats(repeats):
    with pytest.raises(ValueError, match="repeats must be a positive integer"):
        measure(lambda: None, samples=1, repeats=repeats)
