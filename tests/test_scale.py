import pytest
import torch
from transformers import BertConfig, BertModel

from hclib.memory import step_peak_memory, training_memory
from hclib.models import MeanPoolClassifier
from hclib.scale import activation_elements, encoder_parameters, predict_training_memory

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


def test_predicted_peak_follows_the_measured_peak():
    """Small batches peak in AdamW's for-loop step (two temporaries the size of the largest tensor), to
    within 2 %; large ones at the start of the backward pass, whose own temporaries (the gradients of the
    activations, not predicted) weigh most in a model this small."""
    for b, s, accumulate, rel in ((1, 8, 1, 0.02), (2, 8, 2, 0.02), (8, 64, 1, 0.1)):
        model = tiny_model()
        measured = step_peak_memory(model, batch(b, s), accumulate=accumulate)["total_mb"]
        predicted = predict_training_memory(model.config, b, s, accumulate=accumulate)
        assert predicted["peak_mb"] == pytest.approx(measured, rel=rel), (b, s, accumulate)
        assert predicted["peak_mb"] < predicted["total_mb"] + predicted["step_temporaries_mb"]
    config = BertConfig(**TINY)
    kinds = {a: predict_training_memory(config, 1, 8, adamw=a)["step_temporaries_mb"]
             for a in ("for-loop", "foreach", "fused")}
    assert kinds["fused"] == 0 and kinds["foreach"] == predict_training_memory(config, 1, 8)["gradients_mb"]
    assert kinds["for-loop"] == pytest.approx(2 * 4 * 500 * 64 / 2**20)  # the word embeddings, twice


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(config=object(), batch_size=2, seq_len=8), TypeError, "BERT-style"),
    (dict(batch_size=0, seq_len=8), ValueError, "batch_size"),
    (dict(batch_size=2, seq_len=8, attention="flash"), ValueError, "attention"),
    (dict(batch_size=2, seq_len=8, optimizer="lamb"), ValueError, "optimizer"),
    (dict(batch_size=2, seq_len=8, trainable_layers=5), ValueError, "trainable_layers"),
    (dict(batch_size=2, seq_len=8, checkpointing="yes"), TypeError, "checkpointing"),
    (dict(batch_size=2, seq_len=8, adamw="apex"), ValueError, "adamw"),
    (dict(batch_size=2, seq_len=8, accumulate=0), ValueError, "accumulate"),
])
def test_bad_arguments_are_named(kwargs, error, match):
    kwargs.setdefault("config", BertConfig(**TINY))
    with pytest.raises(error, match=match):
        predict_training_memory(**kwargs)
