"""From scratch == PyTorch: the one helper that compares two implementations' values and gradients.

Tests and chapter notebooks both use `compare`; a chapter shows the returned `Comparison` as its evidence.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch
from torch import Tensor


@dataclass
class Comparison:
    """Largest absolute differences between two implementations: on the outputs and on each input's gradient."""

    value_error: float
    gradient_errors: list[float] = field(default_factory=list)
    atol: float = 1e-6

    @property
    def max_error(self) -> float:
        return max([self.value_error, *self.gradient_errors])

    @property
    def equal(self) -> bool:
        return self.max_error <= self.atol

    def __repr__(self) -> str:
        grads = ", ".join(f"{e:.1e}" for e in self.gradient_errors) or "none compared"
        verdict = "equal" if self.equal else "DIFFERENT"
        return f"{verdict} (tolerance {self.atol:.0e}): max |Δ| values {self.value_error:.1e}; gradients {grads}"


def _leaves(inputs: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    """Two independent copies of the inputs; floating tensors become leaves that record gradients."""
    def copy(x: Any) -> Any:
        if isinstance(x, Tensor):
            y = x.detach().clone()
            return y.requires_grad_(y.is_floating_point())
        return x
    return [copy(x) for x in inputs], [copy(x) for x in inputs]


def difference(a: Tensor, b: Tensor, rtol: float = 0.0) -> float:
    """Largest |a - b| - rtol |b| (at least 0), where equal infinities and NaN against NaN count as 0 and any other
    NaN as infinity; `rtol` lets one tolerance serve values of every size (float32 results of random inputs).

    A plain `(a - b).abs().max()` is NaN when either side has one, and NaN compares False with every tolerance
    and is skipped by Python's `max`, so a NaN gradient against a finite one would pass as equal.
    """
    a, b = a.detach(), b.detach()
    if a.numel() == 0 and b.numel() == 0:
        return 0.0
    same = (a == b) | (a.isnan() & b.isnan())
    gap = (a - b).abs()
    if rtol:
        gap = (gap - rtol * b.abs()).clamp(min=0)
    gap = torch.where(same, torch.zeros_like(gap), gap)
    return torch.nan_to_num(gap, nan=float("inf")).max().item()


def _flat(output: Any) -> list[Tensor]:
    if isinstance(output, Tensor):
        return [output]
    if isinstance(output, (tuple, list)):
        return [t for item in output for t in _flat(item)]
    raise TypeError(f"outputs must be tensors or tuples of tensors, got {type(output).__name__}")


def compare(ours: Callable[..., Any], reference: Callable[..., Any], *inputs: Any, atol: float = 1e-6,
            seed: int = 0, rtol: float = 0.0) -> Comparison:
    """Run both functions on copies of `inputs`; compare outputs, then gradients of a random projection of them.

    The projection (a fixed random weighting of every output element) makes the backward pass exercise every
    output, so a gradient that is right only for `sum()` still fails. With `rtol`, each error is measured beyond
    rtol times the reference's size (see `difference`).
    """
    ours_in, ref_in = _leaves(inputs)
    ours_out, ref_out = _flat(ours(*ours_in)), _flat(reference(*ref_in))
    if len(ours_out) != len(ref_out):
        raise ValueError(f"ours returned {len(ours_out)} tensors, the reference {len(ref_out)}")
    for a, b in zip(ours_out, ref_out):
        if a.shape != b.shape:
            raise ValueError(f"output shapes differ: ours {tuple(a.shape)}, reference {tuple(b.shape)}")
    value_error = max((difference(a, b, rtol) for a, b in zip(ours_out, ref_out)), default=0.0)
    g = torch.Generator().manual_seed(seed)
    weights = [torch.randn(b.shape, generator=g, dtype=b.dtype if b.is_floating_point() else torch.float64).to(b.device)
               for b in ref_out]
    gradient_errors: list[float] = []
    leaves = [(a, b) for a, b in zip(ours_in, ref_in) if isinstance(a, Tensor) and a.requires_grad]
    differentiable = [i for i, b in enumerate(ref_out) if b.requires_grad]
    if leaves and differentiable:
        ours_total = sum((ours_out[i] * weights[i]).sum() for i in differentiable)
        ref_total = sum((ref_out[i] * weights[i]).sum() for i in differentiable)
        ours_grads = torch.autograd.grad(ours_total, [a for a, _ in leaves], allow_unused=True)
        ref_grads = torch.autograd.grad(ref_total, [b for _, b in leaves], allow_unused=True)
        for mine, theirs in zip(ours_grads, ref_grads):
            mine = torch.zeros(()) if mine is None else mine
            theirs = torch.zeros(()) if theirs is None else theirs
            gradient_errors.append(difference(mine, theirs, rtol))
    return Comparison(value_error, gradient_errors, atol)


def assert_same(ours: Callable[..., Any], reference: Callable[..., Any], *inputs: Any, atol: float = 1e-6,
                rtol: float = 0.0) -> Comparison:
    """`compare`, raising AssertionError with the numbers when the two differ."""
    result = compare(ours, reference, *inputs, atol=atol, rtol=rtol)
    assert result.equal, f"from-scratch differs from the reference: {result!r}"
    return result
