"""Reproducibility: one seed setting for a whole run, from which every random number generator is seeded.

A run has a *base seed*: `DLCOURSE_SEED` from the environment (default 0), or the `seed` given to
`dlcourse.setup`. Every seed written in a chapter or in the package (`seed=0`, `dlcourse.seed(3)`, ...) is an
offset from it: `derive(k)` is `k` itself under the default base 0 and another, unrelated number under any other
base. So the book is executed under another seed by changing one variable, and a claim that holds only for the
seeds written in the notebook shows up (the robustness runner, `benchmarks/robustness.py`, does exactly that).
`DLCOURSE_THREADS` sets the number of CPU threads torch uses (by default torch's own choice).

Used by every chapter's first cell (through `dlcourse.setup`) and by every function that draws random numbers.
"""
from __future__ import annotations

import os
import random

import numpy as np
import torch

#: How far apart the seeds of two bases lie: a chapter's offsets (0 to 10,000) never reach the next base's.
SPACING = 1_000_003


def _from_environment(name: str) -> int | None:
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {text!r}") from None


_base: int = _from_environment("DLCOURSE_SEED") or 0


def base() -> int:
    """The run's base seed."""
    return _base


def set_base(seed: int | None = None) -> int:
    """Make `seed` the run's base seed (None: `DLCOURSE_SEED` from the environment, else 0); return it."""
    global _base
    if seed is None:
        seed = _from_environment("DLCOURSE_SEED") or 0
    _base = int(seed)
    return _base


def derive(offset: int = 0) -> int:
    """The seed numbered `offset` in this run: `offset` itself under base 0, shifted by the base otherwise."""
    return (int(offset) + SPACING * _base) % 2**63


def generator(offset: int = 0) -> torch.Generator:
    """A CPU torch generator seeded with `derive(offset)`."""
    return torch.Generator().manual_seed(derive(offset))


def seed(offset: int = 0) -> int:
    """Seed `random`, NumPy and torch (CPU and all GPUs) with `derive(offset)`; return that seed.

    The notebooks call `dlcourse.seed(k)` where a plain script would call `torch.manual_seed(k)`.
    """
    value = derive(offset)
    random.seed(value)
    np.random.seed(value % 2**32)
    torch.manual_seed(value)
    return value


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed `random`, NumPy and torch with `seed` exactly (no base); return a torch generator seeded the same way."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def set_threads(threads: int | None = None) -> int:
    """Use `threads` CPU threads in torch (None: `DLCOURSE_THREADS` from the environment, else torch's default)."""
    if threads is None:
        threads = _from_environment("DLCOURSE_THREADS")
    if threads is not None:
        if threads < 1:
            raise ValueError(f"the number of threads must be at least 1, got {threads}")
        torch.set_num_threads(threads)
    return torch.get_num_threads()
