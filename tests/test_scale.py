import pandas as pd
import pytest
import torch
from transformers import BertConfig, BertModel

from hclib.memory import training_memory
from hclib.models import MeanPoolClassifier
from hclib.scale import (activation_elements, encoder_parameters, paired_ratio, predict_training_memory,
                         time_alternating)

TINY = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=256, vocab_size=500,
            max_position_embeddings=64, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def tiny_model(attention="sdpa"):
    torch.manual_seed(0)
    model = MeanPoolClassifier(BertModel(BertConfig(**TINY)), num_labels=2)
    model.encoder.set_attn_implementation(attention)
    return model


def batch(b, s):
    g = torch.Generator().manual_seed(0)
    return {"input_ids": torch.randint(5, 500, (b, s), generator=g), "attention_mask": torch.ones(b, s).long(),
            "labels": torch.randint(0, 2, (b,), generator=g)}


def test_parameters_from_the_config_match_the_model():
    model = tiny_model()
    assert encoder_parameters(model.config)["total"] == sum(p.numel() for p in model.parameters())


def test_weights_gradients_and_state_are_exact_and_activations_close():
    for attention in ("sdpa", "eager"):
        model = tiny_model(attention)
        counted = training_memory(model, batch(4, 32))
        predicted = predict_training_memory(model.config, 4, 32, attention=attention)
        for kind in ("weights_mb", "gradients_mb", "optimizer_mb"):
            assert predicted[kind] == pytest.approx(counted[kind])
        assert predicted["activations_mb"] == pytest.approx(counted["activations_mb"], rel=0.1)


def test_frozen_layers_and_checkpointing_shrink_the_prediction():
    config = BertConfig(**TINY)
    full = predict_training_memory(config, 4, 32)
    top = predict_training_memory(config, 4, 32, trainable_layers=1)
    head = predict_training_memory(config, 4, 32, trainable_layers=0)
    ckpt = predict_training_memory(config, 4, 32, checkpointing=True)
    assert head["gradients_mb"] < top["gradients_mb"] < full["gradients_mb"]
    assert head["activations_mb"] < top["activations_mb"] < full["activations_mb"]
    assert ckpt["activations_mb"] < full["activations_mb"] and ckpt["weights_mb"] == full["weights_mb"]
    assert activation_elements(config, 32, "eager") - activation_elements(config, 32) == pytest.approx(
        2 * (4 * 32 - 4))  # eager: probabilities a head and key; sdpa: a logsumexp a head


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(config=object(), batch_size=2, seq_len=8), TypeError, "BERT-style"),
    (dict(batch_size=0, seq_len=8), ValueError, "batch_size"),
    (dict(batch_size=2, seq_len=8, attention="flash"), ValueError, "attention"),
    (dict(batch_size=2, seq_len=8, optimizer="lamb"), ValueError, "optimizer"),
    (dict(batch_size=2, seq_len=8, trainable_layers=5), ValueError, "trainable_layers"),
    (dict(batch_size=2, seq_len=8, checkpointing="yes"), TypeError, "checkpointing"),
])
def test_bad_arguments_are_named(kwargs, error, match):
    kwargs.setdefault("config", BertConfig(**TINY))
    with pytest.raises(error, match=match):
        predict_training_memory(**kwargs)


def test_alternating_times_pair_by_repeat():
    times = time_alternating({"a": lambda: None, "b": lambda: sum(range(20_000))}, repeats=4)
    assert len(times) == 8 and set(times.step) == {"a", "b"}
    r = paired_ratio(times, "b", "a")
    assert r["low"] <= r["ratio"] <= r["high"] and r["ratio"] > 1 and r["n"] == 4
    with pytest.raises(ValueError, match="no step named"):
        paired_ratio(times, "c", "a")
    with pytest.raises(TypeError, match="time_alternating"):
        paired_ratio(pd.DataFrame({"x": [1]}), "a", "b")
    with pytest.raises(ValueError, match="repeats"):
        time_alternating({"a": lambda: None}, repeats=1)
    with pytest.raises(TypeError, match="no arguments"):
        time_alternating({"a": 3}, repeats=2)
