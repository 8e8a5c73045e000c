import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from hclib.record import RunRecord
from hclib.sampler import EpochSampler
from hclib.train import Callback, TrainConfig, Trainer


def toy_data(n=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=g)
    y = (x[:, 0] - x[:, 1] > 0).long()
    return TensorDataset(x, y)


def toy_model(dropout=0.1, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Dropout(dropout),
                               torch.nn.Linear(16, 2))


def flat_weights(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_learns_a_separable_problem():
    trainer = Trainer(toy_model(), TrainConfig(epochs=10, batch_size=32, lr=2e-2, progress=False))
    record = trainer.fit(toy_data(), toy_data(128, seed=1))
    assert record.history[-1]["val_accuracy"] > 0.9
    assert record.steps == 10 * 8
    assert record.samples == 10 * 256
    assert record.trainable_params == 8 * 16 + 16 + 16 * 2 + 2


def test_same_seed_same_weights():
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        trainer = Trainer(toy_model(), TrainConfig(epochs=2, batch_size=16, progress=False))
        trainer.fit(toy_data())
        runs.append(flat_weights(trainer.model))
    assert torch.equal(runs[0], runs[1])


class Crash(Callback):
    def __init__(self, at_step):
        self.at_step = at_step

    def on_step_end(self, trainer, loss):
        if trainer.step == self.at_step:
            raise RuntimeError("simulated crash")


def test_resume_after_crash_gives_identical_weights(tmp_path):
    config = dict(epochs=3, batch_size=16, grad_accum=2, lr=5e-3, warmup=0.2, progress=False)
    data, val = toy_data(200), toy_data(64, seed=3)

    torch.manual_seed(1)
    straight = Trainer(toy_model(), TrainConfig(**config))
    straight.fit(data, val)

    torch.manual_seed(1)
    crashing = Trainer(toy_model(), TrainConfig(**config, checkpoint_dir=str(tmp_path / "ckpt"), save_every=3),
                       callbacks=[Crash(at_step=10)])
    with pytest.raises(RuntimeError, match="simulated crash"):
        crashing.fit(data, val)
    state = json.loads((tmp_path / "ckpt" / "trainer_state.json").read_text())
    assert state["step"] == 9  # the last checkpoint before the crash

    torch.manual_seed(123)  # a different process state: everything must come from the checkpoint
    resumed = Trainer(toy_model(seed=99), TrainConfig(**config, checkpoint_dir=str(tmp_path / "ckpt"), save_every=3))
    record = resumed.fit(data, val)
    assert record.steps == straight.step
    assert torch.equal(flat_weights(resumed.model), flat_weights(straight.model))
    assert [h["val_loss"] for h in resumed.history] == [h["val_loss"] for h in straight.history]


def test_checkpoint_is_safetensors_and_weights_only(tmp_path):
    trainer = Trainer(toy_model(), TrainConfig(epochs=1, batch_size=32, progress=False,
                                               checkpoint_dir=str(tmp_path / "c")))
    trainer.fit(toy_data())
    files = sorted(p.name for p in (tmp_path / "c").iterdir())
    assert "model.safetensors" in files and "trainer_state.json" in files
    for name in files:
        if name.endswith(".pt"):
            torch.load(tmp_path / "c" / name, weights_only=True)  # must not need pickle


def test_checkpoint_from_other_settings_is_refused(tmp_path):
    folder = str(tmp_path / "c")
    Trainer(toy_model(), TrainConfig(epochs=1, progress=False, checkpoint_dir=folder)).fit(toy_data())
    other = Trainer(toy_model(), TrainConfig(epochs=1, lr=0.5, progress=False, checkpoint_dir=folder))
    with pytest.raises(ValueError, match="other settings"):
        other.fit(toy_data())


def test_early_stopping_restores_best():
    class Worsen(Callback):  # pretend validation gets worse after the first evaluation
        def on_evaluate(self, trainer, metrics):
            metrics["val_loss"] = trainer.step

    trainer = Trainer(toy_model(), TrainConfig(epochs=20, batch_size=64, eval_every=1, patience=2,
                                               progress=False), callbacks=[Worsen()])
    record = trainer.fit(toy_data(), toy_data(64, seed=2))
    assert record.steps == 3
    assert record.best["step"] == 1


def test_eval_sets_are_named():
    trainer = Trainer(toy_model(), TrainConfig(epochs=1, batch_size=64, progress=False))
    record = trainer.fit(toy_data(), {"val": toy_data(64, seed=1), "train_eval": toy_data(64)})
    assert {"val_loss", "val_accuracy", "train_eval_loss", "train_eval_accuracy"} <= set(record.history[0])


def test_length_grouped_sampler_is_a_permutation_and_groups():
    lengths = [i % 97 for i in range(1000)]
    sampler = EpochSampler(1000, seed=0, batch_size=10, lengths=lengths)
    order = list(sampler)
    assert sorted(order) == list(range(1000))
    spreads = [max(lengths[i] for i in order[s:s + 10]) - min(lengths[i] for i in order[s:s + 10])
               for s in range(0, 1000, 10)]
    assert sum(spreads) / len(spreads) < 10  # random batches would spread about 85
    sampler.set_epoch(1)
    assert list(sampler) != order


def test_length_sorted_prediction_keeps_the_data_order():
    from hclib.charenc import BiLSTMEncoder, CharVocab
    from hclib.tagging import TAGS, Tagger, TaggingDataset

    sentences = [list("我在北京工作了很多年"), list("马云"), list("联合国开会"), list("上海")]
    tags = [["O", "O", "B-LOC", "I-LOC"] + ["O"] * 6, ["B-PER", "I-PER"], ["B-ORG", "I-ORG", "I-ORG", "O", "O"],
            ["B-LOC", "I-LOC"]]
    vocab = CharVocab.build(sentences)
    data = TaggingDataset(sentences, tags, vocab)
    torch.manual_seed(0)
    tagger = Tagger(BiLSTMEncoder(len(vocab), 8, 8), TAGS).eval()
    outputs = []
    for grouped in (False, True):
        trainer = Trainer(tagger, TrainConfig(batch_size=1, group_by_length=grouped, progress=False))
        outputs.append(trainer.predict(data))
    (plain, plain_labels, plain_loss), (grouped, grouped_labels, grouped_loss) = outputs
    real = plain_labels != -100  # padding differs between the batchings; real characters must not
    assert torch.equal(plain_labels, grouped_labels)
    assert torch.allclose(plain[real], grouped[real], atol=1e-6) and abs(plain_loss - grouped_loss) < 1e-6


def test_record_round_trip(tmp_path):
    record = Trainer(toy_model(), TrainConfig(epochs=1, progress=False)).fit(toy_data())
    path = record.save(tmp_path / "run.json")
    again = RunRecord.load(path)
    assert again == record and again.cost > 0


def test_two_cpu_processes_match_one(tmp_path):
    """Data parallel through Accelerate: 2 processes, half the batch each, same global batch."""
    script = Path(__file__).with_name("ddp_script.py")
    single = tmp_path / "one.json"
    double = tmp_path / "two.json"
    subprocess.run([sys.executable, str(script), str(single)], check=True, timeout=300)
    # `--multi_gpu` selects Accelerate's torchrun launcher; on a machine without CUDA the
    # processes run on the CPU with the gloo backend (Accelerate's MULTI_CPU mode).
    subprocess.run([sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
                    "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
                    str(script), str(double)], check=True, timeout=300)
    one, two = json.loads(single.read_text()), json.loads(double.read_text())
    assert two["num_processes"] == 2 and one["num_processes"] == 1
    assert max(abs(a - b) for a, b in zip(one["weights"], two["weights"])) < 1e-5
    assert abs(one["val_loss"] - two["val_loss"]) < 1e-5


@pytest.mark.gpu
def test_gpu_bf16_placement():
    trainer = Trainer(toy_model(), TrainConfig(epochs=1, progress=False))
    assert trainer.precision == "bf16"
    assert next(trainer.model.parameters()).device.type == "cuda"
    record = trainer.fit(toy_data(), toy_data(64, seed=1))
    assert record.peak_device_mb > 0 and record.device_type == "cuda"


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(epochs=0), ValueError, "TrainConfig.epochs must be an integer >= 1"),
    (dict(batch_size=2.5), TypeError, "TrainConfig.batch_size must be an integer"),
    (dict(grad_accum=0), ValueError, "TrainConfig.grad_accum must be an integer >= 1"),
    (dict(max_steps=-1), ValueError, "TrainConfig.max_steps must be an integer >= 1"),
    (dict(lr=0), ValueError, "TrainConfig.lr must be a finite number > 0"),
    (dict(lr=float("nan")), ValueError, "TrainConfig.lr must be a finite number > 0"),
    (dict(weight_decay=-0.1), ValueError, "TrainConfig.weight_decay must be a finite number >= 0"),
    (dict(warmup=1.0), ValueError, "TrainConfig.warmup must be a finite number >= 0 and < 1"),
    (dict(grad_clip=0), ValueError, "TrainConfig.grad_clip must be a finite number > 0"),
    (dict(price_per_hour=-1.0), ValueError, "TrainConfig.price_per_hour must be a finite number >= 0"),
    (dict(monitor=""), ValueError, "TrainConfig.monitor must be a non-empty string"),
    (dict(progress="yes"), TypeError, "TrainConfig.progress must be True or False"),
    (dict(schedule="step"), ValueError, "schedule='step'"),
    (dict(precision="fp8"), ValueError, "precision='fp8'"),
    (dict(device="tpu"), ValueError, "unknown device"),
])
def test_bad_config(kwargs, error, match):
    with pytest.raises(error, match=match):
        TrainConfig(**kwargs)


