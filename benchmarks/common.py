"""Shared plumbing of the benchmarks: timing with repetitions, and writing a result table (Markdown + JSON)."""
from __future__ import annotations

import json
import os
import platform
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def machine() -> str:
    import torch

    return (f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"torch {torch.__version__} ({torch.get_num_threads()} threads)")


def seconds(fn: Callable[[], object], repeat: int = 5, number: int = 1) -> float:
    """Median wall time of `number` calls of `fn`, over `repeat` repetitions (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def write(name: str, intro: str, header: list[str], rows: list[list[str]], data: dict) -> str:
    """Write benchmarks/results/<name>.md (a table under one line of context) and <name>.json; return the table."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"{intro} Measured {stamp} on {machine()}.", "",
             "| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.md").write_text(text)
    (RESULTS / f"{name}.json").write_text(json.dumps({"measured": stamp, "machine": machine(), **data}, indent=2)
                                          + "\n")
    print(text)
    return text
