"""hclib.drift: PSI, and a monitor whose false-alarm rate stays near alpha and that fires on a shift."""
import numpy as np
import pytest

from hclib.drift import DriftMonitor, psi


def test_psi_is_zero_for_the_same_sample_and_large_for_a_shift():
    rng = np.random.default_rng(0)
    x = rng.normal(size=2000)
    assert psi(x, x) == pytest.approx(0.0, abs=1e-9)
    assert psi(x, x + 1.0) > 0.25
    assert np.isfinite(psi(x, np.full(50, 100.0)))  # an empty bin does not make it infinite


def test_false_alarms_near_alpha_and_detection_of_a_shift():
    rng = np.random.default_rng(1)
    alarms, detections = 0, 0
    for _ in range(200):
        monitor = DriftMonitor(rng.uniform(size=200), rng.normal(size=(200, 6)), components=3, alpha=0.05)
        alarms += monitor.check(rng.uniform(size=80), rng.normal(size=(80, 6)))["alarm"]
        shifted = rng.normal(size=(80, 6)) + 1.0
        detections += monitor.check(rng.uniform(size=80), shifted)["alarm"]
    assert alarms / 200 <= 0.1          # Bonferroni keeps it at or under alpha, give or take sampling
    assert detections / 200 > 0.9


@pytest.mark.parametrize("call,error,match", [
    (lambda: psi([1.0], [1.0]), ValueError, "reference must have at least 2 rows"),
    (lambda: psi([1.0, 2.0], [1.0], bins=1), ValueError, "bins must be an integer >= 2"),
    (lambda: DriftMonitor(np.zeros(20), np.zeros((19, 4))), ValueError, "20 probabilities but 19 embeddings"),
    (lambda: DriftMonitor(np.zeros(20), np.zeros((20, 4))), ValueError, "components must be an integer from 1 to 4"),
    (lambda: DriftMonitor(np.zeros(20), np.zeros((20, 4)), components=2, alpha=0), ValueError,
     r"alpha \(the false-alarm"),
    (lambda: DriftMonitor(np.zeros(20), np.zeros((20, 4)), components=2).check(np.zeros(5), np.zeros((5, 3))),
     ValueError,
     "embed the window with the same encoder"),
])
def test_bad_arguments_name_the_fix(call, error, match):
    with pytest.raises(error, match=match):
        call()
