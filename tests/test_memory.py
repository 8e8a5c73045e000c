import pytest
import torch

from hclib.memory import training_memory


def mlp():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(100, 200), torch.nn.ReLU(), torch.nn.Linear(200, 2))


def batch(n):
    return torch.randn(n, 100), torch.randint(0, 2, (n,))


def test_weights_gradients_and_adam_state_are_counted_from_the_parameters():
    mem = training_memory(mlp(), batch(8))
    params = 100 * 200 + 200 + 200 * 2 + 2
    assert mem["weights_mb"] == pytest.approx(params * 4 / 2**20)
    assert mem["gradients_mb"] == mem["weights_mb"] and mem["optimizer_mb"] == 2 * mem["weights_mb"]
    assert training_memory(mlp(), batch(8), optimizer="sgd")["optimizer_mb"] == 0


def test_activations_are_measured_and_grow_with_the_batch():
    small, large = training_memory(mlp(), batch(8)), training_memory(mlp(), batch(64))
    # saved for backward: the input and the ReLU output (shared by ReLU and the second layer), float32
    assert 0 < small["activations_mb"] < large["activations_mb"]
    assert large["activations_mb"] == pytest.approx(64 * (100 + 200) * 4 / 2**20, rel=0.05)


def test_frozen_parameters_have_no_gradient_or_state_and_gradients_are_cleared():
    model = mlp()
    model[0].requires_grad_(False)
    mem = training_memory(model, batch(8))
    assert mem["gradients_mb"] == pytest.approx((200 * 2 + 2) * 4 / 2**20)
    assert all(p.grad is None for p in model.parameters())
    with pytest.raises(ValueError, match="optimizer"):
        training_memory(model, batch(8), optimizer="lamb")
    model.requires_grad_(False)
    with pytest.raises(ValueError, match="trainable"):
        training_memory(model, batch(8))
