import pytest

from hclib.labels import LabelStore
from hclib.widgets import LabellingTool


def test_buttons_and_simulated_annotator_share_one_path(tmp_path):
    store = LabelStore(tmp_path / "l.json", classes=("negative", "positive"))
    guesses = {i: ("positive", 0.7) for i in ("r1", "r2", "r3")}
    tool = LabellingTool(["good tea", "bad tea", "fine"], ["r1", "r2", "r3"], store, guesses=guesses)
    assert tool.current == "r1" and "model's guess" in tool.text.value
    tool.show_guess.value = False  # the switch hides the guess
    assert "model's guess" not in tool.text.value
    positive_button = tool.view.children[1].children[1]
    positive_button.click()  # what a reader's click does
    tool.answer(None, seconds=2.0)  # a simulated skip
    tool.undo()
    assert tool.current == "r2" and store.labels() == {"r1": "positive"}
    tool.keys.value = "1"  # the keyboard: 1 is the first class
    assert store.labels()["r2"] == "negative" and tool.keys.value == ""
    tool.keys.value = "u"  # undo by keyboard
    assert tool.current == "r2"
    tool.answer("negative", seconds=3.0)
    resumed = LabellingTool(["good tea", "bad tea", "fine"], ["r1", "r2", "r3"], LabelStore(tmp_path / "l.json"))
    assert resumed.current == "r3"  # a new session continues where the last stopped
    resumed.answer("positive", seconds=1.0)
    assert resumed.current is None and "All texts are labelled" in resumed.text.value
    assert store.median_seconds() is not None and "median" in resumed.status.value
    with pytest.raises(ValueError, match="nothing left to label"):
        resumed.answer("positive")


@pytest.mark.parametrize("texts,ids,match", [
    (["a", "b"], ["1"], "2 texts but 1 ids"),
    (["a", "b"], ["1", "1"], "ids must be unique"),
    (["a", "  "], ["1", "2"], "empty texts cannot be labelled"),
])
def test_bad_input(tmp_path, texts, ids, match):
    store = LabelStore(tmp_path / "l.json", classes=("no", "yes"))
    with pytest.raises(ValueError, match=match):
        LabellingTool(texts, ids, store)


def test_guesses_must_cover_every_text(tmp_path):
    store = LabelStore(tmp_path / "l.json", classes=("no", "yes"))
    with pytest.raises(ValueError, match="guesses has no entry"):
        LabellingTool(["a", "b"], ["1", "2"], store, guesses={"1": ("yes", 0.6)})
    with pytest.raises(TypeError, match="guesses must be a dict"):
        LabellingTool(["a"], ["1"], store, guesses=lambda text: ("yes", 0.6))
