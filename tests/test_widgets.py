import pytest

from hclib.labels import LabelStore
from hclib.widgets import LabellingTool


def test_buttons_and_simulated_annotator_share_one_path(tmp_path):
    store = LabelStore(tmp_path / "l.json", classes=("negative", "positive"))
    tool = LabellingTool(["good tea", "bad tea", "fine"], ["r1", "r2", "r3"], store,
                         guess=lambda text: ("positive", 0.7))
    assert tool.current == "r1" and "model's guess" in tool.text.value
    positive_button = tool.view.children[1].children[1]
    positive_button.click()  # what a reader's click does
    tool.answer(None, seconds=2.0)  # a simulated skip
    tool.undo()
    assert tool.current == "r2" and store.labels() == {"r1": "positive"}
    tool.answer("negative", seconds=3.0)
    resumed = LabellingTool(["good tea", "bad tea", "fine"], ["r1", "r2", "r3"], LabelStore(tmp_path / "l.json"))
    assert resumed.current == "r3"  # a new session continues where the last stopped
    resumed.answer("positive", seconds=1.0)
    assert resumed.current is None and "All texts are labelled" in resumed.text.value
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
