import json
import subprocess
import sys

import numpy as np
import pytest

import hclib.validate as validate
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

    def crash(*args):  # the temporary file is written, then the power goes before the rename
        raise KeyboardInterrupt

    monkeypatch.setattr(validate.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        store.add("b", "negative", 1.0)
    monkeypatch.undo()
    assert LabelStore(path).labels() == {"a": "positive"}
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left in (["labels.json"], ["labels.json", "labels.json.lock"])  # no temporary file left behind


def test_two_stores_on_one_file_keep_every_label(tmp_path):
    path = tmp_path / "labels.json"
    first, second = LabelStore(path, classes=CLASSES), LabelStore(path)  # two notebook tabs
    first.add("a", "positive")
    second.add("b", "negative")
    first.add("c", "positive")
    assert LabelStore(path).labels() == {"a": "positive", "b": "negative", "c": "positive"}
    assert first.next_item(["a", "b", "c", "d"]) == "d"  # each sees the other's labels
    assert second.undo()["item"] == "b"  # undo takes back this store's own last decision
    assert first.labels() == {"a": "positive", "c": "positive"}


WRITER = """
import sys
from hclib.labels import LabelStore
store = LabelStore(sys.argv[1])
for i in range(40):
    store.add(f"{sys.argv[2]}-{i}", "positive" if i % 2 else "negative", seconds=1.0)
"""


def test_two_processes_writing_one_file_keep_every_label(tmp_path):
    path = tmp_path / "labels.json"
    LabelStore(path, classes=CLASSES)
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name]) for name in ("tab1", "tab2")]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    labels = LabelStore(path).labels()
    assert len(labels) == 80 and {f"tab{t}-{i}" for t in (1, 2) for i in range(40)} == set(labels)


@pytest.mark.parametrize("call,match", [
    (lambda s: s.add("x", "neutral"), "unknown label 'neutral'"),
    (lambda s: s.add("", "positive"), "item must be a non-empty string"),
    (lambda s: s.add("x", "positive", seconds=-1), "seconds must be a finite number >= 0"),
    (lambda s: s.add("x", "positive", seconds=float("nan")), "seconds must be a finite number >= 0"),
])
def test_bad_labels(tmp_path, call, match):
    with pytest.raises(ValueError, match=match):
        call(LabelStore(tmp_path / "l.json", classes=CLASSES))


def test_bad_files(tmp_path):
    with pytest.raises(ValueError, match="at least two distinct class names"):
        LabelStore(tmp_path / "new.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="not readable as an hclib label file"):
        LabelStore(broken)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"some": "thing"}))
    with pytest.raises(ValueError, match="not an hclib label file"):
        LabelStore(other)
    LabelStore(tmp_path / "l.json", classes=CLASSES)
    with pytest.raises(ValueError, match="holds labels for classes"):
        LabelStore(tmp_path / "l.json", classes=("spam", "ham"))


def test_natural_inputs(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    store = LabelStore("~/labels.json", classes=np.array(["negative", "positive"]))
    store.add("a", "positive", seconds=np.float32(2.5))
    assert (tmp_path / "labels.json").is_file() and store.seconds_per_label() == 2.5
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + (tmp_path / "labels.json").read_bytes())
    assert LabelStore(bom).labels() == {"a": "positive"}
