import numpy as np
import pytest
import torch

from hclib.finetune import add_lora, count_parameters, freeze_lower_layers, probe, tfidf_classifier
from hclib.models import load_encoder


def trainable_names(model):
    return {n for n, p in model.named_parameters() if p.requires_grad}


def test_partial_fine_tuning_trains_top_layers_and_head():
    model = freeze_lower_layers(load_encoder(), train_top_layers=2)
    names = trainable_names(model)
    assert any(".layer.5." in n for n in names) and any(".layer.4." in n for n in names)
    assert not any(".layer.3." in n or "embeddings" in n for n in names)
    assert {"classifier.weight", "classifier.bias"} <= names and any("pooler" in n for n in names)


def test_head_only():
    counts = count_parameters(freeze_lower_layers(load_encoder(), train_top_layers=0))
    assert counts["trainable"] == 384 * 384 + 384 + 384 * 2 + 2  # pooler and classifier


def test_lora_trains_adapters_and_head_and_still_runs():
    model = add_lora(load_encoder(), r=4)
    names = trainable_names(model)
    assert names and all("lora_" in n or "classifier" in n for n in names)
    assert count_parameters(model)["share"] < 0.01
    out = model(input_ids=torch.tensor([[101, 2204, 5572, 102]]), labels=torch.tensor([1]))
    out.loss.backward()
    assert torch.isfinite(out.loss)


def test_lora_can_train_the_pooler_too():
    model = add_lora(load_encoder(), r=4, train_also=("pooler",))
    assert any("pooler" in n for n in trainable_names(model))
    with pytest.raises(ValueError, match="no modules named \\['poolr'\\]"):
        add_lora(load_encoder(), train_also=("poolr",))


def test_tfidf_and_probe_learn():
    texts = ["great tea, loved it", "awful, stale and bitter", "lovely flavour", "bitter and stale"] * 5
    labels = [1, 0, 1, 0] * 5
    assert (tfidf_classifier(min_df=1).fit(texts, labels).predict(texts) == labels).all()
    x = np.random.default_rng(0).normal(size=(40, 5))
    y = (x[:, 0] > 0).astype(int)
    assert (probe(x, y).predict(x) == y).mean() > 0.9


@pytest.mark.parametrize("call,match", [
    (lambda: freeze_lower_layers(load_encoder(), train_top_layers=7), "from 0 to 6"),
    (lambda: freeze_lower_layers(torch.nn.Linear(2, 2)), "not a BERT-style model"),
    (lambda: add_lora(load_encoder(), r=0), r"r \(the LoRA rank\) must be an integer >= 1"),
    (lambda: add_lora(load_encoder(), targets=("q_proj",)), "no modules named \\['q_proj'\\]"),
    (lambda: add_lora(load_encoder(), dropout=1.0), "dropout must be a finite number >= 0 and < 1"),
    (lambda: tfidf_classifier(C=0), "C \\(inverse regularisation strength\\) must be a finite number > 0"),
    (lambda: probe(np.zeros((3, 2)), [0, 1]), "one row a label"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_keep_lower_layers_cuts_the_encoder():
    from hclib.finetune import keep_lower_layers

    model = keep_lower_layers(load_encoder(), layers=3)
    assert len(model.bert.encoder.layer) == 3 and model.config.num_hidden_layers == 3
    out = model(input_ids=torch.tensor([[101, 2204, 102]]))
    assert out.logits.shape == (1, 2)
    with pytest.raises(ValueError, match="from 1 to 3"):
        keep_lower_layers(model, layers=4)


def test_reinit_pooler_gives_fresh_reproducible_weights():
    from hclib.finetune import reinit_pooler

    model = load_encoder()
    before = model.bert.pooler.dense.weight.detach().clone()
    a = reinit_pooler(model, seed=0).bert.pooler.dense.weight.detach().clone()
    b = reinit_pooler(load_encoder(), seed=0).bert.pooler.dense.weight.detach()
    assert not torch.equal(a, before) and torch.equal(a, b)
    assert abs(a.std().item() - model.config.initializer_range) < 0.002
    with pytest.raises(ValueError, match="has no pooler"):
        reinit_pooler(load_encoder("token"))


def test_mean_pooling_classifier_takes_lora_and_partial_freezing():
    from hclib.models import MeanPoolClassifier

    model = load_encoder("classification", pooling="mean")
    assert isinstance(model, MeanPoolClassifier) and model.encoder.pooler is None
    batch = {"input_ids": torch.tensor([[101, 2204, 5572, 102, 0]]),
             "attention_mask": torch.tensor([[1, 1, 1, 1, 0]]), "labels": torch.tensor([1])}
    out = model(**batch)
    assert out["logits"].shape == (1, 2) and torch.isfinite(out["loss"])
    # padding does not change the mean: the same text without its pad token gives the same logits
    model.eval()
    short = {"input_ids": batch["input_ids"][:, :4], "attention_mask": batch["attention_mask"][:, :4]}
    assert torch.allclose(model(**short)["logits"], model(**batch)["logits"], atol=1e-5)
    lora = add_lora(load_encoder("classification", pooling="mean"), r=8, alpha=16)
    names = trainable_names(lora)
    assert names and all("lora_" in n or "classifier" in n for n in names)
    assert count_parameters(lora)["trainable"] == 6 * 2 * 8 * (384 + 384) + 384 * 2 + 2
    lora(**batch)["loss"].backward()
    partial = trainable_names(freeze_lower_layers(load_encoder("classification", pooling="mean"), 2))
    assert any(".layer.5." in n for n in partial) and not any(".layer.3." in n for n in partial)
    with pytest.raises(ValueError, match="pooling='mean' is for task='classification'"):
        load_encoder("token", pooling="mean")
