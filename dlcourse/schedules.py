"""Learning-rate schedules from scratch: the factor that multiplies the base rate at step (or epoch) t, for LambdaLR.

Chapter "Gradient descent and its variants" (through `dlcourse.optim`, which re-exports them) shows that each gives
the rates of its `torch.optim.lr_scheduler` namesake.
"""
from __future__ import annotations

import math


def step_decay(t: int, every: int, gamma: float = 0.1) -> float:
    """Multiply the rate by `gamma` every `every` steps (torch's StepLR)."""
    return gamma ** (t // every)


def cosine(t: int, total: int, floor: float = 0.0, hold: bool = False) -> float:
    """Half a cosine from 1 down to `floor` over `total` steps (torch's CosineAnnealingLR).

    Like torch's, the cosine goes on after `total` and the rate rises again (period 2 total); `hold=True` stays at
    the floor instead, which torch's scheduler does not offer.
    """
    if hold:
        t = min(t, total)
    return floor + (1 - floor) * (1 + math.cos(math.pi * t / total)) / 2


def warmup_cosine(t: int, warmup: int, total: int, start: float = 0.1, floor: float = 0.0) -> float:
    """Linear warm-up from `start` to 1 over `warmup` steps, then cosine decay to `floor` at step `total`.

    torch: SequentialLR of LinearLR(start, 1, warmup) and CosineAnnealingLR(total - warmup) at milestone warmup.
    """
    if t < warmup:
        return start + (1 - start) * t / warmup
    return cosine(t - warmup, total - warmup, floor)  # after `total` it rises again, as torch's does
