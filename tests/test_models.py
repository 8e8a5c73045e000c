import pytest
import torch

from hclib.models import TextDataset, embed, encoder_path, load_encoder, load_tokenizer


def test_encoder_loads_offline_for_each_task():
    clf = load_encoder("classification", num_labels=3)
    assert clf.config.num_labels == 3 and clf.config.hidden_size == 384
    tok = load_encoder("token", num_labels=7, dropout=0.0)
    assert tok.config.hidden_dropout_prob == 0.0
    bare = load_encoder("embedding")
    assert sum(p.numel() for p in bare.parameters()) == 22_713_216


def test_dataset_pads_per_batch():
    ds = TextDataset(["short", "a much longer review of a tea that I liked"], [0, 1], max_length=32)
    batch = ds.collate([ds[0], ds[1]])
    assert batch["input_ids"].shape == batch["attention_mask"].shape
    assert batch["input_ids"].shape[1] == max(ds.lengths())
    out = load_encoder()(**batch)
    assert out.logits.shape == (2, 2) and torch.isfinite(out.loss)


def test_embeddings_are_similar_for_similar_texts():
    e = embed(["great coffee, loved it", "wonderful coffee, I love it", "the parcel arrived broken"])
    e = torch.nn.functional.normalize(torch.from_numpy(e), dim=1)
    assert e[0] @ e[1] > e[0] @ e[2]


@pytest.mark.parametrize("call,error,match", [
    (lambda: load_encoder("regression"), ValueError, "task='regression'"),
    (lambda: load_encoder("classification", num_labels=1), ValueError, "num_labels must be an integer >= 2"),
    (lambda: load_encoder("classification", dropout=1.5), ValueError, "dropout must be a finite number >= 0 and < 1"),
    (lambda: TextDataset([]), ValueError, "texts must hold at least 1 item"),
    (lambda: TextDataset(["a", float("nan")]), TypeError, r"texts\[1\] must be a string"),
    (lambda: TextDataset(["a"], [-1]), ValueError, r"labels\[0\] must be an integer >= 0"),
    (lambda: TextDataset(["a", "b"], [1]), ValueError, "2 texts but 1 labels"),
    (lambda: TextDataset(["a"], max_length=1024), ValueError, r"max_length \(the encoder's limit\) must be an integer from 8 to 512"),
])
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_bad_encoder_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HCLIB_ENCODER_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="holds no config.json"):
        encoder_path()


def test_tokenizer_is_uncased_wordpiece():
    assert load_tokenizer().tokenize("Tea") == ["tea"]
