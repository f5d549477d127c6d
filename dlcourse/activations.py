"""Activation functions and their derivatives, written from their formulas (chapter "The artificial neuron").

Each entry of `ACTIVATIONS` pairs our function and our hand-derived derivative with PyTorch's built-in, so the
chapter and the tests can show that values match and that our derivative equals autograd's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor


def sigmoid(z: Tensor) -> Tensor:
    """1 / (1 + e^-z), computed so that neither branch overflows.

    Each branch sees z itself (not |z|, whose gradient at 0 is 0) where it is chosen and a harmless 0 elsewhere,
    so autograd's gradient is s (1 - s) everywhere, 1/4 at z = 0 included.
    """
    positive = z >= 0
    zero = torch.zeros_like(z)
    z_pos, z_neg = torch.where(positive, z, zero), torch.where(positive, zero, z)
    e_neg = torch.exp(z_neg)
    return torch.where(positive, 1 / (1 + torch.exp(-z_pos)), e_neg / (1 + e_neg))


def sigmoid_derivative(z: Tensor) -> Tensor:
    s = sigmoid(z)
    return s * (1 - s)


def tanh(z: Tensor) -> Tensor:
    """(e^z - e^-z) / (e^z + e^-z) = 2 sigmoid(2z) - 1."""
    return 2 * sigmoid(2 * z) - 1


def tanh_derivative(z: Tensor) -> Tensor:
    return 1 - tanh(z) ** 2


def relu(z: Tensor) -> Tensor:
    return torch.where(z > 0, z, torch.zeros_like(z))


def relu_derivative(z: Tensor) -> Tensor:
    # At exactly 0 the derivative is undefined; PyTorch (and we) use 0.
    return (z > 0).to(z.dtype)


def leaky_relu(z: Tensor, slope: float = 0.01) -> Tensor:
    return torch.where(z > 0, z, slope * z)


def leaky_relu_derivative(z: Tensor, slope: float = 0.01) -> Tensor:
    return torch.where(z > 0, torch.ones_like(z), torch.full_like(z, slope))


def elu(z: Tensor, alpha: float = 1.0) -> Tensor:
    # where, not minimum(z, 0): minimum splits its gradient at a tie, which made the slope at 0 alpha / 2
    negative = torch.where(z > 0, torch.zeros_like(z), z)
    return torch.where(z > 0, z, alpha * torch.expm1(negative))


def elu_derivative(z: Tensor, alpha: float = 1.0) -> Tensor:
    negative = torch.where(z > 0, torch.zeros_like(z), z)
    return torch.where(z > 0, torch.ones_like(z), alpha * torch.exp(negative))


def gelu(z: Tensor) -> Tensor:
    """z · Φ(z), with Φ the standard normal distribution function."""
    return z * 0.5 * (1 + torch.erf(z / math.sqrt(2)))


def gelu_derivative(z: Tensor) -> Tensor:
    phi = torch.exp(-0.5 * z ** 2) / math.sqrt(2 * math.pi)
    return 0.5 * (1 + torch.erf(z / math.sqrt(2))) + z * phi


def softplus(z: Tensor) -> Tensor:
    """log(1 + e^z), a smooth ReLU: z + log(1 + e^-z) for z >= 0, log(1 + e^z) below.

    Each branch only exponentiates a number <= 0 and sees a harmless 0 where the other is chosen, so neither
    overflows and autograd's gradient (the sigmoid) is right everywhere, z = 0 and z = ±1000 included.
    """
    positive = z >= 0
    zero = torch.zeros_like(z)
    z_pos, z_neg = torch.where(positive, z, zero), torch.where(positive, zero, z)
    return torch.where(positive, z_pos + torch.log1p(torch.exp(-z_pos)), torch.log1p(torch.exp(z_neg)))


def softplus_derivative(z: Tensor) -> Tensor:
    return sigmoid(z)


def step(z: Tensor) -> Tensor:
    """The Heaviside step of the perceptron: 1 where z > 0, else 0."""
    return (z > 0).to(z.dtype)


def step_derivative(z: Tensor) -> Tensor:
    # Zero almost everywhere: the reason gradient descent cannot train step units.
    return torch.zeros_like(z)


def identity(z: Tensor) -> Tensor:
    return z


def identity_derivative(z: Tensor) -> Tensor:
    return torch.ones_like(z)


@dataclass(frozen=True)
class Activation:
    """An activation: our function, our derivative, PyTorch's function (None where torch has none), a note."""

    name: str
    f: Callable[[Tensor], Tensor]
    derivative: Callable[[Tensor], Tensor]
    reference: Callable[[Tensor], Tensor] | None
    note: str


ACTIVATIONS: dict[str, Activation] = {a.name: a for a in [
    Activation("sigmoid", sigmoid, sigmoid_derivative, torch.sigmoid, "squashes to (0, 1); saturates, slope at most 1/4"),
    Activation("tanh", tanh, tanh_derivative, torch.tanh, "squashes to (-1, 1), zero-centred; saturates"),
    Activation("relu", relu, relu_derivative, F.relu, "zero for negatives, identity for positives; cheap"),
    Activation("leaky_relu", leaky_relu, leaky_relu_derivative, F.leaky_relu, "a small slope for negatives"),
    Activation("elu", elu, elu_derivative, F.elu, "smooth negative part that saturates at -alpha"),
    Activation("gelu", gelu, gelu_derivative, F.gelu, "z weighted by how likely it is positive; used in transformers"),
    Activation("softplus", softplus, softplus_derivative, F.softplus, "a smooth ReLU"),
    Activation("step", step, step_derivative, None, "the perceptron's threshold; its derivative is 0"),
    Activation("identity", identity, identity_derivative, None, "no non-linearity: stacked layers stay linear"),
]}


def get(name: str) -> Activation:
    """The activation called `name`, with a helpful error for unknown names."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; choose from {', '.join(ACTIVATIONS)}") from None
