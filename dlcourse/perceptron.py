"""Rosenblatt's perceptron learning rule, from scratch (chapter "The artificial neuron").

Labels are 0/1; internally the rule uses ±1 and updates on every point with y·(w·x + b) <= 0, the same rule as
scikit-learn's `Perceptron(eta0=1, penalty=None, shuffle=False)` (the tests compare the two weight for weight).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor


@dataclass
class PerceptronRun:
    """Weights, bias and the number of mistakes (updates) in each epoch of a perceptron run."""

    w: Tensor
    b: float
    mistakes: list[int] = field(default_factory=list)
    history: list[tuple[Tensor, float]] = field(default_factory=list)

    @property
    def converged(self) -> bool:
        """True when the last epoch made no mistake: every training point is classified correctly."""
        return bool(self.mistakes) and self.mistakes[-1] == 0

    @property
    def updates(self) -> int:
        return sum(self.mistakes)

    def predict(self, X: Tensor) -> Tensor:
        return (X @ self.w + self.b > 0).long()


def perceptron_step(w: Tensor, b: float, x: Tensor, label: int, lr: float = 1.0) -> tuple[Tensor, float, bool]:
    """One application of the rule to one point: returns the new (w, b) and whether it was a mistake."""
    sign = 1.0 if int(label) == 1 else -1.0
    if sign * (float(x @ w) + b) <= 0:
        return w + lr * sign * x, b + lr * sign, True
    return w, b, False


def train_perceptron(X: Tensor, y: Tensor, epochs: int = 100, lr: float = 1.0) -> PerceptronRun:
    """Sweep the data in order, applying the rule, until an epoch without mistakes or `epochs` sweeps."""
    X = X.double()
    w, b = torch.zeros(X.shape[1], dtype=X.dtype), 0.0
    run = PerceptronRun(w, b)
    for _ in range(epochs):
        mistakes = 0
        for x, label in zip(X, y.tolist()):
            w, b, wrong = perceptron_step(w, b, x, label, lr)
            mistakes += wrong
        run.mistakes.append(mistakes)
        run.history.append((w.clone(), b))
        if mistakes == 0:
            break
    run.w, run.b = w, b
    return run


def novikoff_bound(X: Tensor, y: Tensor, w: Tensor, b: float) -> float:
    """Novikoff's bound (R / γ)^2 on the perceptron's number of updates, for any separating (w, b).

    R is the largest norm of an input extended by a constant 1 (for the bias); γ is the margin of (w, b) scaled
    to unit length over the same extended space. Infinite when (w, b) does not separate the data.
    """
    X = X.double()
    extended = torch.cat([X, torch.ones(len(X), 1, dtype=X.dtype)], 1)
    direction = torch.cat([w.double(), torch.tensor([float(b)], dtype=X.dtype)])
    signs = y.double() * 2 - 1
    margin = (signs * (extended @ direction)).min() / direction.norm()
    if margin <= 0:
        return float("inf")
    radius = extended.norm(dim=1).max()
    return float((radius / margin) ** 2)
