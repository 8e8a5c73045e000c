import random

import numpy as np
import pytest
import torch

from hclib.runcard import run_card
from hclib.seed import seed_everything


def test_card_prints_what_ran_where(capsys, monkeypatch):
    monkeypatch.setenv("HCLIB_PROFILE", "ci")
    card = run_card(seed=7)
    text = capsys.readouterr().out
    assert text.startswith("Run card")
    for word in ("profile  ci", "torch", "transformers", "hclib", "seed     7", "threads"):
        assert word in text
    summary = card.finish()
    assert "Finished in" in capsys.readouterr().out
    assert summary["wall_seconds"] >= 0 and summary["peak_host_mb"] > 0


def draw():
    return random.random(), np.random.rand(), torch.rand(1).item(), torch.nn.Linear(3, 3).weight.sum().item()


def test_same_seed_same_numbers():
    seed_everything(3)
    first = draw()
    seed_everything(3)
    assert draw() == first
    seed_everything(4)
    assert draw() != first


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "0", True])
def test_bad_seed(bad):
    with pytest.raises(ValueError, match="seed must be an integer"):
        seed_everything(bad)
