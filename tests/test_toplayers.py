import numpy as np
import pytest
import torch

from hclib.models import embed
from hclib.toplayers import StatesDataset, TopEncoder, lower_states

TEXTS = ["a fine tea, fresh and fragrant", "stale and bitter", "ok"]


@pytest.mark.parametrize("split_at", [0, 4, 5])
def test_lower_states_then_top_layers_equal_the_whole_encoder(split_at):
    states = lower_states(TEXTS, split_at=split_at, max_length=32)
    assert [s.shape[1] for s in states] == [384] * 3 and len(states[2]) < len(states[0])
    pooled = TopEncoder(split_at=split_at).embed(StatesDataset(states))
    assert np.abs(pooled - embed(TEXTS, max_length=32)).max() < 1e-4


def test_training_moves_the_top_layers_only_as_far_as_the_rate_allows():
    states = lower_states(TEXTS * 4, split_at=5, max_length=16)
    data = StatesDataset(states, [1, 0, 1] * 4)
    moved = []
    for lr in (1e-5, 1e-2):
        torch.manual_seed(0)
        model = TopEncoder(split_at=5)
        assert model.relative_change() == 0.0
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
        for _ in range(5):
            batch = data.collate([data[i] for i in range(len(data))])
            loss = model(**batch)["loss"]
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        moved.append(model.relative_change())
    assert 0 < moved[0] < moved[1]


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="split_at"):
        TopEncoder(split_at=6)
    with pytest.raises(ValueError, match="labels"):
        StatesDataset([torch.zeros(3, 384)], [0, 1])
    with pytest.raises(TypeError, match="states"):
        StatesDataset([np.zeros((3, 384))])


def test_cls_pooling_reads_the_first_position():
    states = lower_states(TEXTS, split_at=5, max_length=32)
    model = TopEncoder(split_at=5)
    cls = model.embed(StatesDataset(states), pooling="cls")
    assert np.abs(cls - embed(TEXTS, max_length=32, pooling="cls")).max() < 1e-4
    assert np.abs(cls - model.embed(StatesDataset(states))).max() > 1e-2
    with pytest.raises(ValueError, match="pooling='max' is not allowed"):
        model.embed(StatesDataset(states), pooling="max")


def test_dropout_rate_reaches_every_copied_layer():
    model = TopEncoder(split_at=4, dropout=0.0)
    rates = {m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)}
    assert rates == {0.0}
