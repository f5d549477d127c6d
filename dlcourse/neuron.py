"""The artificial neuron and a layer of them, from scratch: weighted sum, plus bias, through an activation.

Chapter "The artificial neuron" shows that `neuron`/`layer` equal `torch.nn.Linear` followed by the activation,
and traces a signal through a small network with `trace`.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from dlcourse import activations


def pre_activation(x: Tensor, w: Tensor, b: Tensor | float) -> Tensor:
    """z = x · w + b for one neuron: x is (N, d) or (d,), w is (d,)."""
    return x @ w + b


def neuron(x: Tensor, w: Tensor, b: Tensor | float, activation: str = "sigmoid") -> Tensor:
    """A neuron's output a = f(x · w + b)."""
    return activations.get(activation).f(pre_activation(x, w, b))


def layer(x: Tensor, W: Tensor, b: Tensor, activation: str = "sigmoid") -> Tensor:
    """Many neurons side by side: row j of W (out, in) holds neuron j's weights, as in torch.nn.Linear."""
    return activations.get(activation).f(x @ W.T + b)


@dataclass
class Step:
    """One stage of a forward pass: its name and the signal after it."""

    name: str
    signal: Tensor


def trace(network: nn.Sequential, x: Tensor) -> list[Step]:
    """Run `x` through `network` one module at a time and keep every intermediate signal."""
    steps = [Step("input", x.detach())]
    with torch.no_grad():
        for index, module in enumerate(network):
            x = module(x)
            steps.append(Step(f"{index}: {type(module).__name__}", x.detach()))
    return steps
