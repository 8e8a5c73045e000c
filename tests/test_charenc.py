import pytest
import torch

from hclib.charenc import MASK, PAD, UNK, BiLSTMEncoder, CharTransformer, CharVocab


def test_vocab_orders_by_frequency_and_round_trips(tmp_path):
    vocab = CharVocab.build(["北京北京", "上海"], min_count=1)
    assert vocab.itos[:5] == ["[PAD]", "[UNK]", "[MASK]", "京", "北"]
    assert (vocab["[PAD]"], vocab["?"], vocab["[MASK]"]) == (PAD, UNK, MASK)
    assert CharVocab.build(["北京北京", "上海"], min_count=2).decode(range(3, 5)) == "京北"
    vocab.save(tmp_path / "v.json")
    assert CharVocab.load(tmp_path / "v.json").itos == vocab.itos


@pytest.mark.parametrize("make, message", [
    (lambda: CharVocab(["ab"]), "one character"),
    (lambda: CharVocab(["a", "a"]), "twice"),
    (lambda: CharVocab.build([""]), "no characters"),
    (lambda: CharVocab.build(["a"], min_count=0), "min_count"),
    (lambda: CharTransformer(10, dim=30, heads=4), "multiple of heads"),
])
def test_bad_input(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_transformer_ignores_padding_and_rejects_long_input():
    torch.manual_seed(0)
    enc = CharTransformer(20, dim=16, layers=2, heads=2, max_length=8).eval()
    ids = torch.tensor([[5, 6, 7, PAD, PAD], [5, 6, 7, 8, 9]])
    mask = ids != PAD
    short = enc(ids[:1, :3], mask[:1, :3])
    assert torch.allclose(enc(ids, mask)[0, :3], short[0], atol=1e-5)
    with pytest.raises(ValueError, match="exceed max_length=8"):
        enc(torch.ones(1, 9, dtype=torch.long), torch.ones(1, 9, dtype=torch.bool))


def test_bilstm_outputs_do_not_depend_on_padding():
    torch.manual_seed(0)
    enc = BiLSTMEncoder(20, 8, 6, dropout=0.0)
    ids = torch.tensor([[5, 6, 7, PAD], [5, 6, 7, 8]])
    out = enc(ids, ids != PAD)
    assert out.shape == (2, 4, 12)
    assert torch.allclose(out[0, :3], enc(ids[:1, :3], ids[:1, :3] != PAD)[0], atol=1e-6)
