import matplotlib

matplotlib.use("Agg")
import pytest  # noqa: E402

from hclib.plots import confusion_matrix, learning_curves, pareto_front, pareto_plot, use_style  # noqa: E402


def test_plots_draw():
    use_style()
    history = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e, "val_accuracy": 0.5 + e / 10} for e in (1, 2)]
    ax = learning_curves(history, metrics=("loss",))
    assert len(ax.lines) == 2
    ax = confusion_matrix([0, 1, 1], [0, 1, 0], names=["a", "b"])
    assert ax.get_xlabel() == "Predicted label"
    ax = pareto_plot([1, 10, 100], [0.8, 0.79, 0.86], ["a", "b", "c"])
    assert ax.get_xscale() == "log"


def test_pareto_front_keeps_undominated():
    assert pareto_front([5, 1, 3, 2], [0.9, 0.7, 0.8, 0.6]).tolist() == [1, 2, 0]


@pytest.mark.parametrize("call,match", [
    (lambda: learning_curves([]), "history is empty"),
    (lambda: learning_curves([{"epoch": 1, "train_loss": 1.0}], metrics=("f1",)), "no '\\*_f1' column"),
    (lambda: pareto_front([1, 2], [0.5]), "one length"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_style_draws_chinese_with_a_cjk_fallback(recwarn):
    import matplotlib.pyplot as plt

    from hclib.plots import cjk_families

    use_style()
    if not cjk_families():
        pytest.skip("no Chinese font installed (scripts/setup.sh installs fonts-wqy-microhei on Debian)")
    fig, ax = plt.subplots()
    ax.set_title("命名实体识别 (NER)")
    fig.canvas.draw()
    plt.close(fig)
    assert not [w for w in recwarn if "missing from font" in str(w.message)]
