"""Measuring hardware: a Python-loop matrix product against torch's, GFLOP/s, and arithmetic intensity.

Used by the chapter "Hardware and parallel computing".
"""
from __future__ import annotations

import contextlib
import time
from typing import Callable, Iterator

import torch


def matmul_loops(A: list[list[float]], B: list[list[float]]) -> list[list[float]]:
    """The textbook triple loop over Python lists: C[i][j] = sum_k A[i][k] * B[k][j]."""
    n, inner, m = len(A), len(B), len(B[0])
    if any(len(row) != inner for row in A):
        raise ValueError("A's rows must be as long as B has rows")
    C = [[0.0] * m for _ in range(n)]
    for i in range(n):
        for j in range(m):
            total = 0.0
            for k in range(inner):
                total += A[i][k] * B[k][j]
            C[i][j] = total
    return C


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one CPU thread inside the block (a fair match for one Python loop; for tiny models, more
    threads only add overhead)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def synchronize(device: torch.device | str) -> None:
    """Wait for the device to finish queued work (GPU kernels run asynchronously; timing needs this)."""
    kind = torch.device(device).type
    if kind == "cuda":
        torch.cuda.synchronize()
    elif kind == "mps":
        torch.mps.synchronize()


def best_time(fn: Callable[[], object], repeat: int = 5, number: int = 1,
              device: torch.device | str = "cpu") -> float:
    """Seconds per call of `fn`: the best of `repeat` runs of `number` calls (the least disturbed one)."""
    fn()  # warm-up: first calls pay for allocation and kernel selection
    synchronize(device)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        synchronize(device)
        best = min(best, (time.perf_counter() - start) / number)
    return best


def matmul_flops(n: int, m: int | None = None, k: int | None = None) -> int:
    """Floating-point operations of an (n, k) @ (k, m) product: one multiply and one add per term."""
    m = n if m is None else m
    k = n if k is None else k
    return 2 * n * m * k


def gflops(flops: float, seconds: float) -> float:
    """Throughput in billions of floating-point operations per second."""
    return flops / seconds / 1e9


def matmul_throughput(sizes: list[int], device: torch.device | str = "cpu",
                      dtype: torch.dtype = torch.float32, budget: float = 0.05) -> dict[int, float]:
    """GFLOP/s of torch's n x n matrix product for each n (each size timed for about `budget` seconds)."""
    results = {}
    for n in sizes:
        A = torch.randn(n, n, dtype=dtype, device=device)
        B = torch.randn(n, n, dtype=dtype, device=device)
        once = best_time(lambda: A @ B, repeat=1, device=device)
        number = max(1, int(budget / max(once, 1e-7) / 3))
        seconds = best_time(lambda: A @ B, repeat=3, number=number, device=device)
        results[n] = gflops(matmul_flops(n), seconds)
    return results


def vector_add_throughput(n: int = 4_000_000, device: torch.device | str = "cpu",
                          dtype: torch.dtype = torch.float32) -> tuple[float, float]:
    """(GFLOP/s, GB/s) of an elementwise add c = a + b of `n` numbers: one FLOP per three memory accesses."""
    a = torch.randn(n, dtype=dtype, device=device)
    b = torch.randn(n, dtype=dtype, device=device)
    c = torch.empty_like(a)
    seconds = best_time(lambda: torch.add(a, b, out=c), repeat=5, device=device)
    moved = 3 * n * a.element_size()
    return gflops(n, seconds), moved / seconds / 1e9


def intensity_vector_add(bytes_per_element: int = 4) -> float:
    """FLOPs per byte of c = a + b: n additions, 3n numbers read or written."""
    return 1 / (3 * bytes_per_element)


def intensity_matmul(n: int, bytes_per_element: int = 4) -> float:
    """FLOPs per byte of an n x n product: 2n^3 operations, at least 3n^2 numbers read or written."""
    return matmul_flops(n) / (3 * n * n * bytes_per_element)


def roofline(intensity: float, peak_gflops: float, bandwidth_gbs: float) -> float:
    """The most GFLOP/s a kernel of this intensity can reach: limited by compute or by memory traffic."""
    return min(peak_gflops, intensity * bandwidth_gbs)


def gpu_name() -> str | None:
    """The GPU's name when CUDA or Apple MPS is available, else None."""
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "Apple silicon (MPS)"
    return None