def test_config_takes_numpy_numbers():
    config = TrainConfig(epochs=np.int64(2), lr=np.float32(0.5), checkpoint_dir="~/ckpt")
    assert type(config.epochs) is int and type(config.lr) is float and "~" not in config.checkpoint_dir


def test_bad_training_input():
    with pytest.raises(ValueError, match="no trainable parameters"):
        model = toy_model()
        model.requires_grad_(False)
        Trainer(model, TrainConfig(progress=False))
    trainer = Trainer(toy_model(), TrainConfig(progress=False))
    with pytest.raises(ValueError, match="train_data is empty"):
        trainer.fit(TensorDataset(torch.zeros(0, 8), torch.zeros(0).long()))
    with pytest.raises(ValueError, match="train_data is empty"):
        trainer.fit((torch.zeros(0, 8), torch.zeros(0).long()))
    with pytest.raises(ValueError, match=r"train_data\[0\] has 4, train_data\[1\] has 3"):
        trainer.fit((torch.zeros(4, 8), torch.zeros(3).long()))
    with pytest.raises(ValueError, match="NaN"):
        trainer.fit((torch.full((4, 8), float("nan")), torch.zeros(4).long()))
    with pytest.raises(TypeError, match="train_data must be a torch Dataset or a tuple"):
        trainer.fit(42)
    with pytest.raises(TypeError, match="labels must be integer class ids"):
        trainer.fit((torch.zeros(4, 8), torch.zeros(4)))
    with pytest.raises(ValueError, match="labels must be class ids from 0 to 1"):
        trainer.fit((torch.zeros(4, 8), torch.full((4,), 5)))
    assert trainer.step == 0


