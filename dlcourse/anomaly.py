"""Anomaly detection with models of normal data: an autoencoder's reconstruction error and a GAN discriminator's
score, measured by ROC AUC on normal versus corrupted digits.

Used by the chapter "Generative adversarial networks" (book/challenges/gans.ipynb). The autoencoder trains with `fit`.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from dlcourse import seeding

CORRUPTIONS = ("noise", "block", "shuffled")
"""Ways to make an abnormal digit: salt-and-pepper noise, an occluding bright block, shuffled pixels."""


def autoencoder(inputs: int = 64, code: int = 8, hidden: int = 64) -> nn.Sequential:
    """An MLP that squeezes `inputs` numbers through a `code`-number bottleneck and back to [0, 1]."""
    return nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, code), nn.ReLU(),
                         nn.Linear(code, hidden), nn.ReLU(), nn.Linear(hidden, inputs), nn.Sigmoid())


def corrupt(X: Tensor, kind: str = "noise", seed: int = 0, amount: float = 0.25) -> Tensor:
    """Corrupted copies of flat 8x8 images `X` (N, 64) in [0, 1]; `kind` is one of CORRUPTIONS."""
    g = seeding.generator(seed)
    X = X.clone()
    if kind == "noise":  # a fraction `amount` of pixels set to 0 or 1 at random
        hit = torch.rand(X.shape, generator=g) < amount
        X[hit] = (torch.rand(int(hit.sum()), generator=g) < 0.5).float()
    elif kind == "block":  # a bright 3x3 square at a random place
        images = X.reshape(-1, 8, 8)
        corners = torch.randint(0, 6, (len(X), 2), generator=g)
        for image, (r, c) in zip(images, corners.tolist()):
            image[r:r + 3, c:c + 3] = 1.0
    elif kind == "shuffled":  # the same pixel values in a random order: same brightness, no digit
        for row in X:
            row.copy_(row[torch.randperm(len(row), generator=g)])
    else:
        raise ValueError(f"unknown corruption {kind!r}: use one of {', '.join(CORRUPTIONS)}")
    return X


def reconstruction_error(model: nn.Module, X: Tensor) -> Tensor:
    """Mean squared error of each row of `X` against its reconstruction: the anomaly score (N,)."""
    dev = next(model.parameters()).device
    with torch.no_grad():
        return ((model(X.to(dev)).cpu() - X) ** 2).mean(1)


def roc_auc(normal_scores: Tensor, anomaly_scores: Tensor) -> float:
    """Probability that a random anomaly scores higher than a random normal example (ties count half)."""
    a = anomaly_scores.reshape(-1, 1).double()
    n = normal_scores.reshape(1, -1).double()
    return ((a > n).double().mean() + 0.5 * (a == n).double().mean()).item()
