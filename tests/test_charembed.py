import numpy as np
import pytest
import torch

from hclib.charembed import cooccurrence, drop_overlapping, nearest, ppmi_svd
from hclib.charenc import BiLSTMEncoder, CharVocab

TEXTS = ["北京欢迎你", "上海欢迎你", "北京很大", "上海很大", "你好北京", "你好上海"] * 10


def test_cooccurrence_counts_each_pair_both_ways_within_the_window():
    vocab = CharVocab.build(["北京欢"])
    counts = cooccurrence(["北京欢"], vocab, window=1).toarray()
    assert counts[vocab["北"], vocab["京"]] == counts[vocab["京"], vocab["北"]] == 1
    assert counts[vocab["北"], vocab["欢"]] == 0  # two places apart: outside window=1
    assert cooccurrence(["北京欢"], vocab, window=2).toarray()[vocab["北"], vocab["欢"]] == 1


def test_characters_used_alike_get_similar_vectors():
    vocab = CharVocab.build(TEXTS)
    vectors = ppmi_svd(cooccurrence(TEXTS, vocab, window=2), dim=4)
    assert vectors.shape == (len(vocab), 4) and vectors.dtype == np.float32
    assert nearest(vectors, vocab, "北", k=1) == ["上"]
    assert np.allclose(vectors[:3], 0)  # specials are never counted
    assert np.array_equal(vectors, ppmi_svd(cooccurrence(TEXTS, vocab, window=2), dim=4))  # deterministic


def test_drop_overlapping_removes_every_text_sharing_a_window():
    kept, removed = drop_overlapping(["今天北京下雪了", "上海晴", "北京下"], ["明天北京下雪"], window=4)
    assert kept == ["上海晴", "北京下"] and removed == 1


def test_drop_overlapping_matches_a_short_held_out_text_whole_but_not_a_tiny_one():
    texts = ["新华社北京一月一日电今天下雪", "上海晴"]
    assert drop_overlapping(texts, ["北京一月一日电"], window=20, min_window=6) == (["上海晴"], 1)
    assert drop_overlapping(texts, ["上海晴"], window=20, min_window=6) == (texts, 0)


@pytest.mark.parametrize("call, error, message", [
    (lambda v: cooccurrence(["北京"], "not a vocab"), TypeError, "CharVocab"),
    (lambda v: cooccurrence(["北", "京"], v), ValueError, "two characters"),
    (lambda v: ppmi_svd(np.ones((3, 3))), TypeError, "scipy.sparse"),
    (lambda v: nearest(np.ones((len(v), 2)), v, "火"), KeyError, "not in the vocabulary"),
    (lambda v: drop_overlapping(["a"], ["a"], window=0), ValueError, "window"),
    (lambda v: drop_overlapping(["a"], ["a"], window=4, min_window=5), ValueError, "min_window"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call(CharVocab.build(TEXTS))


def test_bilstm_starts_from_the_given_vectors_and_checks_their_shape():
    vectors = np.arange(20 * 4, dtype=np.float32).reshape(20, 4)
    enc = BiLSTMEncoder(20, embedding_dim=4, hidden=3, vectors=vectors)
    assert torch.equal(enc.embedding.weight[1:], torch.from_numpy(vectors[1:]))
    assert enc.embedding.weight[0].abs().sum() == 0  # padding stays zero
    with pytest.raises(ValueError, match=r"\(vocab_size, embedding_dim\) = \(20, 5\)"):
        BiLSTMEncoder(20, embedding_dim=5, hidden=3, vectors=vectors)
