import json

import pytest

import hclib.labels as labels_module
from hclib.labels import LabelStore

CLASSES = ("negative", "positive")


def test_add_skip_undo_and_resume(tmp_path):
    path = tmp_path / "labels.json"
    store = LabelStore(path, classes=CLASSES)
    store.add("a", "positive", seconds=3.0)
    store.skip("b", seconds=1.0)
    store.add("c", "negative", seconds=5.0)
    assert store.undo()["item"] == "c"
    again = LabelStore(path)  # a new session
    assert again.labels() == {"a": "positive"} and again.seen() == {"a", "b"}
    assert again.next_item(["a", "b", "c", "d"]) == "c"
    assert again.seconds_per_label() == 3.0


def test_interrupted_save_leaves_the_file_valid(tmp_path, monkeypatch):
    path = tmp_path / "labels.json"
    store = LabelStore(path, classes=CLASSES)
    store.add("a", "positive", 2.0)

    def half_then_crash(data, f, **kwargs):
        f.write(json.dumps(data)[:10])  # a partial write, then the power goes
        raise KeyboardInterrupt

    monkeypatch.setattr(labels_module.json, "dump", half_then_crash)
    with pytest.raises(KeyboardInterrupt):
        store.add("b", "negative", 1.0)
    monkeypatch.undo()
    assert LabelStore(path).labels() == {"a": "positive"}
    assert [p.name for p in tmp_path.iterdir()] == ["labels.json"]  # no temporary file left behind


@pytest.mark.parametrize("call,match", [
    (lambda s: s.add("x", "neutral"), "unknown label 'neutral'"),
    (lambda s: s.add("", "positive"), "item must be a non-empty string"),
    (lambda s: s.add("x", "positive", seconds=-1), "seconds must be a non-negative"),
])
def test_bad_labels(tmp_path, call, match):
    with pytest.raises(ValueError, match=match):
        call(LabelStore(tmp_path / "l.json", classes=CLASSES))


def test_bad_files(tmp_path):
    with pytest.raises(ValueError, match="at least two distinct class names"):
        LabelStore(tmp_path / "new.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="not a label file"):
        LabelStore(broken)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"some": "thing"}))
    with pytest.raises(ValueError, match="not an hclib label file"):
        LabelStore(other)
    LabelStore(tmp_path / "l.json", classes=CLASSES)
    with pytest.raises(ValueError, match="holds labels for classes"):
        LabelStore(tmp_path / "l.json", classes=("spam", "ham"))
