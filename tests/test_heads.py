import numpy as np
import pytest
import torch

from hclib.heads import HeadConfig, cached_embeddings, train_head


def data(n=60, width=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, width)).astype(np.float32)
    y = (x[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(int)
    return x, y


def test_an_unregularised_head_memorises_noise():
    x, y = data()
    y = np.random.default_rng(1).integers(0, 2, len(y))  # labels unrelated to the features
    run = train_head(x, y, x[:10], y[:10], HeadConfig(hidden=64, epochs=200))
    assert run.history[-1]["train_accuracy"] == 1.0


def test_strong_regularisers_stop_fitting():
    x, y = data()
    for config in (HeadConfig(l2=100.0), HeadConfig(weight_decay=1000.0), HeadConfig(dropout=0.99)):
        config.epochs = 60
        run = train_head(x, y, x, y, config)
        assert run.history[-1]["train_accuracy"] < 0.9, config


def test_coupled_l2_and_decoupled_decay_differ_under_adam():
    x, y = data()
    l2 = train_head(x, y, x, y, HeadConfig(l2=0.1, epochs=20)).model.state_dict()
    wd = train_head(x, y, x, y, HeadConfig(weight_decay=0.1, epochs=20)).model.state_dict()
    assert not torch.allclose(l2["net.1.weight"], wd["net.1.weight"], atol=1e-4)


def test_early_stopping_restores_the_best_validation_epoch():
    x, y = data()
    xv, yv = data(seed=5)
    run = train_head(x, y, xv, yv, HeadConfig(patience=3, epochs=200))
    losses = [h["val_loss"] for h in run.history]
    assert run.best_epoch == int(np.argmin(losses)) + 1
    assert len(run.history) == run.best_epoch + 3 or len(run.history) == 200
    probs = run.predict_proba(xv)
    loss = torch.nn.functional.nll_loss(torch.log(torch.as_tensor(probs)), torch.as_tensor(yv)).item()
    assert loss == pytest.approx(min(losses), rel=1e-4)


def test_seed_fixes_the_run_and_snapshots_average():
    x, y = data()
    a = train_head(x, y, x, y, HeadConfig(epochs=10, dropout=0.2, adversarial=1.0), seed=3)
    b = train_head(x, y, x, y, HeadConfig(epochs=10, dropout=0.2, adversarial=1.0), seed=3)
    assert np.allclose(a.predict_proba(x), b.predict_proba(x))
    run = train_head(x, y, x, y, HeadConfig(epochs=20, snapshots=4, eval_every=5))
    assert len(run.snapshot_states) == 4 and [h["epoch"] for h in run.history] == [5, 10, 15, 20]
    assert np.allclose(run.predict_proba(x).sum(1), 1.0, atol=1e-6)


def test_bad_settings_are_named():
    x, y = data()
    with pytest.raises(ValueError, match="HeadConfig.dropout"):
        HeadConfig(dropout=1.0)
    with pytest.raises(ValueError, match="snapshots and patience"):
        HeadConfig(snapshots=2, patience=3)
    with pytest.raises(ValueError, match="y_train"):
        train_head(x, y[:-1], x, y)
    with pytest.raises(ValueError, match="columns"):
        train_head(x, y, x[:, :5], y)
    with pytest.raises(ValueError, match="two classes"):
        train_head(x, np.zeros(len(y), int), x, y)


def test_embeddings_are_cached_by_content(tmp_path):
    texts = ["a fine tea", "stale and bitter"]
    first = cached_embeddings(texts, tmp_path, max_length=16)
    assert first.shape == (2, 384) and len(list(tmp_path.glob("*.npy"))) == 1
    again = cached_embeddings(texts, tmp_path, max_length=16)
    assert np.array_equal(first, again) and len(list(tmp_path.glob("*.npy"))) == 1
    cached_embeddings(["a fine tea"], tmp_path, max_length=16)
    assert len(list(tmp_path.glob("*.npy"))) == 2
    with pytest.raises(TypeError, match="texts"):
        cached_embeddings([], tmp_path)
