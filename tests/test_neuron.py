import torch
import torch.nn.functional as F
from torch import nn

from dlcourse import neuron
from dlcourse.compare import assert_same

X = torch.randn(6, 3, dtype=torch.float64)


def test_single_neuron_equals_linear_with_one_output():
    w = torch.randn(3, dtype=torch.float64)
    b = torch.randn((), dtype=torch.float64)
    assert_same(lambda x, w, b: neuron.neuron(x, w, b, "sigmoid"),
                lambda x, w, b: torch.sigmoid(F.linear(x, w[None], b[None]))[:, 0], X, w, b, atol=1e-12)


def test_layer_equals_nn_linear_plus_activation_values_and_gradients():
    for name, ref in [("tanh", torch.tanh), ("relu", F.relu), ("identity", lambda t: t)]:
        W = torch.randn(4, 3, dtype=torch.float64)
        b = torch.randn(4, dtype=torch.float64)
        assert_same(lambda x, W, b: neuron.layer(x, W, b, name), lambda x, W, b: ref(F.linear(x, W, b)),
                    X, W, b, atol=1e-12)


def test_single_input_gives_a_scalar():
    assert neuron.neuron(X[0], torch.ones(3, dtype=torch.float64), 0.5).shape == ()


def test_trace_keeps_every_intermediate_signal():
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    x = torch.randn(5, 2)
    steps = neuron.trace(net, x)
    assert [s.name for s in steps] == ["input", "0: Linear", "1: ReLU", "2: Linear"]
    assert torch.allclose(steps[-1].signal, net(x))
    assert (steps[2].signal >= 0).all()
