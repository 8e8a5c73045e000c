import itertools

import pytest
import torch

from hclib.crf import CRF, allowed_transitions

TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG"]


def random_crf(constrained, seed=0):
    torch.manual_seed(seed)
    crf = CRF(TAGS, constrained=constrained).double()
    with torch.no_grad():
        for p in crf.parameters():
            p.normal_()
    return crf


@pytest.mark.parametrize("constrained", [False, True])
def test_forward_and_viterbi_match_brute_force(constrained):
    crf = random_crf(constrained)
    lengths = [4, 2, 3]
    emissions = torch.randn(3, 4, len(TAGS), dtype=torch.float64)
    mask = torch.tensor([[t < n for t in range(4)] for n in lengths])
    log_z, best = crf.log_partition(emissions, mask), crf.decode(emissions, mask)
    for b, n in enumerate(lengths):
        paths = torch.tensor(list(itertools.product(range(len(TAGS)), repeat=n)))
        padded = torch.nn.functional.pad(paths, (0, 4 - n))
        scores = crf.path_score(emissions[b:b + 1].expand(len(paths), -1, -1), padded,
                                mask[b:b + 1].expand(len(paths), -1))
        assert torch.allclose(torch.logsumexp(scores, 0), log_z[b], atol=1e-10)
        assert best[b] == paths[scores.argmax()].tolist()
        if constrained:
            for path, score in zip(paths.tolist(), scores):
                legal = not TAGS[path[0]].startswith("I-") and all(
                    allowed_transitions(TAGS)[i, j] for i, j in zip(path, path[1:]))
                assert legal == bool(torch.isfinite(score))


def test_nll_is_smooth_and_trainable():
    crf = CRF(TAGS)
    emissions = torch.randn(2, 3, len(TAGS), requires_grad=True)
    tags = torch.tensor([[1, 2, 0], [3, 4, 0]])
    mask = torch.tensor([[True, True, True], [True, True, False]])
    loss = crf.nll(emissions, tags, mask)
    loss.backward()
    assert loss.item() > 0 and torch.isfinite(emissions.grad).all() and crf.transitions.grad is not None


@pytest.mark.parametrize("call,match", [
    (lambda: CRF(["O"]), "at least two distinct"),
    (lambda: allowed_transitions(["O", "X-PER"]), "unknown tag 'X-PER'"),
    (lambda: CRF(TAGS).decode(torch.zeros(1, 3, 4), torch.ones(1, 3, dtype=torch.bool)), "emissions must be"),
    (lambda: CRF(TAGS).decode(torch.zeros(1, 3, 5), torch.ones(1, 2, dtype=torch.bool)), "mask must be"),
    (lambda: CRF(TAGS).decode(torch.zeros(1, 3, 5), torch.zeros(1, 3, dtype=torch.bool)), "at least one token"),
    (lambda: CRF(TAGS).nll(torch.zeros(1, 3, 5), torch.tensor([[0, 9, 0]]), torch.ones(1, 3, dtype=torch.bool)),
     "tag ids must be in 0..4"),
    (lambda: CRF(TAGS).nll(torch.zeros(1, 3, 5), torch.zeros(1, 2, dtype=torch.long),
                           torch.ones(1, 3, dtype=torch.bool)), "tags must be"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_batches_are_refused_not_nan():
    crf = CRF(TAGS)
    with pytest.raises(ValueError, match="at least one sentence"):
        crf.nll(torch.zeros(0, 3, len(TAGS)), torch.zeros(0, 3, dtype=torch.long), torch.ones(0, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"sentence 1, position 2: 'I-ORG' after 'B-PER' breaks BIO"):
        crf.nll(torch.zeros(2, 3, len(TAGS)), torch.tensor([[0, 0, 0], [0, 1, 4]]), torch.ones(2, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="position 0: 'I-PER' at the start"):
        crf.nll(torch.zeros(1, 2, len(TAGS)), torch.tensor([[2, 2]]), torch.ones(1, 2, dtype=torch.bool))
    with pytest.raises(ValueError, match="NaN"):
        crf.decode(torch.full((1, 2, len(TAGS)), float("nan")), torch.ones(1, 2, dtype=torch.bool))
    with pytest.raises(ValueError, match="no gaps"):
        crf.decode(torch.zeros(1, 3, len(TAGS)), torch.tensor([[True, False, True]]))
    with pytest.raises(TypeError, match="tags must be an integer tensor"):
        crf.nll(torch.zeros(1, 2, len(TAGS)), torch.zeros(1, 2), torch.ones(1, 2, dtype=torch.bool))
    loss = CRF(TAGS, constrained=False).nll(torch.zeros(1, 2, len(TAGS)), torch.tensor([[2, 2]]), torch.ones(1, 2))
    assert torch.isfinite(loss)  # unconstrained: any path is allowed, and an integer mask is fine