def test_numpy_arrays_train_like_tensors():
    data = toy_data(64)
    x, y = data.tensors[0].numpy().astype(np.float64), data.tensors[1].numpy()
    trainer = Trainer(toy_model(), TrainConfig(epochs=1, batch_size=32, progress=False))
    assert trainer.fit((x, y)).steps == 2


def test_second_fit_is_refused_not_silent():
    trainer = Trainer(toy_model(), TrainConfig(epochs=1, batch_size=64, progress=False))
    assert trainer.fit(toy_data()).steps == 4
    with pytest.raises(ValueError, match="finished its run"):
        trainer.fit(toy_data())


def test_monitor_and_patience_must_be_usable():
    def fit(eval_data=None, **kwargs):
        Trainer(toy_model(), TrainConfig(epochs=1, batch_size=64, progress=False, **kwargs)).fit(toy_data(), eval_data)

    with pytest.raises(ValueError, match="names no evaluation set"):
        fit(toy_data(64), monitor="dev_accuracy")
    with pytest.raises(ValueError, match="'val_f1' is not among the evaluation's metrics"):
        fit(toy_data(64), monitor="val_f1")
    with pytest.raises(ValueError, match="patience needs evaluation data"):
        fit(patience=2)
    fit(monitor="val_accuracy")  # without evaluation data, monitor is unused (a chapter relies on this)


