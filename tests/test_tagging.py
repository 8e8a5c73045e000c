import pytest
import torch

from hclib.charenc import BiLSTMEncoder, CharVocab
from hclib.tagging import TAGS, Tagger, TaggingDataset, invalid_sequences
from hclib.train import TrainConfig, Trainer

SENTENCES = [list("我在北京工作"), list("马云去了上海"), list("联合国开会")]
TAGS_ = [["O", "O", "B-LOC", "I-LOC", "O", "O"], ["B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC"],
         ["B-ORG", "I-ORG", "I-ORG", "O", "O"]]


@pytest.mark.parametrize("sentences, tags, message", [
    ([list("北京")], [["B-LOC"]], "2 characters but 1 tags"),
    ([[]], [[]], "sentence 0 is empty"),
    ([list("北京")], [["B-LOC", "E-LOC"]], "unknown tag 'E-LOC'.*bmes_to_bio"),
    ([list("北京")], [], "1 sentences but 0 tag lists"),
    ([list("北" * 200)], [["O"] * 200], "over max_length=128"),
])
def test_dataset_rejects_bad_input(sentences, tags, message):
    with pytest.raises(ValueError, match=message):
        TaggingDataset(sentences, tags, CharVocab.build(["北京"]))


@pytest.mark.parametrize("crf", [True, False])
def test_tagger_learns_a_tiny_set_and_scores_it(crf):
    torch.manual_seed(0)
    vocab = CharVocab.build(SENTENCES)
    data = TaggingDataset(SENTENCES, TAGS_, vocab)
    tagger = Tagger(BiLSTMEncoder(len(vocab), 16, 16, dropout=0.0), crf=crf, dropout=0.0)
    trainer = Trainer(tagger, TrainConfig(epochs=60, batch_size=3, lr=2e-2, progress=False),
                      metric_fn=tagger.entity_metrics)
    trainer.fit(data)
    metrics = trainer.evaluate(data)
    assert metrics["val_f1"] == 1.0 and metrics["val_char_accuracy"] == 1.0
    logits, labels, _ = trainer.predict(data)
    assert tagger.decode(logits, labels != -100) == TAGS_ == tagger.gold(labels)


def test_crf_tagger_never_predicts_invalid_bio():
    torch.manual_seed(0)
    vocab = CharVocab.build(SENTENCES)
    tagger = Tagger(BiLSTMEncoder(len(vocab), 8, 8), crf=True)
    logits = torch.randn(50, 12, len(TAGS)) * 5
    assert invalid_sequences(tagger.decode(logits, torch.ones(50, 12))) == 0
    assert invalid_sequences(Tagger(tagger.encoder, crf=False).decode(logits, torch.ones(50, 12))) > 40


def test_entity_spans_and_error_kinds():
    from hclib.tagging import entity_spans, error_kinds

    assert entity_spans(["I-PER", "I-PER", "B-LOC"]) == {("LOC", 2, 3)}
    gold = [["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O", "B-ORG"]]
    pred = [["B-PER", "I-PER", "O", "B-LOC", "O", "B-PER", "O"]]
    assert error_kinds(gold, pred) == {"correct": 1, "wrong type": 0, "wrong boundary": 1,
                                       "wrong type and boundary": 0, "spurious": 1, "missed": 1}


def test_span_f1_matches_seqeval_and_checks_lengths():
    from hclib.metrics import entity_scores
    from hclib.tagging import entity_spans, span_f1

    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "I-ORG", "O"], ["O", "O"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "O", "O"], ["B-LOC", "O"]]
    spans = lambda tags: [entity_spans(t) for t in tags]  # noqa: E731
    assert span_f1(spans(gold), spans(pred)) == pytest.approx(entity_scores(gold, pred)["f1"])
    assert span_f1([set()], [set()]) == 0.0
    with pytest.raises(ValueError, match="3 gold sentences but 2 predicted"):
        span_f1(spans(gold), spans(pred)[:2])


def test_entity_errors_gives_kind_type_and_length_of_each_entity():
    from hclib.tagging import entity_errors
    gold = [["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "I-LOC"]]
    pred = [["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O"]]
    rows = entity_errors(gold, pred)
    assert [(r["kind"], r["type"], r["length"]) for r in rows] == [("correct", "PER", 2), ("wrong boundary", "LOC", 2)]
    assert entity_errors([["B-ORG", "I-ORG"]], [["O", "O"]])[0] == {
        "sentence": 0, "kind": "missed", "type": "ORG", "length": 2, "start": 0, "end": 2}


def test_entity_metrics_agree_with_seqeval_on_imperfect_predictions():
    from hclib.metrics import entity_scores
    torch.manual_seed(1)
    tagger = Tagger(BiLSTMEncoder(30, 8, 8), crf=False)
    labels = torch.tensor([[1, 2, 0, 3, 4, -100], [0, 5, 6, 6, 0, 1]])
    logits = torch.randn(2, 6, len(tagger.tag_names)) + 3 * torch.nn.functional.one_hot(labels.clamp(min=0), 7)
    mask = labels != -100
    ours = tagger.entity_metrics(logits, labels)
    theirs = entity_scores(tagger.gold(labels), tagger.decode(logits, mask))
    assert 0 < ours["f1"] < 1
    assert all(abs(ours[k] - theirs[k]) < 1e-12 for k in ("f1", "precision", "recall"))
