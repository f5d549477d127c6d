"""Why depth helps: networks of a given depth and width, parameter budgets, Telgarsky's sawtooth, a radial target
that deep networks learn and shallow ones do not, and linear probes of hidden layers.

Used by the chapter "Why depth".
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from dlcourse import seeding
from dlcourse.hardware import single_thread
from dlcourse.training import fit

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def mlp(in_features: int, width: int, depth: int, out_features: int, activation: str = "relu") -> nn.Sequential:
    """`depth` hidden layers of `width` units (Linear then activation), then a linear output layer."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}: use one of {', '.join(ACTIVATIONS)}")
    layers: list[nn.Module] = []
    size = in_features
    for _ in range(depth):
        layers += [nn.Linear(size, width), ACTIVATIONS[activation]()]
        size = width
    layers.append(nn.Linear(size, out_features))
    return nn.Sequential(*layers)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable numbers in `model`."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def mlp_parameters(widths: list[int]) -> int:
    """Parameters of a fully connected network with layer sizes `widths` = [inputs, hidden..., outputs]."""
    return sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))


def width_for_budget(in_features: int, depth: int, out_features: int, budget: int) -> int:
    """The largest width whose `mlp` has at most `budget` parameters."""
    width = 1
    while mlp_parameters([in_features] + [width + 1] * depth + [out_features]) <= budget:
        width += 1
    return width


def tent(x: Tensor) -> Tensor:
    """The tent map on [0, 1]: up from 0 to 1 on [0, 1/2], back down to 0 on [1/2, 1]."""
    return 2 * torch.minimum(x, 1 - x)


def sawtooth(x: Tensor, k: int) -> Tensor:
    """The tent map composed with itself k times: 2^(k-1) teeth, 2^k linear pieces on [0, 1]."""
    for _ in range(k):
        x = tent(x)
    return x


def tent_network(k: int) -> nn.Sequential:
    """A ReLU network with k hidden layers of 2 units that computes `sawtooth(x, k)` exactly on [0, 1].

    Each layer computes tent(t) = 2 relu(t) - 4 relu(t - 1/2); the next layer's weights absorb the combination.
    """
    layers: list[nn.Module] = []
    for i in range(k):
        linear = nn.Linear(1 if i == 0 else 2, 2)
        with torch.no_grad():
            combine = torch.tensor([[1.0], [1.0]]) if i == 0 else torch.tensor([[2.0, -4.0], [2.0, -4.0]])
            linear.weight.copy_(combine)
            linear.bias.copy_(torch.tensor([0.0, -0.5]))
        layers += [linear, nn.ReLU()]
    out = nn.Linear(2, 1)
    with torch.no_grad():
        out.weight.copy_(torch.tensor([[2.0, -4.0]]))
        out.bias.zero_()
    layers.append(out)
    return nn.Sequential(*layers)


def linear_pieces(y: Tensor, x: Tensor, tol: float = 1e-4) -> int:
    """Number of linear pieces of a piecewise-linear function sampled as y(x) on a grid fine enough to see them."""
    slopes = torch.diff(y.reshape(-1).double()) / torch.diff(x.reshape(-1).double())
    changes = (torch.diff(slopes).abs() > tol * (1 + slopes.abs().max())).int()
    # a kink between grid points shows up as two consecutive slope changes: count each run once
    starts = changes.clone()
    starts[1:] = changes[1:] & (1 - changes[:-1])
    return int(starts.sum()) + 1


def radial_data(n: int, dim: int = 8, frequency: float = 2.0, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Points in a ball of radius sqrt(dim), target cos(2 pi frequency r) of the scaled radius r in [0, 1].

    A function of the distance to the origin that oscillates: easy as a composition (first the radius, then a
    function of one number), hard for one hidden layer (in the spirit of Eldan and Shamir, 2016).
    """
    g = seeding.generator(seed)
    direction = torch.randn(n, dim, generator=g)
    direction = direction / direction.norm(dim=1, keepdim=True)
    r = torch.rand(n, 1, generator=g)
    return direction * r * math.sqrt(dim), torch.cos(2 * math.pi * frequency * r)


def hidden_representations(model: nn.Sequential, x: Tensor) -> list[Tensor]:
    """The input, then the output of each activation layer of `model` (without gradients)."""
    outputs = [x]
    with torch.no_grad():
        for module in model:
            x = module(x)
            if isinstance(module, tuple(ACTIVATIONS.values())):
                outputs.append(x)
    return outputs


def linear_probe(features: Tensor, y: Tensor, test_features: Tensor, y_test: Tensor,
                 epochs: int = 300, lr: float = 0.05) -> float:
    """Test accuracy of a linear classifier (logistic regression, trained with `fit`) on frozen features."""
    mean, std = features.mean(0), features.std(0) + 1e-6
    seeding.seed(0)
    probe = nn.Linear(features.shape[1], int(y.max()) + 1).to(features.device)
    with single_thread():
        history = fit(probe, ((features - mean) / std, y), ((test_features - mean) / std, y_test), epochs=epochs,
                      lr=lr, batch_size=None, progress=False, live_plot=False, device=features.device)
    return history.val_metric[-1]


def probe_layers(model: nn.Sequential, X: Tensor, y: Tensor, X_test: Tensor, y_test: Tensor) -> list[float]:
    """Linear-probe accuracy on the input and on each hidden layer of `model`."""
    train = hidden_representations(model, X)
    test = hidden_representations(model, X_test)
    return [linear_probe(a, y, b, y_test) for a, b in zip(train, test)]


def playground_run(dataset: str, depth: int, width: int, activation: str, lr: float, steps: int = 300,
                   n: int = 200, seed: int = 0):
    """Train a small classifier on a generated 2-D set (the chapter's playground): returns (model, X, y, history)."""
    from dlcourse import data

    X, y = data.TOY_SETS[dataset](n=n, seed=seed)
    seeding.seed(seed)
    model = mlp(2, width, depth, 2, activation)
    with single_thread():
        history = fit(model, (X, y), epochs=steps, lr=lr, batch_size=None, progress=False, live_plot=False,
                      seed=seed, device="cpu")
    return model, X, y, history


def pca_2d(features: Tensor) -> Tensor:
    """The features projected on their two main directions of variation (for plotting hidden layers)."""
    centred = features - features.mean(0)
    _, _, V = torch.linalg.svd(centred, full_matrices=False)
    return centred @ V[:2].T
