"""Multilayer perceptrons: the forward pass from scratch, a builder, a 1-D regression task and the R² score.

Used by the chapter "Feedforward networks", which shows that `forward` equals the `nn.Sequential` that `mlp`
builds (values and gradients) and trains both a digit classifier and a regressor with `fit`.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from dlcourse import seeding
from dlcourse import activations

_MODULES = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU, "identity": nn.Identity}


def mlp(sizes: list[int], activation: str = "relu") -> nn.Sequential:
    """Fully connected layers of the given widths, e.g. [64, 128, 10]; the activation follows every hidden layer."""
    if len(sizes) < 2:
        raise ValueError(f"an MLP needs at least an input and an output size, got {sizes}")
    if activation not in _MODULES:
        raise ValueError(f"unknown activation {activation!r}: use one of {', '.join(_MODULES)}")
    layers: list[nn.Module] = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if k < len(sizes) - 2:
            layers.append(_MODULES[activation]())
    return nn.Sequential(*layers)


def forward(x: Tensor, weights: list[Tensor], biases: list[Tensor], activation: str = "relu") -> Tensor:
    """The MLP's forward pass from scratch: h <- f(h W^T + b) layer after layer, no activation after the last."""
    f = activations.get(activation).f
    h = x
    for k, (W, b) in enumerate(zip(weights, biases)):
        h = h @ W.T + b
        if k < len(weights) - 1:
            h = f(h)
    return h


def parameters_of(model: nn.Sequential) -> tuple[list[Tensor], list[Tensor]]:
    """The weight matrices and bias vectors of the linear layers of `model`, in order."""
    linears = [m for m in model if isinstance(m, nn.Linear)]
    return [m.weight for m in linears], [m.bias for m in linears]


def parameter_count(sizes: list[int]) -> int:
    """Weights plus biases of a fully connected network with these layer widths."""
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def target_function(x: Tensor) -> Tensor:
    """The 1-D function the regression example learns: a damped wave with a slope."""
    return torch.sin(3 * x) * torch.exp(-0.2 * x ** 2) + 0.3 * x


def noisy_function(n: int = 200, noise: float = 0.2, seed: int = 0, low: float = -3.0,
                   high: float = 3.0) -> tuple[Tensor, Tensor]:
    """n points x uniform in [low, high] and y = target_function(x) + Gaussian noise, both of shape (n, 1)."""
    g = seeding.generator(seed)
    x = torch.rand(n, 1, generator=g) * (high - low) + low
    return x, target_function(x) + noise * torch.randn(n, 1, generator=g)


def r2_score(prediction: Tensor, target: Tensor) -> float:
    """Coefficient of determination: 1 - residual sum of squares / total sum of squares around the mean."""
    prediction, target = prediction.detach().reshape(-1).double(), target.detach().reshape(-1).double()
    residual = ((target - prediction) ** 2).sum()
    total = ((target - target.mean()) ** 2).sum()
    return 1.0 - (residual / total).item() if total > 0 else math.nan
