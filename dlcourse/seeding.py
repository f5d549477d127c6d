"""Reproducibility: one call seeds Python's, NumPy's and PyTorch's random number generators.

Used by every chapter's first cell (through `dlcourse.setup`) and by every training demo.
"""
from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed `random`, NumPy and torch (CPU and all GPUs); return a torch generator seeded the same way."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
