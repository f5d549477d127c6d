import torch

from dlcourse import seq2seq
from dlcourse.compare import assert_same


def test_dates_are_well_formed():
    pairs = seq2seq.dates(200, seed=3)
    for source, target in pairs:
        assert len(target) == 10 and target[4] == target[7] == "-"
        assert len(source) <= seq2seq.SOURCE_LENGTH
    assert seq2seq.write_date(2026, 11, 25, 0) == "25 November 2026"
    assert seq2seq.write_date(2026, 11, 25, 6) == "Wednesday, 25 November 2026"


def test_encoding_round_trip_and_teacher_forcing():
    pairs = [("25 Nov 2026", "2026-11-25")]
    X, y = seq2seq.teacher_forcing(pairs)
    assert X.shape == (1, seq2seq.SOURCE_LENGTH + seq2seq.TARGET_LENGTH)
    assert seq2seq.decode_target(y) == ["2026-11-25"]
    assert X[0, seq2seq.SOURCE_LENGTH] == seq2seq.START
    assert torch.equal(X[0, seq2seq.SOURCE_LENGTH + 1:], y[0, :-1])


def test_additive_attention_equals_a_direct_formula_and_ignores_padding():
    torch.manual_seed(0)
    W_q, W_k, v = torch.nn.Linear(3, 4, bias=False), torch.nn.Linear(5, 4), torch.nn.Linear(4, 1, bias=False)
    q, k = torch.randn(2, 3), torch.randn(2, 6, 5)
    mask = torch.tensor([[True] * 6, [True] * 3 + [False] * 3])

    def direct(q, k):
        scores = torch.einsum("h,nsh->ns", v.weight[0], torch.tanh((q @ W_q.weight.T)[:, None] + k @ W_k.weight.T
                                                                    + W_k.bias))
        w = torch.softmax(scores.masked_fill(~mask, -1e30), -1)
        return torch.einsum("ns,nsd->nd", w, k), w

    assert_same(lambda q, k: seq2seq.additive_attention(q, k, W_q, W_k, v, mask), direct, q, k, atol=1e-5)
    _, weights = seq2seq.additive_attention(q, k, W_q, W_k, v, mask)
    assert (weights[1, 3:] == 0).all()


def test_forward_shapes_translate_and_loss():
    torch.manual_seed(0)
    model = seq2seq.Seq2Seq(hidden=8, embedding=4)
    X, y = seq2seq.teacher_forcing(seq2seq.dates(3))
    logits = model(X)
    assert logits.shape == (3, 10, len(seq2seq.TARGET_CHARS) + 2)
    assert seq2seq.sequence_loss(logits, y).ndim == 0 and 0 <= seq2seq.token_accuracy(logits, y) <= 1
    tokens, attention = model.translate(X[:, :seq2seq.SOURCE_LENGTH])
    assert tokens.shape == (3, 10) and (tokens >= 2).all()
    assert torch.allclose(attention.sum(-1), torch.ones(3, 10))
    assert 0.0 <= seq2seq.exact_match(model, seq2seq.dates(3)) <= 1.0
