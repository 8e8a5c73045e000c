import pytest
import torch

from hclib.charenc import MASK, PAD, CharTransformer, CharVocab
from hclib.mlm import (MaskedLM, MaskedTextDataset, fill_blanks, load_masked_lm, mask_tokens, mlm_loss, pretrain,
                        save_masked_lm)
from hclib.train import TrainConfig, Trainer


def test_masking_follows_the_80_10_10_recipe():
    ids = torch.randint(3, 1000, (200, 100))
    ids[:, 90:] = PAD
    masked, labels = mask_tokens(ids, 1000, generator=torch.Generator().manual_seed(0))
    chosen = labels != -100
    assert not chosen[:, 90:].any()
    assert abs(chosen.float().sum() / (200 * 90) - 0.15) < 0.01
    share_mask = (masked[chosen] == MASK).float().mean()
    share_kept = (masked[chosen] == ids[chosen]).float().mean()
    assert abs(share_mask - 0.8) < 0.02 and abs(share_kept - 0.1) < 0.02
    with pytest.raises(ValueError, match="p must be a finite number > 0 and < 1"):
        mask_tokens(ids, 1000, p=1.5)


def test_pretraining_learns_a_repeated_text_and_saves(tmp_path):
    torch.manual_seed(0)
    texts = ["北京欢迎你", "我爱北京天安门"] * 40
    vocab = CharVocab.build(texts)
    data = MaskedTextDataset(texts, vocab, max_length=16, p=0.3)
    model = MaskedLM(CharTransformer(len(vocab), dim=32, layers=1, heads=2, max_length=16, dropout=0.0))
    trainer = Trainer(model, TrainConfig(epochs=30, batch_size=16, lr=3e-3, progress=False), loss_fn=mlm_loss)
    record = trainer.fit(data, data)
    assert record.history[-1]["val_accuracy"] > 0.8 and record.samples == 30 * len(data)
    assert fill_blanks(model, vocab, "北京欢□你", k=1) == [["迎"]]
    digest = save_masked_lm(model, vocab, tmp_path / "enc")
    loaded, vocab2 = load_masked_lm(tmp_path / "enc", expected_sha256=digest)
    assert vocab2.itos == vocab.itos
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), model.state_dict().values()))
    with pytest.raises(ValueError, match="expected 00"):
        load_masked_lm(tmp_path / "enc", expected_sha256="00")
    with pytest.raises(FileNotFoundError, match="pre-train"):
        load_masked_lm(tmp_path / "missing")
    with pytest.raises(ValueError, match="no blank"):
        fill_blanks(model, vocab, "北京")
    with pytest.raises(ValueError, match="texts has no characters"):
        MaskedTextDataset(["  "], vocab)


def test_pretrain_is_paid_once_and_checks_its_weights(tmp_path):
    texts = ["北京欢迎你", "我爱北京天安门"] * 10
    vocab = CharVocab.build(texts)
    sizes = dict(dim=16, layers=1, heads=2, max_length=16)
    config = TrainConfig(epochs=1, batch_size=8, progress=False)
    first = pretrain(texts, vocab, tmp_path / "m", sizes, config, eval_texts=texts[:4])
    again = pretrain(texts, vocab, tmp_path / "m", sizes, config, eval_texts=texts[:4])
    assert not first["reused"] and again["reused"] and again["sha256"] == first["sha256"]
    (tmp_path / "m" / "mlm.safetensors").write_bytes(b"changed")
    with pytest.raises(ValueError, match="the file changed"):
        pretrain(texts, vocab, tmp_path / "m", sizes, config)
    other = pretrain(texts, vocab, tmp_path / "m", {**sizes, "dim": 8}, config)
    assert not other["reused"]


def test_a_batch_always_has_something_to_predict():
    ids = torch.tensor([[5, 6, PAD]])
    for seed in range(50):  # with p = 0.01 most draws choose nothing; one real character is chosen then
        masked, labels = mask_tokens(ids, 10, p=0.01, generator=torch.Generator().manual_seed(seed))
        assert (labels != -100).sum() >= 1 and (labels[:, 2] == -100).all()
    vocab = CharVocab.build(["北京"])
    model = MaskedLM(CharTransformer(len(vocab), dim=8, layers=1, heads=2, max_length=4))
    data = MaskedTextDataset(["北京"] * 4, vocab, max_length=4, p=0.01)
    assert torch.isfinite(model(**data.collate([data[0]]))["loss"])
    with pytest.raises(ValueError, match="no character to predict"):
        model(torch.tensor([[3, 4]]), torch.ones(1, 2, dtype=torch.bool), torch.full((1, 2), -100))
    with pytest.raises(ValueError, match="only padding"):
        mask_tokens(torch.zeros(1, 3, dtype=torch.long), 10)


def test_a_folder_of_another_model_is_named(tmp_path):
    vocab = CharVocab.build(["北京"])
    save_masked_lm(MaskedLM(CharTransformer(len(vocab), dim=8, layers=1, heads=2, max_length=4)), vocab, tmp_path)
    (tmp_path / "config.json").write_text('{"vocab_size": 5, "dim": 16, "layers": 1, "heads": 2}')
    with pytest.raises(ValueError, match="does not hold a matching config.json"):
        load_masked_lm(tmp_path)
    (tmp_path / "config.json").write_text("{")
    with pytest.raises(ValueError, match="config.json is not readable"):
        load_masked_lm(tmp_path)
