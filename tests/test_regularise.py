import random

import pytest
import torch

from hclib.regularise import FGM, random_deletion, random_swap
from hclib.train import TrainConfig, Trainer


def test_augmentations_keep_the_words():
    text = "the tea was fresh and the price was fair"
    deleted = random_deletion(text, p=0.3, rng=random.Random(1))
    assert set(deleted.split()) <= set(text.split()) and len(deleted.split()) < len(text.split())
    swapped = random_swap(text, n_swaps=2, rng=random.Random(1))
    assert sorted(swapped.split()) == sorted(text.split()) and swapped != text
    assert random_deletion("tea", p=0.99, rng=random.Random(0)) == "tea"


class TinyText(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.word_embeddings = torch.nn.Embedding(20, 8)
        self.head = torch.nn.Linear(8, 2)

    def forward(self, input_ids, labels):
        logits = self.head(self.word_embeddings(input_ids).mean(1))
        return {"loss": torch.nn.functional.cross_entropy(logits, labels), "logits": logits}


class DictData(torch.utils.data.Dataset):
    def __init__(self, n=64):
        g = torch.Generator().manual_seed(0)
        self.ids = torch.randint(0, 20, (n, 6), generator=g)
        self.labels = (self.ids[:, 0] < 10).long()

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "labels": self.labels[i]}


def train(callbacks):
    torch.manual_seed(0)
    trainer = Trainer(TinyText(), TrainConfig(epochs=2, batch_size=16, lr=1e-2, progress=False), callbacks=callbacks)
    trainer.fit(DictData())
    return trainer


def test_fgm_changes_training_and_restores_embeddings():
    plain, adversarial = train([]), train([FGM(epsilon=0.5)])
    w_plain = plain.accelerator.unwrap_model(plain.model).word_embeddings.weight
    w_adv = adversarial.accelerator.unwrap_model(adversarial.model).word_embeddings.weight
    assert not torch.allclose(w_plain, w_adv)  # the extra gradients changed the path
    assert torch.isfinite(w_adv).all()


@pytest.mark.parametrize("call,match", [
    (lambda: random_deletion("tea", p=1.0), r"p \(a probability\) must be a finite number >= 0 and < 1"),
    (lambda: random_deletion("   "), "non-empty string"),
    (lambda: random_swap("a b", n_swaps=-1), "n_swaps must be an integer from 0 to 10000"),
    (lambda: FGM(epsilon=0), "epsilon must be a finite number > 0"),
    (lambda: train([FGM(embedding_name="no_such")]), "expected one trainable parameter"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_fgm_step_adds_gradients_and_puts_embeddings_back():
    torch.manual_seed(0)
    trainer = Trainer(TinyText(), TrainConfig(progress=False))
    data = DictData(8)
    batch = {"input_ids": data.ids, "labels": data.labels}
    model = trainer.accelerator.unwrap_model(trainer.model)
    before = model.word_embeddings.weight.detach().clone()
    loss, _, _ = trainer.loss_fn(trainer.model, batch)
    trainer.accelerator.backward(loss)
    clean_grad = model.word_embeddings.weight.grad.clone()
    FGM(epsilon=0.5).on_backward(trainer, batch)
    assert torch.equal(model.word_embeddings.weight.detach(), before)
    assert not torch.equal(model.word_embeddings.weight.grad, clean_grad)


def test_snapshot_ensemble_keeps_one_snapshot_per_evaluation():
    from torch.utils.data import TensorDataset

    from hclib.regularise import SnapshotEnsemble

    torch.manual_seed(0)
    data = TensorDataset(torch.randn(32, 4), torch.randint(0, 2, (32,)))
    snapshots = SnapshotEnsemble(data)
    with pytest.raises(ValueError, match="no snapshots"):
        snapshots.average()
    Trainer(torch.nn.Linear(4, 2), TrainConfig(epochs=3, batch_size=8, progress=False),
            callbacks=[snapshots]).fit(data, data)
    assert len(snapshots.snapshots) == 3
    mean = snapshots.average(last=2)
    assert mean.shape == (32, 2) and torch.allclose(mean, (snapshots.snapshots[1] + snapshots.snapshots[2]) / 2)
    with pytest.raises(ValueError, match="from 1 to 3"):
        snapshots.average(last=4)
