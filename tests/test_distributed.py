import pytest
import torch

from hclib.distributed import launch, launch_command, launcher_settings, weight_difference


def test_command_selects_the_launcher():
    one, two = launch_command(1, ["--out", "x.pt"]), launch_command(2, ["--out", "x.pt"])
    assert "--cpu" in one and "--multi_gpu" in two and two[two.index("--num_processes") + 1] == "2"
    assert one[-3:] == ["hclib.distributed", "--out", "x.pt"]
    with pytest.raises(ValueError, match="num_processes"):
        launch_command(0, [])
    with pytest.raises(ValueError, match="mixed_precision"):
        launch_command(2, [], mixed_precision="fp16")


def test_precision_is_the_launchers(monkeypatch):
    monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", "bf16")
    assert launcher_settings() == ("cpu", "bf16")
    monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", "no")
    assert launcher_settings() == ("cpu", "fp32")


def test_weight_difference_needs_the_same_parameters():
    assert weight_difference({"w": torch.ones(2)}, {"w": torch.tensor([1.0, 1.5])}) == 0.5
    with pytest.raises(ValueError, match="same parameter names"):
        weight_difference({"w": torch.ones(2)}, {"v": torch.ones(2)})


def test_two_processes_train_as_one(tmp_path):
    """The chapter's script under accelerate launch: 2 CPU processes, same global batch, same weights."""
    options = dict(reviews=16, max_length=16, batch=4, steps=2, seeds=[0, 1])
    one = launch(1, tmp_path / "one.pt", threads=1, **options)
    two = launch(2, tmp_path / "two.pt", threads=1, **options)
    assert one["num_processes"] == 1 and two["num_processes"] == 2 and two["precision"] == "fp32"
    assert [r["seed"] for r in two["runs"]] == [0, 1]
    for a, b in zip(one["runs"], two["runs"]):
        assert len(a["step_seconds"]) == len(b["step_seconds"]) == 2
        assert weight_difference(a["weights"], b["weights"]) < 1e-5
    assert weight_difference(one["runs"][0]["weights"], one["runs"][1]["weights"]) > 1e-4  # the seeds differ
