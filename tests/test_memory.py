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


def test_step_peak_memory_is_a_real_peak_and_leaves_the_weights():
    from hclib.memory import step_peak_memory

    model = mlp()
    before = [p.detach().clone() for p in model.parameters()]
    peak = step_peak_memory(model, batch(64))
    counted = training_memory(model, batch(64))
    assert peak["weights_mb"] == pytest.approx(counted["weights_mb"])
    # at least the state: when the peak falls in AdamW's step, its temporaries count as optimizer memory too
    assert peak["optimizer_mb"] >= counted["optimizer_mb"] - 1e-9
    assert peak["weights_mb"] + peak["optimizer_mb"] <= peak["total_mb"] <= counted["total_mb"] * 2
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    # with activations larger than the weights, four micro-batches of a quarter hold less at their peak
    whole, accumulated = step_peak_memory(model, batch(4096)), step_peak_memory(model, batch(1024), accumulate=4)
    assert accumulated["total_mb"] < whole["total_mb"]
    with pytest.raises(ValueError, match="accumulate"):
        step_peak_memory(model, batch(8), accumulate=0)


def test_step_peak_memory_with_frozen_parameters():
    from hclib.memory import step_peak_memory

    model = mlp()
    model[0].requires_grad_(False)
    peak = step_peak_memory(model, batch(8))
    assert (200 * 2 + 2) * 2 * 4 / 2**20 <= peak["optimizer_mb"] < 100 * 200 * 4 / 2**20
