"""Loss functions from scratch (chapter "Forward propagation, loss and backpropagation").

Mean squared error, binary cross-entropy from probabilities and (stably) from logits, and multi-class
cross-entropy with the log-sum-exp trick. Each equals its PyTorch counterpart in values and gradients
(tests/test_losses.py); the `naive_*` versions are the textbook formulas, kept to show where they break.
`POINTWISE` pairs single-example losses with their hand-derived derivatives, for plots.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

from dlcourse.activations import softplus  # log(1 + e^z), stable and with the right gradient everywhere

LOG_FLOOR = -100.0
"""PyTorch's binary_cross_entropy clamps each log at -100, so that p = 0 or 1 gives a large finite loss."""


def mse(predictions: Tensor, targets: Tensor) -> Tensor:
    """Mean of the squared differences, over every element."""
    return ((predictions - targets) ** 2).mean()


GRADIENT_FLOOR = torch.tensor(1e-12, dtype=torch.float32).item()
"""PyTorch's binary_cross_entropy backward divides by max(p (1 - p), 1e-12), finite at p = 0 or 1; its 1e-12 is a
float32 constant (9.99999996e-13), which shows in float64 gradients at p = 0 or 1."""


class _BinaryCrossEntropy(torch.autograd.Function):
    """The mean loss with its derivatives written out, so that they can be clamped where torch clamps them.

    Autograd through the clamped logs would give 0 * inf = NaN at p = 0 or 1, and -y/p + (1-y)/(1-p) without a
    floor for p below 1e-12; torch's rule is d/dp = (p - y) / max(p (1 - p), 1e-12), and d/dy = log(1-p) - log(p)
    without any clamp.
    """

    @staticmethod
    def forward(ctx, p: Tensor, y: Tensor) -> Tensor:
        log_p, log_not_p = torch.log(p).clamp(min=LOG_FLOOR), torch.log(1 - p).clamp(min=LOG_FLOOR)
        ctx.save_for_backward(p, y)
        return -(y * log_p + (1 - y) * log_not_p).mean()

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        p, y = ctx.saved_tensors
        scale = grad / max(p.numel(), 1)
        grad_p = grad_y = None
        if ctx.needs_input_grad[0]:
            grad_p = scale * (p - y) / (p * (1 - p)).clamp(min=GRADIENT_FLOOR)
        if ctx.needs_input_grad[1]:
            grad_y = scale * (torch.log(1 - p) - torch.log(p))  # torch does not clamp this one: ±inf at 0 and 1
        return grad_p, grad_y


def binary_cross_entropy(probabilities: Tensor, targets: Tensor) -> Tensor:
    """-mean(y log p + (1 - y) log(1 - p)), each log clamped at -100 and the gradient's denominator at 1e-12,
    as in PyTorch."""
    probabilities, targets = torch.broadcast_tensors(probabilities, targets)
    return _BinaryCrossEntropy.apply(probabilities, targets)


def binary_cross_entropy_with_logits(logits: Tensor, targets: Tensor) -> Tensor:
    """Binary cross-entropy of p = sigmoid(z), from z: softplus(z) - y z."""
    return (softplus(logits) - targets * logits).mean()


def naive_binary_cross_entropy_with_logits(logits: Tensor, targets: Tensor) -> Tensor:
    """The textbook formula through p = 1 / (1 + e^-z): inf or NaN once |z| is large (p rounds to 0 or 1)."""
    p = 1 / (1 + torch.exp(-logits))
    return -(targets * torch.log(p) + (1 - targets) * torch.log(1 - p)).mean()


def logsumexp(z: Tensor, dim: int = -1, keepdim: bool = False) -> Tensor:
    """log Σ exp(z) along `dim`, as m + log Σ exp(z - m), m the largest entry.

    No exponent exceeds 0, so nothing overflows. m is a constant: neither
    the result nor its gradient depends on it. (A row of -inf uses m = 0
    and gives -inf, not NaN.)
    """
    if z.shape[dim] == 0:  # an empty sum: log 0 = -inf, as torch.logsumexp gives
        return torch.log(torch.exp(z).sum(dim=dim, keepdim=keepdim))
    m = z.amax(dim=dim, keepdim=True).detach()
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
    out = m + torch.log(torch.exp(z - m).sum(dim=dim, keepdim=True))
    return out if keepdim else out.squeeze(dim)


def log_softmax(z: Tensor, dim: int = -1) -> Tensor:
    """log softmax(z) = z - logsumexp(z)."""
    return z - logsumexp(z, dim, keepdim=True)


def softmax(z: Tensor, dim: int = -1) -> Tensor:
    """exp(z) / Σ exp(z), through the stable log-softmax."""
    return torch.exp(log_softmax(z, dim))


def cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean over the batch of -log softmax(logits)[target]; logits (N, C), integer targets (N,)."""
    picked = log_softmax(logits, dim=1).gather(1, targets.long().unsqueeze(1)).squeeze(1)
    return -picked.mean()


def naive_cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    """The textbook softmax, exp(z) / Σ exp(z), then -log: exp overflows to inf once a logit exceeds ~709."""
    e = torch.exp(logits)
    p = e / e.sum(dim=1, keepdim=True)
    return -torch.log(p[torch.arange(len(targets)), targets.long()]).mean()


# ------------------------------------------------------------------ single-example losses, for pictures


@dataclass(frozen=True)
class PointLoss:
    """The loss of one prediction against one target, its derivative by hand, and what the prediction is."""

    name: str
    loss: Callable[[Tensor, float], Tensor]
    derivative: Callable[[Tensor, float], Tensor]
    prediction: str  # what the x-axis holds
    domain: tuple[float, float]


POINTWISE: dict[str, PointLoss] = {p.name: p for p in [
    PointLoss("squared error", lambda a, y: (a - y) ** 2, lambda a, y: 2 * (a - y),
              "prediction ŷ", (-1.0, 2.0)),
    PointLoss("cross-entropy on a probability",
              lambda p, y: -(y * torch.log(p) + (1 - y) * torch.log(1 - p)),
              lambda p, y: (p - y) / (p * (1 - p)), "probability p", (0.005, 0.995)),
    PointLoss("cross-entropy on a logit", lambda z, y: softplus(z) - y * z,
              lambda z, y: torch.sigmoid(z) - y, "logit z", (-8.0, 8.0)),
    PointLoss("squared error on sigmoid(logit)", lambda z, y: (torch.sigmoid(z) - y) ** 2,
              lambda z, y: 2 * (torch.sigmoid(z) - y) * torch.sigmoid(z) * (1 - torch.sigmoid(z)),
              "logit z", (-8.0, 8.0)),
]}
"""Four ways to score a prediction against a target y in [0, 1]: as a value, a probability or a logit."""
