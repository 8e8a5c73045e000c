"""hclib.inference: predictors return one probability a text, in order, whatever the batching."""
import numpy as np
import pytest
import torch

from hclib.inference import OnnxPredictor, TorchPredictor


class LengthModel(torch.nn.Module):
    """Logit of class 1 = number of real tokens: longer texts get higher probabilities."""

    def forward(self, input_ids, attention_mask):
        n = attention_mask.sum(1).float()
        return {"logits": torch.stack([torch.zeros_like(n), n / 10], dim=1)}


def test_order_is_kept_across_length_sorted_batches():
    texts = ["a b c d e f g h", "a", "a b c", "a b c d e", "a b"]
    probs = TorchPredictor(LengthModel(), max_length=32, batch_size=2)(texts)
    assert list(np.argsort(probs)) == [1, 4, 2, 3, 0]
    assert np.all((probs > 0.5) & (probs < 1))


def test_threads_are_restored():
    before = torch.get_num_threads()
    TorchPredictor(LengthModel(), max_length=16, threads=1)(["x"])
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("call,error,match", [
    (lambda: TorchPredictor(LengthModel(), max_length=4), ValueError, "max_length must be an integer from 8"),
    (lambda: TorchPredictor("model"), TypeError, "model must be a torch.nn.Module"),
    (lambda: TorchPredictor(LengthModel(), threads=0), ValueError, "threads must be an integer >= 1"),
    (lambda: TorchPredictor(LengthModel())([]), ValueError, "texts must hold at least 1 item"),
    (lambda: TorchPredictor(LengthModel())([1, 2]), TypeError, r"texts\[0\] must be a string"),
    (lambda: OnnxPredictor("missing.onnx"), FileNotFoundError, "path: no file"),
])
def test_bad_arguments_name_the_fix(call, error, match):
    with pytest.raises(error, match=match):
        call()
