import pytest
import torch
from torch.utils.data import TensorDataset

from hclib.lrfinder import lr_range_test


def test_range_test_finds_the_turn_and_restores_the_model():
    torch.manual_seed(0)
    x = torch.randn(512, 8)
    data = TensorDataset(x, (x[:, 0] > 0).long())
    model = torch.nn.Linear(8, 2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    curve = lr_range_test(model, data, steps=80, lr_min=1e-5, lr_max=100.0)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    best_lr = curve.loc[curve.smoothed.idxmin(), "lr"]
    assert 1e-3 < best_lr < 100.0 and curve.smoothed.iloc[-1] > curve.smoothed.min()


def test_exploding_loss_ends_the_curve_without_nan():
    data = TensorDataset(torch.randn(64, 2) * 1e3, torch.zeros(64, dtype=torch.long))
    curve = lr_range_test(torch.nn.Linear(2, 2), data, steps=30, lr_min=1e-2, lr_max=1e4, batch_size=8)
    assert curve[["lr", "loss", "smoothed"]].notna().all().all() and len(curve) <= 30
    with pytest.raises(TypeError, match="data must be a torch Dataset"):
        lr_range_test(torch.nn.Linear(2, 2), [1, 2, 3])


@pytest.mark.parametrize("kwargs, message", [
    (dict(lr_min=1.0, lr_max=0.1), "lr_min < lr_max"),
    (dict(steps=1), "steps must be an integer from 2 to 10000"),
    (dict(lr_max=float("inf")), "lr_max must be a finite number"),
])
def test_bad_input(kwargs, message):
    data = TensorDataset(torch.randn(8, 2), torch.zeros(8, dtype=torch.long))
    with pytest.raises(ValueError, match=message):
        lr_range_test(torch.nn.Linear(2, 2), data, **kwargs)
