import numpy as np
import pytest
import torch

from hclib.explain import (attention_received, attention_rollout, baseline_ids, cascade_blocks,
                           randomised_copy, rank_correlation, token_attributions)
from hclib.models import load_encoder, load_tokenizer


@pytest.fixture(scope="module")
def model_and_batch():
    torch.manual_seed(0)
    model = load_encoder("classification", pooling="mean", dropout=0.0).eval()
    tok = load_tokenizer()
    enc = tok(["a fine tea, fresh and fragrant", "stale"], padding=True, return_tensors="pt")
    return model, tok, enc


def test_completeness_and_padding(model_and_batch):
    model, tok, enc = model_and_batch
    r = token_attributions(model, enc["input_ids"], enc["attention_mask"], tok.pad_token_id,
                           (tok.cls_token_id, tok.sep_token_id), n_steps=30)
    assert np.allclose(r["attributions"].sum(1), r["change"], atol=1e-2)
    assert np.abs(r["delta"]).max() < 1e-2
    assert np.all(r["attributions"][1][enc["attention_mask"][1].numpy() == 0] == 0)


def test_cascade_changes_only_the_top_blocks(model_and_batch):
    model = model_and_batch[0]
    names = [n for n, _ in cascade_blocks(model)]
    assert names[0] == "classifier" and names[-1] == "embeddings" and len(names) == 8
    changed = randomised_copy(model, 2)
    assert not torch.equal(changed.classifier.weight, model.classifier.weight)
    assert not torch.equal(changed.encoder.encoder.layer[5].output.dense.weight,
                           model.encoder.encoder.layer[5].output.dense.weight)
    assert torch.equal(changed.encoder.encoder.layer[4].output.dense.weight,
                       model.encoder.encoder.layer[4].output.dense.weight)


def test_rank_correlation_and_attention():
    assert rank_correlation([1, 2, 3, 4], [4, 3, 2, 1], absolute=False) == -1.0
    assert np.isnan(rank_correlation([1, 1, 1], [1, 2, 3]))
    att = torch.softmax(torch.randn(2, 3, 4, 4), -1)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    received = attention_received((att,), mask)
    assert received.shape == (2, 4) and received[1, 3] == 0
    assert np.allclose(received[0].sum(), 1, atol=1e-5)
    assert attention_rollout((att, att), mask).shape == (2, 4)
    assert baseline_ids(torch.tensor([[5, 6]]), torch.ones(1, 2), 0).tolist() == [[0, 0]]


@pytest.mark.parametrize("call,match", [
    (lambda: rank_correlation([1, 2, 3], [1, 2]), "same tokens"),
    (lambda: rank_correlation([1, 2], [1, 2]), "at least 3"),
    (lambda: cascade_blocks(torch.nn.Linear(2, 2)), "BERT-style"),
    (lambda: token_attributions(load_encoder("classification", pooling="mean"), torch.ones(3, dtype=torch.long),
                                torch.ones(3), 0), "texts x tokens"),
])
def test_bad_input(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_token_heatmap_draws_every_token():
    import matplotlib

    matplotlib.use("Agg")
    from hclib.explain import token_heatmap

    ax = token_heatmap([["good", "tea"], ["bad"]], [[0.5, -1.0], [2.0]], ["one", "two"], width=20)
    assert len(ax.texts) == 5  # two titles and three tokens
    with pytest.raises(ValueError, match="one a token"):
        token_heatmap([["a", "b"]], [[1.0]])
