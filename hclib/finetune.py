"""Ways to solve a text task with a pre-trained encoder, from the cheapest to the fullest.

- :func:`tfidf_classifier`: no encoder at all; word and bigram counts and logistic regression.
- :func:`probe`: the frozen encoder's sentence embeddings and logistic regression.
- :func:`freeze_lower_layers`: train only the top layers and the task head (partial fine-tuning).
- :func:`keep_lower_layers`: a truncated encoder, for when a full one is too slow.
- :func:`reinit_pooler`: fresh weights for the pooler, which steadies fine-tuning on few labels.
- :func:`add_lora`: low-rank adapters in the attention (parameter-efficient fine-tuning, via ``peft``).
- full fine-tuning: the model as loaded; every parameter trains.

>>> from hclib.models import load_encoder
>>> model = freeze_lower_layers(load_encoder(), train_top_layers=2)
>>> count_parameters(model)["trainable"] < count_parameters(model)["total"]
True
"""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from hclib.validate import check_array, check_int, check_list, check_number, check_strings


def count_parameters(model: torch.nn.Module) -> dict[str, float]:
    """Total and trainable parameters, and the trainable share."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch Module, got {type(model).__name__}")
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"total": total, "trainable": trainable, "share": trainable / total if total else 0.0}


def _encoder_layers(model: torch.nn.Module):
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch Module (from hclib.models.load_encoder), got {type(model).__name__}")
    base = getattr(model, getattr(model, "base_model_prefix", ""), None)
    layers = getattr(getattr(base, "encoder", None), "layer", None)
    if base is None or layers is None:
        raise ValueError(f"{type(model).__name__} is not a BERT-style model with .encoder.layer; "
                         "freeze_lower_layers works on the encoders hclib.models loads")
    return base, layers


def freeze_lower_layers(model: torch.nn.Module, train_top_layers: int = 2) -> torch.nn.Module:
    """Freeze the embeddings and all but the top ``train_top_layers`` layers.

    The task head (the pooler, where the model has one, and the classifier) stays trainable;
    ``train_top_layers=0`` trains the head alone.
    """
    base, layers = _encoder_layers(model)
    train_top_layers = check_int("train_top_layers", train_top_layers, 0, len(layers))
    for p in base.parameters():
        p.requires_grad = False
    head = list(layers)[len(layers) - train_top_layers:] + [getattr(base, "pooler", None)]
    for module in filter(None, head):
        for p in module.parameters():
            p.requires_grad = True
    return model


def keep_lower_layers(model: torch.nn.Module, layers: int) -> torch.nn.Module:
    """Cut the encoder to its lowest ``layers`` Transformer layers (a cheaper, smaller encoder).

    The embeddings, the kept layers and the task head keep their weights; the layers above are dropped.
    """
    base, stack = _encoder_layers(model)
    layers = check_int("layers", layers, 1, len(stack))
    base.encoder.layer = torch.nn.ModuleList(list(stack)[:layers])
    model.config.num_hidden_layers = layers
    return model


def reinit_pooler(model: torch.nn.Module, seed: int | None = None) -> torch.nn.Module:
    """Give the pooler (the dense layer on ``[CLS]`` that feeds the classifier) fresh random weights.

    A sentence encoder such as all-MiniLM was trained through mean pooling, so its ``[CLS]`` pooler is a leftover;
    re-initialising it, as Zhang et al. (2021) do for few-sample BERT fine-tuning, keeps short runs on a few
    hundred labels from getting stuck at the majority class. ``seed`` makes the new weights reproducible.
    """
    base, _ = _encoder_layers(model)
    pooler = getattr(base, "pooler", None)
    if pooler is None:
        raise ValueError(f"{type(model).__name__} has no pooler to re-initialise; load the encoder with a "
                         "classification head (hclib.models.load_encoder('classification'))")
    if check_int("seed", seed, minimum=0, optional=True) is not None:
        torch.manual_seed(seed)
    for module in pooler.modules():
        if isinstance(module, torch.nn.Linear):
            torch.nn.init.normal_(module.weight, std=model.config.initializer_range)
            torch.nn.init.zeros_(module.bias)
    return model


def add_lora(model: torch.nn.Module, r: int = 8, alpha: int = 16, dropout: float = 0.1,
             targets: Sequence[str] = ("query", "value"), train_also: Sequence[str] = ()):
    """Wrap ``model`` with LoRA adapters of rank ``r`` on the named attention projections.

    Only the adapters and the classification head train, plus the modules named in ``train_also`` (for
    example ``("pooler",)`` after :func:`reinit_pooler`); the returned model has the same ``forward`` as the
    original.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch Module (from hclib.models.load_encoder), got {type(model).__name__}")
    r, alpha = check_int("r (the LoRA rank)", r, minimum=1), check_int("alpha", alpha, minimum=1)
    dropout = check_number("dropout", dropout, minimum=0, maximum=1, high_open=True)
    targets = check_strings("targets", [targets] if isinstance(targets, str) else targets)
    train_also = check_strings("train_also", [train_also] if isinstance(train_also, str) else train_also, 0)
    names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    missing = [t for t in (*targets, *train_also) if t not in names]
    if missing:
        raise ValueError(f"no modules named {missing} in the model; attention projections here are named "
                         f"{sorted(n for n in names if n in ('query', 'key', 'value', 'dense'))}")
    from peft import LoraConfig, TaskType, get_peft_model

    from hclib.models import MeanPoolClassifier

    if isinstance(model, MeanPoolClassifier):  # not a Hugging Face task model: name its head to train
        task, train_also = None, ["classifier", *train_also]
    else:
        task = TaskType.TOKEN_CLS if "TokenClassification" in type(model).__name__ else TaskType.SEQ_CLS
    config = LoraConfig(task_type=task, r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=list(targets),
                        modules_to_save=list(train_also) or None)
    with warnings.catch_warnings():  # a deprecation notice between peft and transformers 5, not ours
        warnings.simplefilter("ignore", FutureWarning)
        return get_peft_model(model, config)


