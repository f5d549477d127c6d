"""Regularisation from scratch: L2 and L1 penalties, inverted dropout, early stopping, data augmentation by
circular shifts, and a wide MLP that overfits.

`penalised` turns a loss into loss + penalty for `fit`; `dropout` / `Dropout` equal `nn.Dropout` in distribution
(training) and are the identity in evaluation. Used by the chapter "Overfitting and regularisation".
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import torch
from torch import Tensor, nn

from dlcourse import seeding


def l2_penalty(params: Iterable[Tensor], strength: float) -> Tensor:
    """(strength / 2) * sum of squared weights: its gradient is strength * w, SGD's `weight_decay`."""
    return 0.5 * strength * sum(p.pow(2).sum() for p in params)


def l1_penalty(params: Iterable[Tensor], strength: float) -> Tensor:
    """strength * sum of absolute weights: its (sub)gradient is strength * sign(w)."""
    return strength * sum(p.abs().sum() for p in params)


def weights(model: nn.Module) -> list[Tensor]:
    """The model's weight matrices (penalties usually leave biases alone)."""
    return [p for name, p in model.named_parameters() if name.endswith("weight")]


def penalised(model: nn.Module, l2: float = 0.0, l1: float = 0.0,
              loss: Callable[[Tensor, Tensor], Tensor] = nn.functional.cross_entropy
              ) -> Callable[[Tensor, Tensor], Tensor]:
    """A loss for `fit`: `loss(outputs, targets)` plus the L2 and L1 penalties on `model`'s weights."""
    def total(outputs: Tensor, targets: Tensor) -> Tensor:
        value = loss(outputs, targets)
        if l2:
            value = value + l2_penalty(weights(model), l2)
        if l1:
            value = value + l1_penalty(weights(model), l1)
        return value
    return total


def dropout(x: Tensor, p: float = 0.5, training: bool = True, generator: torch.Generator | None = None) -> Tensor:
    """Inverted dropout: in training, zero each element with probability p and scale the rest by 1 / (1 - p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must lie in [0, 1], got {p}")
    if not training or p == 0.0:
        return x  # the rescaling during training already made the expected activation equal: nothing to do
    if p == 1.0:
        return torch.zeros_like(x)
    keep = torch.rand(x.shape, generator=generator, device=x.device) >= p
    return x * keep / (1.0 - p)


class Dropout(nn.Module):
    """`dropout` as a module: active in `model.train()`, the identity in `model.eval()`."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def wide_mlp(n_in: int, n_out: int, width: int = 512, depth: int = 2, p: float = 0.0, seed: int = 0) -> nn.Sequential:
    """`depth` hidden ReLU layers of `width` units, each followed by our `Dropout(p)` when p > 0."""
    seeding.seed(seed)
    layers: list[nn.Module] = []
    size = n_in
    for _ in range(depth):
        layers += [nn.Linear(size, width), nn.ReLU()]
        if p > 0:
            layers.append(Dropout(p))
        size = width
    layers.append(nn.Linear(size, n_out))
    return nn.Sequential(*layers)


def near_zero_fraction(model: nn.Module, threshold: float = 1e-3) -> float:
    """Fraction of the weights (not biases) whose magnitude is below `threshold`."""
    flat = torch.cat([w.detach().reshape(-1) for w in weights(model)])
    return (flat.abs() < threshold).float().mean().item()


@dataclass
class EarlyStop:
    """Where early stopping with `patience` stops, and the epoch (1-based) with the lowest validation loss."""

    stopped: int
    best: int
    best_loss: float


def early_stopping(val_losses: list[float], patience: int = 10) -> EarlyStop:
    """Replay early stopping on a list of validation losses: stop after `patience` epochs without improvement."""
    if not val_losses:
        raise ValueError("early stopping needs at least one validation loss")
    best, best_loss, waited = 0, float("inf"), 0
    for epoch, loss in enumerate(val_losses):
        if loss < best_loss:
            best, best_loss, waited = epoch, loss, 0
        else:
            waited += 1
            if waited >= patience:
                return EarlyStop(epoch + 1, best + 1, best_loss)
    return EarlyStop(len(val_losses), best + 1, best_loss)


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Optimizer parameter groups that decay the weights and leave the biases alone (as `penalised` does)."""
    decayed = weights(model)
    ids = {id(p) for p in decayed}
    rest = [p for p in model.parameters() if id(p) not in ids]
    return [{"params": decayed, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


def decay_comparison(scales: Tensor, steps: int = 500, lr: float = 1e-3, strength: float = 1.0,
                     seed: int = 0) -> dict[str, Tensor]:
    """Weights that start at 1 and receive noisy gradients of size `scales`; where do Adam + L2 and AdamW leave them?

    Both optimizers see the same gradient noise; only the way the decay enters differs.
    Returns the final weights of each: {"Adam + L2": ..., "AdamW": ...}.
    """
    results = {}
    for name, make in (("Adam + L2", torch.optim.Adam), ("AdamW", torch.optim.AdamW)):
        g = seeding.generator(seed)
        w = nn.Parameter(torch.ones(len(scales)))
        optimizer = make([w], lr=lr, weight_decay=strength)
        for _ in range(steps):
            w.grad = scales * torch.randn(len(scales), generator=g)
            optimizer.step()
        results[name] = w.detach().clone()
    return results


def shifted_copies(X: Tensor, y: Tensor, copies: int, max_shift: int, noise: float = 0.0,
                   seed: int = 0) -> tuple[Tensor, Tensor]:
    """Data augmentation for 1-D signals: `X` (n, length) plus `copies` randomly altered copies of it.

    Each copy shifts every signal circularly by a random whole number of steps in [-max_shift, max_shift] and adds
    Gaussian noise of standard deviation `noise`; the labels repeat. Returns `(X_augmented, y_augmented)`.
    """
    g = seeding.generator(seed)
    positions = torch.arange(X.shape[1], device=X.device)
    parts = [X]
    for _ in range(copies):
        shift = torch.randint(-max_shift, max_shift + 1, (len(X), 1), generator=g).to(X.device)
        shifted = X.gather(1, (positions - shift) % X.shape[1])
        parts.append(shifted + noise * torch.randn(X.shape, generator=g).to(X.device))
    return torch.cat(parts), y.repeat(copies + 1)
