import pytest
import torch

from hclib.distributed import launch, launch_command


def test_command_selects_the_launcher():
    one, two = launch_command(1, ["--out", "x.pt"]), launch_command(2, ["--out", "x.pt"])
    assert "--cpu" in one and "--multi_gpu" in two and two[two.index("--num_processes") + 1] == "2"
    assert one[-3:] == ["hclib.distributed", "--out", "x.pt"]
    with pytest.raises(ValueError, match="num_processes"):
        launch_command(0, [])
    with pytest.raises(ValueError, match="mixed_precision"):
        launch_command(2, [], mixed_precision="fp16")


def test_two_processes_train_as_one(tmp_path):
    """The chapter's script under accelerate launch: 2 CPU processes, same global batch, same weights."""
    options = dict(reviews=16, max_length=16, batch=4, steps=2)
    one = launch(1, tmp_path / "one.pt", threads=1, **options)
    two = launch(2, tmp_path / "two.pt", threads=1, **options)
    assert one["num_processes"] == 1 and two["num_processes"] == 2
    assert len(one["step_seconds"]) == len(two["step_seconds"]) == 2
    assert torch.allclose(one["weights"], two["weights"], atol=1e-5)
