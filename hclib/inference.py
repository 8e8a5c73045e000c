"""Predictors: texts in, the probability of the positive class out, from PyTorch or ONNX Runtime.

Both kinds tokenise the same way (the encoder's WordPiece tokenizer, cut at ``max_length``,
each batch padded to its longest text) and run on a stated number of CPU threads, so that a
benchmark compares the models and not the plumbing around them.

>>> import torch
>>> class Const(torch.nn.Module):
...     def forward(self, input_ids, attention_mask):
...         return {"logits": torch.zeros(len(input_ids), 2)}
>>> TorchPredictor(Const(), max_length=16)(["good", "bad"]).tolist()
[0.5, 0.5]
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from hclib.validate import check_int, check_path, check_strings


class Predictor:
    """Common part: tokenisation, length-sorted batches, threads. Subclasses define :meth:`logits`."""

    def __init__(self, max_length: int = 128, batch_size: int = 64, threads: int = 1, tokenizer=None):
        self.max_length = check_int("max_length", max_length, 8, 512)
        self.batch_size = check_int("batch_size", batch_size, minimum=1)
        self.threads = check_int("threads", threads, minimum=1)
        if tokenizer is None:
            from hclib.models import load_tokenizer

            tokenizer = load_tokenizer()
        self.tokenizer = tokenizer

    def encode(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Token ids and attention mask (int64), padded to the longest text of ``texts``."""
        batch = self.tokenizer(texts, truncation=True, max_length=self.max_length, padding=True,
                               return_tensors="np")
        return {"input_ids": batch["input_ids"].astype(np.int64),
                "attention_mask": batch["attention_mask"].astype(np.int64)}

    def logits(self, encoded: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, texts: list[str]) -> np.ndarray:
        """Probability of class 1 for each text, in the order given."""
        texts = check_strings("texts", texts)
        lengths = [len(t) for t in texts]
        order = np.argsort(lengths, kind="stable")  # similar lengths together: less padding
        out = np.empty(len(texts), dtype=np.float64)
        for start in range(0, len(texts), self.batch_size):
            idx = order[start:start + self.batch_size]
            logits = self.logits(self.encode([texts[i] for i in idx])).astype(np.float64)
            shifted = logits - logits.max(axis=1, keepdims=True)
            probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
            out[idx] = probs[:, 1]
        return out


class TorchPredictor(Predictor):
    """A PyTorch classifier (called with ``input_ids`` and ``attention_mask``; returns ``logits``)."""

    def __init__(self, model: torch.nn.Module, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        self.model = model.cpu().eval()

    @torch.inference_mode()
    def logits(self, encoded: dict[str, np.ndarray]) -> np.ndarray:
        before = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            out = self.model(**{k: torch.from_numpy(v) for k, v in encoded.items()})
        finally:
            torch.set_num_threads(before)
        logits = out["logits"] if hasattr(out, "keys") else out
        return logits.float().numpy()


class OnnxPredictor(Predictor):
    """An ONNX classifier (from :func:`hclib.compress.export_onnx`) run by ONNX Runtime on the CPU."""

    def __init__(self, path: str | Path, **kwargs):
        super().__init__(**kwargs)
        import onnxruntime as ort

        self.path = check_path("path", path, must_exist=True)
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        names = {i.name for i in self.session.get_inputs()}
        if not {"input_ids", "attention_mask"} <= names:
            raise ValueError(f"{self.path} takes inputs {sorted(names)}; export it with "
                             "hclib.compress.export_onnx (input_ids, attention_mask)")

    def logits(self, encoded: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(["logits"], encoded)[0]
