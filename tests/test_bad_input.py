"""Every public function of hclib driven with generated bad and edge-case inputs (hypothesis).

For each function a call that works is written down; then one argument at a time is replaced by a
generated value (empty, length 1, wrong type or dtype, wrong shape, NaN, negative, huge, a missing file).
The call must either return a result without NaN or infinity, or raise a ValueError / TypeError /
FileNotFoundError whose message names the argument: never an error from inside torch, NumPy or pandas.
The examples are fixed (profile "hclib" in conftest.py: derandomized, a set number of examples).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from hclib import active, charenc, checkpoint, cost, crf, data, finetune, labels, lrfinder, machine  # noqa: E402
from hclib import metrics, mlm, plots, profiles, progress, record, regularise, seed, tagging, train  # noqa: E402
from hclib import experiment, heads, toplayers, tuning, validate  # noqa: E402

CLEAR = (ValueError, TypeError, FileNotFoundError)
MISSING = Path("/no/such/folder/file.json")
rng = np.random.default_rng(0)
X = rng.normal(size=(40, 3))
Y = (X[:, 0] > 0).astype(int)
VOCAB = charenc.CharVocab.build(["北京欢迎你", "我爱北京"])
TAGS3 = ["O", "B-PER", "I-PER"]
CRF = crf.CRF(TAGS3)
EMISSIONS, MASK, GOLD = torch.zeros(2, 3, 3), torch.ones(2, 3, dtype=torch.bool), torch.tensor([[0, 1, 2], [1, 2, 0]])
TOY = (torch.randn(16, 3), torch.randint(0, 2, (16,)))
LM = mlm.MaskedLM(charenc.CharTransformer(len(VOCAB), dim=8, layers=1, heads=2, max_length=16))
STAGE = dict(name="labelling", work=100 * cost.ureg.item, rate=cost.ureg("10 item / person / hour"), workers=2,
             price=None, serial_fraction=0.1, coordination=0.01)
TABLE = experiment.run_settings(lambda seed, draw, shift: {"accuracy": 0.5 + shift + 0.01 * seed},
                               {"a": {"shift": 0.0}, "b": {"shift": 0.1}}, seeds=range(3))
STATES = [torch.zeros(3, 384), torch.zeros(2, 384)]
SPACE = {"x": tuning.Param(-1.0, 1.0)}
TRACE = tuning.search(lambda p: -p["x"] ** 2, SPACE, "grid", n_trials=3)
RECORD = record.RunRecord(device="CPU", device_type="cpu", wall_seconds=2.0, train_seconds=1.0, samples=10)

# values a student passes by mistake, and edge cases
BAD = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4), st.lists(st.integers(-3, 3), max_size=3), st.lists(st.text(max_size=2), max_size=3),
    st.sampled_from([
        [], (), {}, "", " ", "x", -1, 0, 1, 10**9, 0.5, -0.5, float("nan"), float("inf"), np.int64(3), np.float32(2.0),
        np.nan, np.array([]), np.array([np.nan, 1.0]), np.zeros((2, 2)), torch.tensor([]), torch.zeros(2, 2),
        torch.tensor([float("nan")]), pd.Series([], dtype=float), pd.Series(["a", "b"]), pd.DataFrame(),
        object(), MISSING, str(MISSING), "~/no-such-file.txt", [[1, 2], [3]], [float("nan")], ["O", "X-PER"],
    ]),
)


@dataclass
class Case:
    """A public function, a call of it that works, and the words an error about each argument may use."""

    name: str
    fn: Callable
    good: dict
    names: dict = field(default_factory=dict)  # argument -> other words naming it in messages
    examples: int | None = None  # fewer examples for slow functions

    def call(self, **changes):
        plt.close("all")
        return self.fn(**{**self.good, **changes})


def _store(tmp: Path, **kwargs):
    return labels.LabelStore(tmp / "l.json", classes=("neg", "pos"), **kwargs)


def _fit(train_data=TOY, eval_data=None, **config):
    config = {"epochs": 1, "batch_size": 8, "progress": False, **config}
    return train.Trainer(torch.nn.Linear(3, 2), train.TrainConfig(**config)).fit(train_data, eval_data)


CONFIG_FIELDS = {"epochs": 1, "max_steps": None, "batch_size": 8, "grad_accum": 1, "lr": 1e-3, "weight_decay": 0.0,
                 "warmup": 0.0, "schedule": "linear", "grad_clip": 1.0, "precision": "auto", "device": "cpu",
                 "eval_every": None, "eval_batch_size": None, "monitor": "val_loss", "patience": None,
                 "restore_best": True, "group_by_length": False, "checkpoint_dir": None, "save_every": None,
                 "seed": 0, "price_per_hour": None, "progress": False}

CASES = [
    # validate
    Case("check_int", lambda name, value: validate.check_int(name, value, minimum=1), dict(name="n", value=3),
         {"value": "n"}),
    Case("check_number", lambda name, value: validate.check_number(name, value, minimum=0), dict(name="x", value=0.5),
         {"value": "x"}),
    Case("check_array", lambda name, value: validate.check_array(name, value, ndim=1), dict(name="a", value=[1.0]),
         {"value": "a"}),
    Case("check_path", lambda name, value: validate.check_path(name, value), dict(name="p", value="x.json"),
         {"value": "p"}),
    Case("check_strings", lambda name, value: validate.check_strings(name, value), dict(name="s", value=["a"]),
         {"value": "s"}),
    # active learning
    Case("margin_uncertainty", active.margin_uncertainty, dict(proba=np.array([[0.3, 0.7]]))),
    Case("select", active.select, dict(strategy="uncertainty", proba=np.array([[0.3, 0.7], [0.5, 0.5]]),
                                       features=np.zeros((2, 2)), k=1, rng=np.random.default_rng(0))),
    Case("learning_curve", active.learning_curve,
         dict(X_pool=X[:30], y_pool=Y[:30], X_test=X[30:], y_test=Y[30:], strategy="random",
              make_model=lambda: __import__("sklearn.linear_model").linear_model.LogisticRegression(), start=10,
              step=10, budget=20), examples=8),
    Case("labels_to_reach", active.labels_to_reach,
         dict(curve=pd.DataFrame({"labels": [10, 20], "accuracy": [0.6, 0.8]}), target=0.7)),
    Case("flip_labels", active.flip_labels, dict(y=Y, share=0.1)),
    # experiments
    Case("run_settings", experiment.run_settings,
         dict(run=lambda seed, draw: {"accuracy": 0.5}, settings={"a": {}}, seeds=[0, 1], draws=[0], progress=False)),
    Case("paired_differences", lambda **kw: experiment.paired_differences(**kw).drop(  # the baseline row
             index=kw["baseline"], columns=["diff", "low", "high", "sd_diff", "seeds_needed"], errors="ignore"),
         dict(table=TABLE, metric="accuracy", baseline="a", level=0.95, effect=0.01, higher_is_better=True,
              unit=("seed", "draw"))),
    Case("seeds_needed", experiment.seeds_needed, dict(sd_diff=0.01, effect=0.01, level=0.95, power=0.8)),
    Case("verdict", experiment.verdict, dict(low=-0.1, high=0.1, higher_is_better=True)),
    # heads on frozen features
    Case("HeadConfig", heads.HeadConfig, dict(hidden=8, dropout=0.1, l2=0.0, weight_decay=0.0, lr=1e-3, epochs=3,
                                              batch_size=None, patience=None, adversarial=0.0, snapshots=0,
                                              eval_every=1)),
    Case("train_head", heads.train_head, dict(x_train=X, y_train=Y, x_val=X, y_val=Y,
                                              config=heads.HeadConfig(hidden=4, epochs=2), seed=0), examples=8),
    Case("StatesDataset", toplayers.StatesDataset, dict(states=STATES, labels=[0, 1])),
    # character encoders
    Case("CharVocab", charenc.CharVocab, dict(chars=["北", "京"])),
    Case("CharVocab.build", charenc.CharVocab.build, dict(texts=["北京"], min_count=1)),
    Case("CharVocab.encode", VOCAB.encode, dict(text="北京")),
    Case("CharVocab.decode", VOCAB.decode, dict(ids=[3, 4])),
    Case("CharVocab.load", charenc.CharVocab.load, dict(path=MISSING)),
    Case("CharTransformer", charenc.CharTransformer, dict(vocab_size=10, dim=8, layers=1, heads=2, max_length=8),
         examples=8),
    Case("BiLSTMEncoder", charenc.BiLSTMEncoder, dict(vocab_size=10, embedding_dim=4, hidden=4), examples=8),
    # checkpoints
    Case("has_checkpoint", lambda folder: checkpoint.has_checkpoint(validate.check_path("folder", folder)),
         dict(folder=MISSING)),
    # cost
    Case("Stage", cost.Stage, STAGE, {"workers": "workers", "price": "price"}),
    Case("Stage.from_record", cost.Stage.from_record, dict(name="training", record=RECORD)),
    Case("project_table", cost.project_table, dict(stages=[cost.Stage(**STAGE)])),
    # CRF
    Case("bio_allows", crf.bio_allows, dict(previous="B-PER", tag="I-PER")),
    Case("allowed_transitions", crf.allowed_transitions, dict(tags=TAGS3)),
    Case("CRF", crf.CRF, dict(tags=TAGS3)),
    Case("CRF.nll", CRF.nll, dict(emissions=EMISSIONS, tags=GOLD, mask=MASK)),
    Case("CRF.decode", CRF.decode, dict(emissions=EMISSIONS, mask=MASK)),
    Case("CRF.log_partition", CRF.log_partition, dict(emissions=EMISSIONS, mask=MASK)),
    # data
    Case("bmes_to_bio", data.bmes_to_bio, dict(tags=["B-PER", "E-PER"])),
    Case("load_msra", data.load_msra, dict(split="test", scheme="bio", limit=5, path=None), examples=8),
    Case("load_peoples_daily_silver", data.load_peoples_daily_silver, dict(limit=3), examples=2),
    Case("stratified_subset", data.stratified_subset, dict(df=pd.DataFrame({"label": [0, 1] * 10}), n=4, seed=0,
                                                             label="label")),
    # fine-tuning helpers
    Case("count_parameters", finetune.count_parameters, dict(model=torch.nn.Linear(2, 2))),
    Case("tfidf_classifier", finetune.tfidf_classifier, dict(ngram_range=(1, 2), C=1.0, min_df=1)),
    Case("probe", finetune.probe, dict(embeddings=X, labels=Y)),
    # labels
    Case("LabelStore.add", lambda tmp, **kw: _store(tmp).add(**kw), dict(item="a", label="pos", seconds=1.0)),
    Case("LabelStore.next_item", lambda tmp, **kw: _store(tmp).next_item(**kw), dict(order=["a", "b"])),
    # LR range test
    Case("lr_range_test", lrfinder.lr_range_test,
         dict(model=torch.nn.Linear(3, 2), data=TOY, steps=3, batch_size=4, lr_min=1e-4, lr_max=1e-1), examples=3),
    # machine
    Case("resolve_device", machine.resolve_device, dict(device="cpu")),
    Case("HostMemoryPeak", machine.HostMemoryPeak, dict(interval=0.02)),
    # metrics
    Case("classification_summary", metrics.classification_summary, dict(y_true=[0, 1, 1], y_pred=[0, 1, 0])),
    Case("bootstrap_interval", metrics.bootstrap_interval,
         dict(y_true=[0, 1] * 5, y_pred=[0, 1] * 5, n_resamples=100), {"level": "level"}, examples=10),
    Case("mean_interval", metrics.mean_interval, dict(values=[0.8, 0.85, 0.9]), {"level": "level"}),
    Case("entity_scores", metrics.entity_scores, dict(true_tags=[["B-PER", "O"]], pred_tags=[["B-PER", "O"]]),
         {"true_tags": "gold|sentence", "pred_tags": "predicted|sentence"}),
    # masked-language-model pre-training
    Case("mask_tokens", mlm.mask_tokens, dict(input_ids=torch.tensor([[3, 4, 5]]), vocab_size=10)),
    Case("MaskedTextDataset", mlm.MaskedTextDataset, dict(texts=["北京欢迎你"], vocab=VOCAB, max_length=4)),
    Case("fill_blanks", mlm.fill_blanks, dict(model=LM, vocab=VOCAB, text="北□", k=2), {"text": "blank"}),
    Case("load_masked_lm", mlm.load_masked_lm, dict(folder=MISSING), {"folder": "pre-trained model"}),
    Case("sha256", mlm.sha256, dict(path=MISSING)),
    # plots
    Case("learning_curves", plots.learning_curves, dict(history=[{"epoch": 1, "train_loss": 1.0}], metrics=("loss",))),
    Case("confusion_matrix", plots.confusion_matrix, dict(y_true=[0, 1], y_pred=[0, 1], names=["a", "b"]),
         {"y_true": "labels", "y_pred": "labels"}, examples=8),
    Case("pareto_front", plots.pareto_front, dict(costs=[1.0, 2.0], scores=[0.5, 0.7])),
    Case("pareto_plot", plots.pareto_plot, dict(costs=[1.0, 2.0], scores=[0.5, 0.7], labels=["a", "b"]), examples=8),
    # profiles, progress, records, seeds
    Case("sizes", profiles.sizes, dict(ci={"n": 1}, cpu={"n": 2}, gpu={"n": 3})),
    Case("progress_bar", progress.progress_bar, dict(total=3, show=False)),
    Case("RunRecord", record.RunRecord, dict(device="CPU", device_type="cpu", wall_seconds=1.0, samples=3)),
    Case("RunRecord.load", record.RunRecord.load, dict(path=MISSING)),
    Case("measure", record.measure, dict(fn=lambda: 1, samples=1, repeats=1, memory=True)),
    Case("seed_everything", seed.seed_everything, dict(seed=0, deterministic=False)),
    Case("set_rng_state", seed.set_rng_state, dict(state=seed.rng_state())),
    # regularisers
    Case("random_deletion", regularise.random_deletion, dict(text="the tea was good", p=0.2)),
    Case("random_swap", regularise.random_swap, dict(text="the tea was good", n_swaps=2)),
    Case("FGM", regularise.FGM, dict(epsilon=1.0)),
    # tagging
    Case("TaggingDataset", tagging.TaggingDataset,
         dict(sentences=[["北", "京"]], tags=[["B-PER", "I-PER"]], vocab=VOCAB, tag_names=tagging.TAGS),
         {"sentences": "sentence", "tags": "tag", "tag_names": "tag"}),
    Case("Tagger", tagging.Tagger, dict(encoder=charenc.BiLSTMEncoder(10, 4, 4), tag_names=TAGS3, dropout=0.1),
         {"tag_names": "tag"}),
    Case("invalid_sequences", tagging.invalid_sequences, dict(tag_paths=[["B-PER", "I-PER"]]),
         {"tag_paths": "sentence|tag"}),
    Case("entity_spans", tagging.entity_spans, dict(tags=["B-PER", "I-PER"])),
    Case("span_f1", tagging.span_f1, dict(gold=[{("PER", 0, 2)}], pred=[set()])),
    Case("error_kinds", tagging.error_kinds, dict(gold=[["B-PER", "O"]], pred=[["O", "O"]]),
         {"gold": "true_tags|sentence", "pred": "pred_tags|sentence"}),
    # hyper-parameter search
    Case("Param", tuning.Param, dict(low=0.01, high=1.0, log=True, integer=False)),
    Case("Param.levels", tuning.Param(0.0, 1.0).levels, dict(k=3), {"k": "k (grid levels)"}),
    Case("grid_levels", tuning.grid_levels, dict(space=SPACE, n_trials=4)),
    Case("search", tuning.search, dict(objective=lambda p: -p["x"] ** 2, space=SPACE, method="random", n_trials=3,
                                       seed=0), examples=20),
    Case("best_setting", tuning.best_setting, dict(trace=TRACE)),
    # the trainer
    Case("TrainConfig", train.TrainConfig, CONFIG_FIELDS,
         {"device": "device", "checkpoint_dir": "checkpoint_dir|file path"}),
    Case("Trainer.fit", _fit, dict(train_data=TOY, eval_data=None),
         {"eval_data": "eval_data|monitor|names"}, examples=4),
    Case("accuracy", train.accuracy, dict(logits=torch.zeros(2, 2), labels=torch.tensor([0, 1])),
         {"logits": "labels|logits|argmax", "labels": "labels"}),
]


def _finite(result) -> bool:
    """No NaN or infinity anywhere in a result."""
    if isinstance(result, (float, np.floating)):
        return math.isfinite(result)
    if isinstance(result, np.ndarray) and result.dtype.kind == "f":
        return bool(np.isfinite(result).all())
    if isinstance(result, torch.Tensor) and result.is_floating_point():
        return bool(torch.isfinite(result).all())
    if isinstance(result, pd.DataFrame):  # the total row of project_table has no workers
        return _finite(result.select_dtypes("number").drop(columns=["workers"], errors="ignore").to_numpy(float))
    if isinstance(result, dict):
        return all(_finite(v) for v in result.values())
    if isinstance(result, (list, tuple)):
        return all(_finite(v) for v in result)
    return True


def check(case: Case, argument: str, value, **extra) -> None:
    try:
        result = case.call(**{argument: value}, **extra)
    except CLEAR as e:
        words = "|".join([argument, argument.removesuffix("s"), case.names.get(argument, argument)])
        assert any(w and w in str(e) for w in words.split("|")), \
            f"{case.name}({argument}={value!r}): the message does not name {argument}: {e}"
        return
    except Exception as e:  # noqa: BLE001 - the point of the test
        pytest.fail(f"{case.name}({argument}={value!r}) raised {type(e).__name__} from inside: {e}")
    finally:
        plt.close("all")
    assert _finite(result), f"{case.name}({argument}={value!r}) returned NaN or infinity: {result!r}"


PAIRS = [(case, argument) for case in CASES for argument in case.good]


@pytest.mark.parametrize("case,argument", PAIRS, ids=[f"{c.name}-{a}" for c, a in PAIRS])
def test_bad_argument_is_refused_clearly_or_handled(case, argument, tmp_path_factory):
    extra = {"tmp": tmp_path_factory.mktemp("store")} if case.name.startswith("LabelStore") else {}

    @settings(max_examples=case.examples or settings.default.max_examples)
    @given(value=BAD)
    def run(value):
        check(case, argument, value, **extra)

    run()


def test_the_good_calls_work(tmp_path):
    for case in CASES:
        if case.name in ("CharVocab.load", "has_checkpoint", "load_masked_lm", "sha256", "RunRecord.load"):
            continue  # their good call is the missing file: checked above
        extra = {"tmp": tmp_path} if case.name.startswith("LabelStore") else {}
        assert _finite(case.call(**extra)), case.name


@given(ops=st.lists(st.tuples(st.sampled_from(["add", "skip", "undo"]), st.integers(0, 1),
                              st.sampled_from(["a", "b", "c"])), max_size=12))
def test_label_stores_on_one_file_agree_with_a_model(ops, tmp_path_factory):
    """Two stores on one file, operations in any order: the file holds exactly what a model of them says."""
    path = tmp_path_factory.mktemp("labels") / "l.json"
    stores = [labels.LabelStore(path, classes=("neg", "pos")), labels.LabelStore(path)]
    model: list[tuple[int, str, str | None]] = []  # (store, item, label)
    for op, who, item in ops:
        if op == "undo":
            stores[who].undo()
            own = [i for i, r in enumerate(model) if r[0] == who]
            if own:  # a store takes back its own last decision, else (a resumed session) the file's last
                model.pop(own[-1])
            elif model:
                model.pop()
        else:
            label = "pos" if op == "add" else None
            (stores[who].add(item, "pos") if op == "add" else stores[who].skip(item))
            model.append((who, item, label))
    expected = {}
    for _, item, label in model:
        if label is not None:
            expected[item] = label
    assert labels.LabelStore(path).labels() == expected
    assert not [p for p in path.parent.iterdir() if p.suffix == ".tmp"]


@given(text=st.text(min_size=1, max_size=30).filter(str.strip), p=st.floats(0, 0.99))
def test_augmentation_keeps_at_least_one_word(text, p):
    out = regularise.random_deletion(text, p=p, rng=random.Random(0))
    assert out and set(out.split()) <= set(text.split())


@given(lengths=st.lists(st.integers(1, 5), min_size=1, max_size=4), seed_=st.integers(0, 3))
def test_crf_loss_is_finite_for_any_valid_batch(lengths, seed_):
    torch.manual_seed(seed_)
    width = max(lengths)
    mask = torch.arange(width).expand(len(lengths), width) < torch.tensor(lengths).unsqueeze(1)
    tags = torch.zeros(len(lengths), width, dtype=torch.long)  # all O: valid BIO
    loss = CRF.nll(torch.randn(len(lengths), width, 3), tags, mask)
    assert torch.isfinite(loss) and loss >= 0
