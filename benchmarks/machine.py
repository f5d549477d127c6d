"""This machine's limit: matrix-multiply throughput (GFLOP/s) over sizes, float32, on the CPU (and a GPU if present).

The other benchmarks' numbers can be read as a fraction of it. Usage: python benchmarks/machine.py
"""
from __future__ import annotations

import torch

from common import seconds, write

SIZES = (64, 128, 256, 512, 1024, 2048)


def gflops(n: int, device: str) -> float:
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def run():
        a @ b
        sync()

    number = max(1, int(2e8 // (2 * n ** 3)))
    return 2 * n ** 3 / seconds(run, repeat=5, number=number) / 1e9


def main() -> None:
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    results = {d: {n: gflops(n, d) for n in SIZES} for d in devices}
    rows = [[str(n)] + [f"{results[d][n]:.1f}" for d in devices] for n in SIZES]
    write("machine", "Matrix-multiply throughput, float32, median of 5 repetitions.",
          ["n (n×n @ n×n)"] + [f"{d} GFLOP/s" for d in devices], rows,
          {"gflops": {d: {str(n): round(v, 2) for n, v in r.items()} for d, r in results.items()}})


if __name__ == "__main__":
    main()
