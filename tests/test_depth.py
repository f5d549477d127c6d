"""dlcourse.depth: networks and parameter budgets agree with PyTorch's modules, the ReLU construction equals the
composed tent map (values and gradients), the piece counts, and the probes and the depth-vs-width result."""
import math

import pytest
import torch
from torch import nn

from dlcourse import data, depth
from dlcourse.compare import assert_same
from dlcourse.training import fit


@pytest.mark.parametrize("widths", [[2, 3, 1], [8, 24, 24, 24, 1], [64, 100, 10], [1, 5]])
def test_parameter_formula_counts_torch_modules(widths):
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    assert depth.mlp_parameters(widths) == depth.count_parameters(nn.Sequential(*layers[:-1]))


def test_mlp_shape_and_budget():
    net = depth.mlp(8, 24, 3, 1, "tanh")
    assert len([m for m in net if isinstance(m, nn.Linear)]) == 4
    assert isinstance(net[1], nn.Tanh) and net(torch.zeros(5, 8)).shape == (5, 1)
    assert depth.count_parameters(depth.mlp(8, 144, 1, 1)) == depth.count_parameters(net) == 1441
    for d in (1, 2, 3, 5):
        w = depth.width_for_budget(8, d, 1, 1441)
        assert depth.mlp_parameters([8] + [w] * d + [1]) <= 1441 < depth.mlp_parameters([8] + [w + 1] * d + [1])
    assert depth.count_parameters(depth.mlp(2, 5, 0, 2)) == 6
    with pytest.raises(ValueError, match="activation"):
        depth.mlp(2, 3, 1, 1, "swish")


@pytest.mark.parametrize("k", [1, 2, 4, 7])
def test_tent_network_equals_the_composed_tent_map(k):
    x = torch.rand(300, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(k))
    assert_same(depth.tent_network(k).double(), lambda t: depth.sawtooth(t, k), x, atol=1e-10)
    assert depth.count_parameters(depth.tent_network(k)) == 6 * k + 1


def test_tent_map():
    x = torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0])
    assert depth.tent(x).tolist() == [0.0, 0.5, 1.0, 0.5, 0.0]
    assert torch.equal(depth.sawtooth(x, 0), x)


def test_linear_pieces():
    grid = torch.linspace(0, 1, 2**10 + 1, dtype=torch.float64)
    for k in range(1, 8):
        assert depth.linear_pieces(depth.sawtooth(grid, k), grid) == 2**k
    assert depth.linear_pieces(3 * grid + 1, grid) == 1
    # a kink between grid points still counts once
    assert depth.linear_pieces(torch.relu(grid - 0.3001), grid) == 2
    torch.manual_seed(0)
    shallow = depth.mlp(1, 12, 1, 1).double()
    with torch.no_grad():
        assert depth.linear_pieces(shallow(grid[:, None]), grid) <= 13


def test_radial_data():
    X, y = depth.radial_data(500, dim=6, frequency=2.0, seed=3)
    assert X.shape == (500, 6) and y.shape == (500, 1)
    r = X.norm(dim=1, keepdim=True) / math.sqrt(6)
    assert r.max() <= 1 and torch.allclose(y, torch.cos(2 * math.pi * 2 * r), atol=1e-5)
    assert torch.equal(depth.radial_data(10, seed=1)[0], depth.radial_data(10, seed=1)[0])


def test_hidden_representations_and_pca():
    net = depth.mlp(2, 7, 3, 2, "relu")
    x = torch.randn(20, 2)
    reps = depth.hidden_representations(net, x)
    assert [r.shape for r in reps] == [(20, 2), (20, 7), (20, 7), (20, 7)]
    assert torch.allclose(net[-1](reps[-1]), net(x).detach())
    projected = depth.pca_2d(torch.randn(50, 6))
    assert projected.shape == (50, 2) and projected[:, 0].var() >= projected[:, 1].var()


def test_linear_probe_separates_separable_data_and_not_xor():
    X, y = data.blobs(200, seed=0)
    Xt, yt = data.blobs(200, seed=1)
    assert depth.linear_probe(X, y, Xt, yt) >= 0.95
    X, y = data.xor(200, seed=0)
    Xt, yt = data.xor(200, seed=1)
    assert depth.linear_probe(X, y, Xt, yt) <= 0.75


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_deep_beats_shallow_at_equal_budget(seed):
    X, y = depth.radial_data(4000, seed=0)
    Xt, yt = depth.radial_data(2000, seed=1)
    errors = {}
    for name, width, layers in [("deep", 24, 3), ("shallow", 144, 1)]:
        torch.manual_seed(seed)
        net = depth.mlp(8, width, layers, 1)
        history = fit(net, (X, y), (Xt, yt), epochs=60, loss="mse", lr=3e-3, batch_size=256, progress=False,
                      live_plot=False, device="cpu", seed=seed)
        errors[name] = history.val_loss[-1]
    assert errors["shallow"] >= 3 * errors["deep"], errors


@pytest.mark.parametrize("threads", [1, 2])
def test_probe_accuracy_rises_layer_by_layer(threads):
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        X, y = data.spiral(600, turns=1.5, noise=0.05, seed=0)
        Xt, yt = data.spiral(600, turns=1.5, noise=0.05, seed=1)
        torch.manual_seed(0)
        net = depth.mlp(2, 16, 4, 2, "tanh")
        fit(net, (X, y), (Xt, yt), epochs=500, lr=0.01, batch_size=None, progress=False, live_plot=False,
            device="cpu")
        probes = depth.probe_layers(net, X, y, Xt, yt)
    finally:
        torch.set_num_threads(before)
    assert probes[0] <= 0.75 and probes[-1] >= 0.95, probes
    assert all(b >= a - 0.02 for a, b in zip(probes, probes[1:])), probes
    assert probes[2] >= probes[0] + 0.15, probes


def test_playground_run():
    net, X, y, history = depth.playground_run("circles", 2, 8, "tanh", 0.03, steps=50, n=100)
    assert X.shape == (100, 2) and history.epochs == 50
    assert depth.count_parameters(net) == depth.mlp_parameters([2, 8, 8, 2])

