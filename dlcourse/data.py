"""The course's data, all offline: sklearn's bundled digits, MNIST-1D made by its procedural generator, US-census
first names from the `names` package, and generated 2-D sets (blobs, XOR, moons, circles, spirals).

Every generator takes a `seed` and returns float32 inputs and int64 labels, so a chapter's numbers are reproducible.
Used from "The artificial neuron" onwards.
"""
from __future__ import annotations

import functools
import math
import random
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from dlcourse import seeding
from dlcourse.extras import require


def _generator(seed: int) -> torch.Generator:
    return seeding.generator(seed)


def split(X: Tensor, y: Tensor, test_fraction: float = 0.25, seed: int = 0) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Shuffle and split into `X_train, y_train, X_test, y_test`."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}")
    order = torch.randperm(len(X), generator=_generator(seed))
    n_test = max(1, round(len(X) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]


def digits(flat: bool = True, test_fraction: float = 0.25, seed: int = 0) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """sklearn's 1,797 handwritten 8x8 digits, scaled to [0, 1]: `X_train, y_train, X_test, y_test`.

    `flat=True` gives vectors of 64 pixels; `flat=False` gives images of shape (1, 8, 8).
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - scikit-learn is a dependency
        raise ImportError("the digits data ship with scikit-learn: pip install scikit-learn") from exc
    bunch = load_digits()
    X = torch.tensor(bunch.data, dtype=torch.float32) / 16.0
    y = torch.tensor(bunch.target, dtype=torch.int64)
    if not flat:
        X = X.reshape(-1, 1, 8, 8)
    return split(X, y, test_fraction, seed)


def mnist1d(n_train: int = 4000, n_test: int = 1000, seed: int = 42) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """MNIST-1D (Greydanus 2020): ten digit templates as 1-D signals of length 40, shifted, scaled, sheared and noised.

    Made by the package's own generator (`mnist1d.data.make_dataset`), never downloaded. Returns
    `X_train (n_train, 40), y_train, X_test (n_test, 40), y_test`; seed 42 gives the published data set.
    """
    require("mnist1d.data", "MNIST-1D")  # a clear message (which extra) where it is missing
    X, y, X_test, y_test = _mnist1d(n_train, n_test, seed)  # cached: generating takes about a second
    return X.clone(), y.clone(), X_test.clone(), y_test.clone()


@functools.lru_cache(maxsize=4)
def _mnist1d(n_train: int, n_test: int, seed: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    generator = require("mnist1d.data", "MNIST-1D")
    get_dataset_args, make_dataset = generator.get_dataset_args, generator.make_dataset
    if n_train < 10 or n_test < 10:
        raise ValueError(f"MNIST-1D needs at least 10 samples in each part, got {n_train} and {n_test}")
    args = get_dataset_args()
    args.num_samples, args.train_split, args.seed = (n_train + n_test, n_train / (n_train + n_test),
                                                          seeding.derive(seed))
    # make_dataset reseeds Python's and NumPy's global generators; leave the learner's untouched
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        made = make_dataset(args)
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
    as_x = lambda a: torch.tensor(a, dtype=torch.float32)
    as_y = lambda a: torch.tensor(a, dtype=torch.int64)
    return as_x(made["x"]), as_y(made["y"]), as_x(made["x_test"]), as_y(made["y_test"])


def first_names() -> list[str]:
    """The 5,163 distinct US-census first names (1990) shipped by the `names` package, lower-case, sorted."""
    names = require("names", "The census first names")
    folder = Path(names.__file__).parent
    found = set()
    for file in ("dist.female.first", "dist.male.first"):
        for line in (folder / file).read_text().splitlines():
            if line.strip():
                found.add(line.split()[0].lower())
    return sorted(found)


def blobs(n: int = 200, centers: Tensor | None = None, spread: float = 0.5, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Gaussian clouds around `centers` (default: two clouds that a line separates); label = index of the centre."""
    centers = torch.tensor([[-1.5, -1.0], [1.5, 1.0]]) if centers is None else torch.as_tensor(centers, dtype=torch.float32)
    g = _generator(seed)
    y = torch.arange(n) % len(centers)
    X = centers[y] + spread * torch.randn(n, 2, generator=g)
    return X, y


def linearly_separable(n: int = 100, margin: float = 0.3, seed: int = 0, return_line: bool = False):
    """Points in [-2, 2]^2 labelled by the side of a random line, keeping only those at least `margin` away from it.

    Returns `X, y`, or `X, y, (normal, offset)` with `return_line`: the unit normal and offset of the line.
    """
    g = _generator(seed)
    angle = torch.rand(1, generator=g) * 2 * math.pi
    normal = torch.cat([torch.cos(angle), torch.sin(angle)])
    offset = (torch.rand(1, generator=g) - 0.5)
    kept: list[Tensor] = []
    while sum(len(k) for k in kept) < n:
        candidates = torch.rand(4 * n, 2, generator=g) * 4 - 2
        distance = candidates @ normal + offset
        kept.append(candidates[distance.abs() >= margin])
    X = torch.cat(kept)[:n]
    y = ((X @ normal + offset) > 0).long()
    return (X, y, (normal, float(offset))) if return_line else (X, y)


def xor(n: int = 200, noise: float = 0.15, seed: int = 0) -> tuple[Tensor, Tensor]:
    """The XOR problem: four clouds at the corners of a square; opposite corners share a label."""
    g = _generator(seed)
    corners = torch.tensor([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    labels = torch.tensor([0, 0, 1, 1])
    index = torch.arange(n) % 4
    X = corners[index] + noise * torch.randn(n, 2, generator=g)
    return X, labels[index]


def moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Two interleaving half circles."""
    g = _generator(seed)
    y = torch.arange(n) % 2
    t = torch.rand(n, generator=g) * math.pi
    upper = torch.stack([torch.cos(t), torch.sin(t)], 1)
    lower = torch.stack([1 - torch.cos(t), 0.5 - torch.sin(t)], 1)
    X = torch.where(y[:, None] == 0, upper, lower) + noise * torch.randn(n, 2, generator=g)
    return X, y


def circles(n: int = 200, noise: float = 0.08, ratio: float = 0.5, seed: int = 0) -> tuple[Tensor, Tensor]:
    """A small circle (label 1) inside a large one (label 0)."""
    g = _generator(seed)
    y = torch.arange(n) % 2
    t = torch.rand(n, generator=g) * 2 * math.pi
    radius = torch.where(y == 1, torch.tensor(ratio), torch.tensor(1.0))
    X = radius[:, None] * torch.stack([torch.cos(t), torch.sin(t)], 1) + noise * torch.randn(n, 2, generator=g)
    return X, y


def spiral(n: int = 300, classes: int = 2, turns: float = 1.5, noise: float = 0.08, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Interleaved spiral arms, one per class: hard for shallow models."""
    g = _generator(seed)
    y = torch.arange(n) % classes
    r = torch.rand(n, generator=g) * 0.9 + 0.1
    theta = r * turns * 2 * math.pi + y * (2 * math.pi / classes)
    X = r[:, None] * torch.stack([torch.cos(theta), torch.sin(theta)], 1) + noise * torch.randn(n, 2, generator=g)
    return X, y


TOY_SETS = {"blobs": blobs, "xor": xor, "moons": moons, "circles": circles, "spiral": spiral}
"""The generated 2-D sets by name, for widgets that let the learner pick one."""
