"""Exercise checks of the chapter "Hardware and parallel computing": GFLOP/s of a matrix product, arithmetic
intensity, and how data-parallel workers combine their gradients."""
from __future__ import annotations

import torch

from dlcourse.checks import Incorrect, call, exercise, expect_close, fresh_generator


def _number(value, what: str) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, (str, bytes)):
        raise Incorrect(f"{what} should be a number, got the string {value!r:.60}: return the number, not text")
    if isinstance(value, bool):
        raise Incorrect(f"{what} should be a number, got the truth value {value}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise Incorrect(f"{what} should be a number, got {type(value).__name__} {value!r:.60}") from None


def _diagnose(value: float, expected: float, what: str, mistakes: dict[str, float]) -> None:
    close = lambda a, b: abs(a - b) <= 1e-6 * max(abs(b), 1e-30)
    if close(value, expected):
        return
    for diagnosis, wrong in mistakes.items():
        if close(value, wrong):
            raise Incorrect(f"{what}: you get {value:.4g}, expected {expected:.4g}: {diagnosis}")
    raise Incorrect(f"{what}: you get {value:.4g}, expected {expected:.4g}")


@exercise("matmul GFLOP/s", hint="An n x n product has n^2 entries, each a sum of n products: n multiplies and "
                                 "n adds. Divide by the seconds, then by 10^9.")
def matmul_gflops(answer) -> str:
    """Check `answer(n, seconds)`: the GFLOP/s of an n x n by n x n matrix product that took `seconds`."""
    g = fresh_generator()
    fresh = (int(torch.randint(2, 5000, (), generator=g)), 1e-5 + torch.rand((), generator=g).item())
    for n, seconds in [(1000, 0.05), (64, 2e-5), (4096, 1.3), fresh]:
        got = _number(call(answer, n, seconds), f"your GFLOP/s for n = {n}")
        _diagnose(got, 2 * n**3 / seconds / 1e9, f"n = {n}, {seconds} s", {
            "the factor 2 is missing: each of the n^3 terms costs a multiply *and* an add": n**3 / seconds / 1e9,
            "that is FLOP/s: divide by 10^9 for GFLOP/s": 2 * n**3 / seconds,
            "that is MFLOP/s (divided by 10^6): GFLOP/s divides by 10^9": 2 * n**3 / seconds / 1e6,
            "n^2 counts the entries of the result, but each entry costs 2n operations": 2 * n**2 / seconds / 1e9,
            "multiply by the time? Throughput is work *per second*: divide": 2 * n**3 * seconds / 1e9,
        })
    return "Correct: 2n^3 operations per product, divided by the time and by 10^9."


@exercise("arithmetic intensity", hint="Count FLOPs (2n^3) and the bytes that must at least move between memory "
                                       "and the processor: read A and B, write C.")
def matmul_intensity(answer) -> str:
    """Check `answer(n, bytes_per_element)`: FLOPs per byte of an n x n matrix product, counting 3n^2 numbers moved."""
    g = fresh_generator()
    fresh = (int(torch.randint(2, 5000, (), generator=g)), [1, 2, 4, 8][int(torch.randint(0, 4, (), generator=g))])
    for n, size in [(1024, 4), (64, 8), (10, 2), fresh]:
        got = _number(call(answer, n, size), f"your intensity for n = {n}")
        flops = 2 * n**3
        _diagnose(got, flops / (3 * n * n * size), f"n = {n}, {size} bytes per number", {
            "that is FLOPs per *number*: multiply the count of numbers by the bytes each takes":
                flops / (3 * n * n),
            "only A and B are counted: the result C must be written to memory too": flops / (2 * n * n * size),
            "the factor 2 is missing from the FLOPs (a multiply and an add per term)": n**3 / (3 * n * n * size),
            "that is bytes per FLOP: intensity is FLOPs divided by bytes": 3 * n * n * size / flops,
            "that counts one memory access per multiply-add (no reuse from cache): the minimum traffic is 3n^2 "
            "numbers": flops / (2 * n**3 * size),
        })
    return "Correct: about n/6 FLOPs per byte in float32, so large products are compute-bound."


@exercise("combining gradients", hint="The loss of the combined batch is the mean over all its examples; worker i's "
                                      "gradient is the mean over its n_i examples. Weight each by its share.")
def combine_gradients(answer) -> str:
    """Check `answer(grads, sizes)`: the gradient of the mean loss over the combined batch, from each worker's
    gradient of the mean loss over its own shard of `sizes[i]` examples."""
    g = fresh_generator()  # fresh gradients on every call, and a fresh set of shard sizes
    fresh_sizes = [int(v) for v in torch.randint(1, 50, (int(torch.randint(2, 5, (), generator=g)),), generator=g)]
    for sizes in ([32, 32], [16, 16, 16, 16], [40, 24], [10, 30, 20], fresh_sizes):
        grads = [torch.randn(4, 3, generator=g, dtype=torch.float64) for _ in sizes]
        n = torch.tensor(sizes, dtype=torch.float64)
        stacked = torch.stack(grads)
        weighted = (stacked * n[:, None, None]).sum(0)
        got = call(answer, [t.clone() for t in grads], list(sizes))
        expect_close(got, weighted / n.sum(), f"your gradient for shards of {sizes}", mistakes={
            "that is the sum of the workers' gradients: all-reduce sums, so divide by the number of workers "
            "(for equal shards) or the learning rate is effectively multiplied by it": stacked.sum(0),
            "a plain mean of the workers' gradients is right only for equal shards: weight each by its size":
                stacked.mean(0),
            "weighted by the shard sizes but not divided by the total number of examples": weighted,
            "that is only the first worker's gradient: the others' must be combined in": grads[0],
        })
    return "Correct. With equal shards this is all-reduce(sum) / world_size, which is what DDP does."
