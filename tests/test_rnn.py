import pytest
import torch

from dlcourse import rnn
from dlcourse.compare import assert_same
from dlcourse.training import fit


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_unrolled_cells_equal_torch_values_and_gradients(kind):
    torch.manual_seed(0)
    layer = rnn.torch_layer(kind, 3, 5).double()
    x = torch.randn(4, 6, 3, dtype=torch.float64)
    weights = [w.detach() for w in rnn.weights_of(layer)]
    result = assert_same(lambda x, *w: rnn.unroll(kind, x, w), lambda x, *w: rnn.torch_unroll(kind, x, w),
                         x, *weights, atol=1e-10)
    assert len(result.gradient_errors) == 5


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_initial_state_is_used_and_matches_the_module(kind):
    torch.manual_seed(1)
    layer = rnn.torch_layer(kind, 2, 3).double()
    x = torch.randn(2, 4, 2, dtype=torch.float64)
    h0 = torch.randn(2, 3, dtype=torch.float64)
    state = (h0, torch.randn(2, 3, dtype=torch.float64)) if kind == "lstm" else h0
    ours, _ = rnn.unroll(kind, x, rnn.weights_of(layer), state)
    torch_state = (state[0][None], state[1][None]) if kind == "lstm" else state[None]
    theirs, _ = layer(x, torch_state)
    assert torch.allclose(ours, theirs, atol=1e-12)
    zero, _ = rnn.unroll(kind, x, rnn.weights_of(layer))
    assert not torch.allclose(ours, zero)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_parameter_count(kind):
    for d, h in [(1, 1), (10, 20)]:
        assert rnn.count_parameters(kind, d, h) == sum(p.numel() for p in rnn.torch_layer(kind, d, h).parameters())


def test_recall_task_and_remember_bias():
    X, y = rnn.recall_task(50, delay=7, seed=3)
    assert X.shape == (50, 8) and torch.equal(X[:, 0], y) and (X[:, 1:] >= 4).all()
    layer = rnn.torch_layer("gru", 2, 3)
    before = layer.bias_hh_l0.detach().clone()
    rnn.remember_at_start(layer, "gru", 2.0)
    assert torch.allclose(layer.bias_hh_l0[3:6] - before[3:6], torch.full((3,), 2.0))
    assert torch.equal(layer.bias_hh_l0[:3], before[:3])
    with pytest.raises(ValueError):
        rnn.remember_at_start(rnn.torch_layer("rnn", 2, 3), "rnn", 1.0)


def test_gradient_vanishes_through_time_in_a_plain_rnn():
    g_rnn = rnn.gradient_through_time("rnn", 40)
    g_gru = rnn.gradient_through_time("gru", 40, remember_bias=2.0)
    assert g_rnn.shape == (41,)
    assert (g_rnn[0] / g_rnn[-1]) < 1e-4 < (g_gru[0] / g_gru[-1])


def test_sequence_classifier_learns_a_short_recall():
    X, y = rnn.recall_task(512, delay=5, seed=0)
    torch.manual_seed(0)
    model = rnn.SequenceClassifier("gru", 8, 16, 4)
    history = fit(model, (X, y), epochs=8, lr=1e-2, device="cpu", progress=False, live_plot=False)
    assert history.train_metric[-1] >= 0.95
