"""hclib.compress: pruning, dropping layers, ONNX export and int8 quantization of a tiny classifier."""
import numpy as np
import pytest
import torch
from transformers import BertConfig, BertModel

from hclib.compress import drop_layers, export_onnx, file_mb, magnitude_prune, quantize_int8, save_torch, sparsity
from hclib.inference import OnnxPredictor, TorchPredictor
from hclib.models import MeanPoolClassifier

TEXTS = ["lovely tea, will buy again", "stale chips", "the parcel arrived broken and late, never again"]


def tiny_classifier(layers: int = 2) -> MeanPoolClassifier:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=16, num_hidden_layers=layers, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64)
    return MeanPoolClassifier(BertModel(config), 2).eval()


@pytest.fixture(scope="module")
def onnx_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("onnx")
    model = tiny_classifier()
    fp32 = export_onnx(model, folder / "fp32.onnx")
    int8 = quantize_int8(fp32, folder / "int8.onnx")
    return model, fp32, int8


def test_magnitude_prune_zeroes_the_share_asked_and_keeps_shapes():
    model = tiny_classifier()
    pruned = magnitude_prune(model, 0.6)
    assert abs(sparsity(pruned) - 0.6) < 0.01 and sparsity(model) == 0.0   # the original is untouched
    shapes = [p.shape for p in model.parameters()]
    assert [p.shape for p in pruned.parameters()] == shapes
    words = pruned.encoder.embeddings.word_embeddings.weight
    assert torch.equal(words, model.encoder.embeddings.word_embeddings.weight)  # embeddings left whole


def test_unstructured_pruning_does_not_shrink_the_file(tmp_path):
    model = tiny_classifier()
    dense = file_mb(save_torch(model, tmp_path / "dense.st"))
    assert file_mb(save_torch(magnitude_prune(model, 0.9), tmp_path / "pruned.st")) == pytest.approx(dense)
    assert file_mb(save_torch(drop_layers(model, [0]), tmp_path / "small.st")) < dense


def test_drop_layers_keeps_a_working_model():
    model = tiny_classifier(layers=4)
    small = drop_layers(model, [0, 2])
    assert small.config.num_hidden_layers == 2 and len(small.encoder.encoder.layer) == 2
    assert model.config.num_hidden_layers == 4          # a copy: the original keeps its layers
    assert TorchPredictor(small, max_length=16)(TEXTS).shape == (3,)


def test_onnx_export_matches_pytorch_and_int8_is_smaller(onnx_files):
    model, fp32, int8 = onnx_files
    reference = TorchPredictor(model, max_length=32)(TEXTS)
    np.testing.assert_allclose(OnnxPredictor(fp32, max_length=32)(TEXTS), reference, atol=1e-5)
    assert file_mb(int8) < file_mb(fp32) / 2
    assert np.abs(OnnxPredictor(int8, max_length=32)(TEXTS) - reference).max() < 0.1


def test_quantizer_settings_each_give_a_working_int8_file(onnx_files, tmp_path):
    _, fp32, _ = onnx_files
    reference = OnnxPredictor(fp32, max_length=32)(TEXTS)
    for per_channel, reduce_range in ((True, False), (False, True)):
        path = quantize_int8(fp32, tmp_path / f"{per_channel}-{reduce_range}.onnx", per_channel, reduce_range)
        assert file_mb(path) < file_mb(fp32) / 2
        assert np.abs(OnnxPredictor(path, max_length=32)(TEXTS) - reference).max() < 0.1


@pytest.mark.parametrize("call,error,match", [
    (lambda: magnitude_prune(tiny_classifier(), 1.0), ValueError, r"amount \(the share of weights to zero"),
    (lambda: magnitude_prune("model", 0.5), TypeError, "model must be a torch.nn.Module"),
    (lambda: drop_layers(tiny_classifier(), [0, 0]), ValueError, "keep lists a layer twice"),
    (lambda: drop_layers(tiny_classifier(), [5]), ValueError, r"keep\[0\] must be an integer from 0 to 1"),
    (lambda: drop_layers(torch.nn.Linear(2, 2), [0]), ValueError, "no Transformer layers"),
    (lambda: quantize_int8("no-such.onnx", "out.onnx"), FileNotFoundError, "source: no file"),
    (lambda: quantize_int8(__file__, "out.onnx", per_channel=1), TypeError, "per_channel must be True or False"),
])
def test_bad_arguments_name_the_fix(call, error, match):
    with pytest.raises(error, match=match):
        call()