def test_checkpoint_of_another_model_is_refused_before_loading(tmp_path):
    folder = str(tmp_path / "c")
    Trainer(toy_model(), TrainConfig(epochs=1, progress=False, checkpoint_dir=folder)).fit(toy_data())
    wider = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
    before = flat_weights(wider)
    other = Trainer(wider, TrainConfig(epochs=1, progress=False, checkpoint_dir=folder))
    with pytest.raises(ValueError, match="weights of another model"):
        other.fit(toy_data())
    assert torch.equal(flat_weights(wider), before) and other.step == 0  # nothing was loaded


@pytest.mark.parametrize("damage,error,match", [
    (lambda f: (f / "optimizer.pt").unlink(), FileNotFoundError, "incomplete: optimizer.pt missing"),
    (lambda f: (f / "rng_0.pt").unlink(), FileNotFoundError, "incomplete: rng_0.pt missing"),
    (lambda f: (f / "trainer_state.json").write_text('{"step": 1'), ValueError, "not readable as a trainer checkpoint"),
    (lambda f: (f / "model.safetensors").write_bytes((f / "model.safetensors").read_bytes()[:100]), ValueError,
     "model.safetensors cannot be read"),
    (lambda f: (f / "optimizer.pt").write_bytes(b"junk"), ValueError, "optimizer.pt cannot be read"),
])
def test_damaged_checkpoint_is_named(tmp_path, damage, error, match):
    folder = tmp_path / "c"
    Trainer(toy_model(), TrainConfig(epochs=1, progress=False, checkpoint_dir=str(folder))).fit(toy_data())
    damage(folder)
    model = toy_model(seed=5)
    before = flat_weights(model)
    with pytest.raises(error, match=match):
        Trainer(model, TrainConfig(epochs=1, progress=False, checkpoint_dir=str(folder))).fit(toy_data())
    assert torch.equal(flat_weights(model), before)


def test_checkpoint_dir_with_other_files_is_not_overwritten(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="holds other files"):
        Trainer(toy_model(), TrainConfig(epochs=1, progress=False, checkpoint_dir=str(tmp_path))).fit(toy_data())
    assert (tmp_path / "notes.txt").read_text() == "mine"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU message")
def test_fp16_on_cpu_is_refused_and_bf16_autocasts():
    with pytest.raises(ValueError, match="needs a GPU"):
        Trainer(toy_model(), TrainConfig(precision="fp16", progress=False))
    Trainer(toy_model(), TrainConfig(precision="fp32", device="cpu", progress=False))  # fixes the state first
    trainer = Trainer(toy_model(), TrainConfig(precision="bf16", device="cpu", epochs=1, progress=False))
    assert trainer.precision == "bf16" and trainer.fit(toy_data()).precision == "bf16"
    assert Trainer(toy_model(), TrainConfig(precision="fp32", device="cpu", progress=False)).precision == "fp32"


def test_bad_record_file(tmp_path):
    path = tmp_path / "r.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not readable as a run record"):
        RunRecord.load(path)