def tfidf_classifier(ngram_range: tuple[int, int] = (1, 2), C: float = 10.0, min_df: int = 2) -> Pipeline:
    """TF-IDF of words and bigrams, then logistic regression (unfitted scikit-learn pipeline).

    >>> clf = tfidf_classifier(min_df=1).fit(["good tea", "bad tea", "good coffee"], [1, 0, 1])
    >>> clf.predict(["good"]).tolist()
    [1]
    """
    C = check_number("C (inverse regularisation strength)", C, minimum=0, low_open=True)
    min_df = check_int("min_df", min_df, minimum=1)
    ngram_range = tuple(check_list("ngram_range", ngram_range))
    if len(ngram_range) != 2 or not 1 <= check_int("ngram_range[0]", ngram_range[0]) <= check_int(
            "ngram_range[1]", ngram_range[1]):
        raise ValueError(f"ngram_range must be (smallest, largest) n-gram sizes with 1 <= smallest <= largest, "
                         f"got {ngram_range}")
    return make_pipeline(TfidfVectorizer(ngram_range=ngram_range, min_df=min_df, sublinear_tf=True),
                         LogisticRegression(C=C, max_iter=2000))


def probe(embeddings: np.ndarray, labels: Sequence[int], C: float = 1.0, seed: int = 0) -> LogisticRegression:
    """Logistic regression on frozen sentence embeddings (a linear probe).

    >>> probe(np.eye(4), [0, 1, 0, 1]).predict(np.eye(4)).tolist()
    [0, 1, 0, 1]
    """
    embeddings = check_array("embeddings", embeddings, ndim=2)
    labels = check_array("labels", labels, ndim=1, numeric=False)
    if len(embeddings) != len(labels):
        raise ValueError(f"embeddings must have one row a label; got shape {embeddings.shape} for {len(labels)} labels")
    if len(set(labels.tolist())) < 2:
        raise ValueError("labels must hold at least two classes to train a classifier")
    C, seed = check_number("C", C, minimum=0, low_open=True), check_int("seed", seed, minimum=0)
    return LogisticRegression(C=C, max_iter=5000, random_state=seed).fit(embeddings, labels)
