"""Vanishing and exploding gradients: deep MLPs with optional skips, per-layer gradient norms, clipping from scratch.

`DeepMLP` records every layer's input so that `gradient_profile` can report, layer by layer, the gradient with
respect to the weights *and* with respect to the activations. `clip_grad_norm_` and `clip_grad_value_` equal
`torch.nn.utils`'s; `RecurrentRegressor` and `memory_task` make gradients explode. Used by the chapter
"Vanishing and exploding gradients".
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import torch
from torch import Tensor, nn

from dlcourse import seeding
from dlcourse import init

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}
"""The activations a `DeepMLP` can use."""


class DeepMLP(nn.Module):
    """`depth` linear layers of `width` units; with `residual`, each hidden block adds its output to its input.

    Plain block: h <- f(W h + b). Residual block: h <- h + f(W h + b). `scheme` picks the initialisation of
    every weight (one of `init.SCHEMES`; biases start at zero).
    """

    def __init__(self, n_in: int, width: int, n_out: int, depth: int, activation: str = "sigmoid",
                 scheme: str = "pytorch default", residual: bool = False, seed: int = 0):
        super().__init__()
        if depth < 2:
            raise ValueError(f"depth counts linear layers and must be at least 2, got {depth}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}: use one of {', '.join(ACTIVATIONS)}")
        sizes = [n_in] + [width] * (depth - 1) + [n_out]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.activation = ACTIVATIONS[activation]()
        self.residual = residual
        self.inputs: list[Tensor] = []
        generator = seeding.generator(seed)
        for layer in self.layers:
            init.initialise_(layer.weight, scheme, activation, generator)
            nn.init.zeros_(layer.bias)

    def forward(self, x: Tensor, record: bool = False) -> Tensor:
        self.inputs = []
        h = x
        for k, layer in enumerate(self.layers):
            if record:  # keep each layer's input, and its gradient after backward
                h = h if h.requires_grad else h.detach().requires_grad_(True)
                h.retain_grad()
                self.inputs.append(h)
            if k == len(self.layers) - 1:
                return layer(h)
            out = self.activation(layer(h))
            h = h + out if self.residual and k > 0 else out
        raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class GradientProfile:
    """Per linear layer (input side first): norms of the weight gradient, of the layer's input and its gradient."""

    weight: list[float]
    activation: list[float]
    activation_value: list[float]

    def ratio(self, which: str = "weight") -> float:
        """First layer's gradient norm over the last layer's."""
        values = getattr(self, which)
        return values[0] / values[-1]


def gradient_profile(model: DeepMLP, X: Tensor, y: Tensor) -> GradientProfile:
    """One forward and backward pass of the cross-entropy on (X, y); the gradient norms of every layer."""
    model.zero_grad(set_to_none=True)
    loss = nn.functional.cross_entropy(model(X, record=True), y)
    loss.backward()
    weight = [layer.weight.grad.norm().item() for layer in model.layers]
    activation = [h.grad.norm().item() for h in model.inputs]
    values = [h.detach().norm().item() for h in model.inputs]
    model.zero_grad(set_to_none=True)
    return GradientProfile(weight, activation, values)


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float, eps: float = 1e-6) -> Tensor:
    """Rescale all gradients together so that their global L2 norm is at most `max_norm`; return the norm before."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    # One norm over every gradient, as if they were one long vector: clipping keeps the direction of the step.
    total = torch.stack([g.detach().pow(2).sum() for g in grads]).sum().sqrt()
    scale = torch.clamp(max_norm / (total + eps), max=1.0)
    for g in grads:
        g.detach().mul_(scale.to(g.dtype))
    return total


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value] (this changes the step's direction)."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in params:
        if p.grad is not None:
            p.grad.detach().clamp_(-clip_value, clip_value)


class RecurrentRegressor(nn.Module):
    """A tanh RNN whose last hidden state feeds a linear read-out; `recurrent_scale` sets the size of W_hh."""

    def __init__(self, hidden: int = 32, recurrent_scale: float = 1.0, seed: int = 0):
        super().__init__()
        generator = seeding.generator(seed)
        self.rnn = nn.RNN(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-hidden ** -0.5, hidden ** -0.5, generator=generator)
            # An orthogonal matrix times the scale: every singular value equals `recurrent_scale`.
            q, _ = torch.linalg.qr(torch.randn(hidden, hidden, generator=generator))
            self.rnn.weight_hh_l0.copy_(recurrent_scale * q)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.rnn(x.unsqueeze(-1))
        return self.head(out[:, -1]).squeeze(-1)


def memory_task(n: int = 512, length: int = 20, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Sequences of `length` random numbers in [-1, 1]; the target is the mean of the first three, read at the end."""
    g = seeding.generator(seed)
    X = torch.rand(n, length, generator=g) * 2 - 1
    return X, X[:, :3].mean(1)


def gradient_norm(model: nn.Module) -> float:
    """The global L2 norm of all of `model`'s gradients (what clipping by norm looks at)."""
    norms = [p.grad.detach().pow(2).sum() for p in model.parameters() if p.grad is not None]
    return torch.stack(norms).sum().sqrt().item() if norms else 0.0
