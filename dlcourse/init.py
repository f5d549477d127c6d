"""Weight initialisation from scratch: fan-in and fan-out, Xavier/Glorot and He/Kaiming, uniform and normal.

Each function fills a tensor in place and returns it, like `torch.nn.init`; given the same generator it draws
exactly the same numbers. Used by the chapter "Vanishing and exploding gradients".
"""
from __future__ import annotations

import math
import warnings

import torch
from torch import Tensor

GAINS = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0)}
"""The recommended gain of each activation: the factor that keeps the signal's variance from layer to layer."""


def gain(nonlinearity: str, negative_slope: float = 0.01) -> float:
    """The gain of `nonlinearity` (as `torch.nn.init.calculate_gain`), leaky ReLU included.

    Alone, leaky ReLU's slope defaults to 0.01 as in `calculate_gain`; the kaiming functions pass their `a`, which
    defaults to 0 as in `torch.nn.init.kaiming_*` (gain sqrt(2)).
    """
    if nonlinearity == "leaky_relu":
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity not in GAINS:
        raise ValueError(f"unknown nonlinearity {nonlinearity!r}: use one of {', '.join(GAINS)} or leaky_relu")
    return GAINS[nonlinearity]


def fans(shape: tuple[int, ...] | torch.Size) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of `shape` (out, in, *kernel): the inputs and outputs each unit connects."""
    if len(shape) < 2:
        raise ValueError(f"fans need a weight with at least 2 dimensions, got shape {tuple(shape)}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def xavier_std(shape: tuple[int, ...] | torch.Size, gain: float = 1.0) -> float:
    """Glorot and Bengio's standard deviation, gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(shape)
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def kaiming_std(shape: tuple[int, ...] | torch.Size, gain: float = math.sqrt(2.0), mode: str = "fan_in") -> float:
    """He et al.'s standard deviation, gain / sqrt(fan), with fan_in (forward signal) or fan_out (backward)."""
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fans(shape)
    return gain / math.sqrt(fan_in if mode == "fan_in" else fan_out)


def _empty(tensor: Tensor) -> bool:
    """Whether `tensor` has no elements: then there is nothing to fill (and a fan may be 0), so warn as torch does."""
    if tensor.numel() == 0:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def _uniform(tensor: Tensor, std: float, generator: torch.Generator | None) -> Tensor:
    bound = math.sqrt(3.0) * std  # U(-a, a) has standard deviation a / sqrt(3)
    with torch.no_grad():
        return tensor.uniform_(-bound, bound, generator=generator)


def _normal(tensor: Tensor, std: float, generator: torch.Generator | None) -> Tensor:
    with torch.no_grad():
        return tensor.normal_(0.0, std, generator=generator)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
    """Fill `tensor` from U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    if _empty(tensor):
        return tensor
    return _uniform(tensor, xavier_std(tensor.shape, gain), generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
    """Fill `tensor` from N(0, std²) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    if _empty(tensor):
        return tensor
    return _normal(tensor, xavier_std(tensor.shape, gain), generator)


def kaiming_uniform_(tensor: Tensor, mode: str = "fan_in", nonlinearity: str = "relu",
                     generator: torch.Generator | None = None, a: float = 0.0) -> Tensor:
    """Fill `tensor` from U(-b, b) with b = gain * sqrt(3 / fan); `a` is leaky ReLU's negative slope (torch's a)."""
    if _empty(tensor):
        return tensor
    return _uniform(tensor, kaiming_std(tensor.shape, gain(nonlinearity, a), mode), generator)


def kaiming_normal_(tensor: Tensor, mode: str = "fan_in", nonlinearity: str = "relu",
                    generator: torch.Generator | None = None, a: float = 0.0) -> Tensor:
    """Fill `tensor` from N(0, std²) with std = gain / sqrt(fan); `a` is leaky ReLU's negative slope (torch's a)."""
    if _empty(tensor):
        return tensor
    return _normal(tensor, kaiming_std(tensor.shape, gain(nonlinearity, a), mode), generator)


def pytorch_default_std(shape: tuple[int, ...] | torch.Size) -> float:
    """The standard deviation of `nn.Linear`'s own initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    fan_in, _ = fans(shape)
    return 1.0 / math.sqrt(3.0 * fan_in)


SCHEMES = ("pytorch default", "xavier", "kaiming")
"""The initialisations the chapter compares (uniform versions)."""


def initialise_(tensor: Tensor, scheme: str, nonlinearity: str = "relu",
                generator: torch.Generator | None = None) -> Tensor:
    """Fill a weight by one of `SCHEMES`; Xavier and Kaiming use the gain of `nonlinearity`."""
    if scheme == "pytorch default":
        return _uniform(tensor, pytorch_default_std(tensor.shape), generator)
    if scheme == "xavier":
        return xavier_uniform_(tensor, gain(nonlinearity), generator)
    if scheme == "kaiming":
        return kaiming_uniform_(tensor, "fan_in", nonlinearity, generator)
    raise ValueError(f"unknown scheme {scheme!r}: use one of {', '.join(SCHEMES)}")
