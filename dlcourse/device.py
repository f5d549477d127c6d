"""Where the course's tensors live: pick CUDA, then Apple MPS, then the CPU; report the set-up.

Used by every chapter's first cell (through `dlcourse.setup`) and by the set-up notebook.
"""
from __future__ import annotations

import os
import platform
import sys

import torch

_PREFERENCE = ("cuda", "mps", "cpu")


def _available(kind: str) -> bool:
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        mps = getattr(torch.backends, "mps", None)
        return bool(mps and mps.is_available())
    return kind == "cpu"


def device(prefer: str | None = None) -> torch.device:
    """The best device here: CUDA, then MPS, then CPU.

    `prefer` (or the environment variable DLCOURSE_DEVICE) forces a kind, e.g. "cpu" to compare timings.
    """
    choice = prefer or os.environ.get("DLCOURSE_DEVICE")
    if choice:
        kind = str(choice).split(":")[0]
        if kind not in _PREFERENCE:
            raise ValueError(f"unknown device {choice!r}: use one of {', '.join(_PREFERENCE)}")
        if not _available(kind):
            raise RuntimeError(f"device {choice!r} was asked for but is not available on this machine")
        return torch.device(choice)
    for kind in _PREFERENCE:
        if _available(kind):
            return torch.device(kind)
    return torch.device("cpu")  # pragma: no cover - the loop always ends on cpu


def describe(dev: torch.device | None = None) -> dict[str, str]:
    """Versions and hardware, as a dict of short strings (shown by the set-up notebook)."""
    dev = dev or device()
    info = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "device": str(dev),
        "cpu threads": str(torch.get_num_threads()),
        "platform": f"{platform.system()} {platform.machine()}",
        "in Colab": str("google.colab" in sys.modules),
    }
    if dev.type == "cuda":
        props = torch.cuda.get_device_properties(dev)
        info["gpu"] = f"{props.name}, {props.total_memory / 2**30:.0f} GiB"
    elif dev.type == "mps":
        info["gpu"] = "Apple silicon (MPS)"
    else:
        info["gpu"] = "none found: running on the CPU (every chapter is sized for this)"
    return info
