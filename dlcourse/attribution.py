"""Which inputs made the model decide? Gradient saliency, integrated gradients, occlusion, and the randomization
sanity check.

Used by the chapter "Interpretable models". Each method takes a model that maps a batch of inputs to class scores
(logits) and returns one attribution per input element, of the input's shape.
"""
from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from dlcourse import seeding


def _score(model: nn.Module, x: Tensor, target: int) -> Tensor:
    """The model's logit for class `target` on each input of the batch `x`."""
    return model(x)[:, target]


def saliency(model: nn.Module, x: Tensor, target: int) -> Tensor:
    """Simonyan et al.'s map: |d logit_target / d x| for one input `x` (without its batch dimension)."""
    x = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(_score(model, x[None], target).sum(), x)
    return grad.abs()


def integrated_gradients(model: nn.Module, x: Tensor, target: int, baseline: Tensor | None = None,
                         steps: int = 128, rule: str = "trapezoid") -> Tensor:
    """Sundararajan et al.'s attributions: (x - baseline) times the average gradient along the straight path.

    The path integral is a sum over `steps` intervals: "right" is the Riemann sum at a = k/steps, k = 1..steps,
    "trapezoid" averages both ends of each interval (more accurate for the same number of gradients).
    """
    baseline = torch.zeros_like(x) if baseline is None else baseline.to(x)
    alphas = torch.linspace(0, 1, steps + 1, dtype=x.dtype, device=x.device)
    if rule == "right":
        weights = torch.ones(steps + 1, dtype=x.dtype, device=x.device)
        weights[0] = 0
    elif rule == "trapezoid":
        weights = torch.ones(steps + 1, dtype=x.dtype, device=x.device)
        weights[0] = weights[-1] = 0.5
    else:
        raise ValueError(f"rule must be 'right' or 'trapezoid', got {rule!r}")
    points = (baseline + alphas.reshape((-1,) + (1,) * x.ndim) * (x - baseline)).detach().requires_grad_(True)
    (grads,) = torch.autograd.grad(_score(model, points, target).sum(), points)
    average = (weights.reshape((-1,) + (1,) * x.ndim) * grads).sum(0) / steps
    return (x - baseline).detach() * average


def completeness_gap(model: nn.Module, x: Tensor, target: int, attributions: Tensor,
                     baseline: Tensor | None = None) -> float:
    """Relative gap |sum(attributions) - (f(x) - f(baseline))| / |f(x) - f(baseline)|: 0 for exact completeness."""
    baseline = torch.zeros_like(x) if baseline is None else baseline.to(x)
    with torch.no_grad():
        difference = (_score(model, x[None], target) - _score(model, baseline[None], target)).item()
    return abs(attributions.sum().item() - difference) / max(abs(difference), 1e-12)


def occlusion(model: nn.Module, x: Tensor, target: int, patch: int = 2, stride: int = 1,
              fill: float = 0.0) -> Tensor:
    """Zeiler and Fergus's map for one image (C, H, W): the drop in the target logit when a patch is covered,
    averaged over the patches that cover each pixel."""
    _, height, width = x.shape
    corners = [(i, j) for i in range(0, height - patch + 1, stride) for j in range(0, width - patch + 1, stride)]
    covered = x.detach().repeat(len(corners), 1, 1, 1)
    for k, (i, j) in enumerate(corners):
        covered[k, :, i:i + patch, j:j + patch] = fill
    with torch.no_grad():
        drops = _score(model, x[None], target) - _score(model, covered, target)
    total = torch.zeros(height, width, dtype=x.dtype, device=x.device)
    count = torch.zeros(height, width, dtype=x.dtype, device=x.device)
    for k, (i, j) in enumerate(corners):
        total[i:i + patch, j:j + patch] += drops[k]
        count[i:i + patch, j:j + patch] += 1
    return (total / count.clamp_min(1)).expand_as(x).clone()


METHODS = {
    "saliency": lambda model, x, target: saliency(model, x, target),
    "integrated gradients": lambda model, x, target: integrated_gradients(model, x, target),
    "occlusion": lambda model, x, target: occlusion(model, x, target),
}
"""The chapter's three methods by name, each `f(model, x, target) -> attributions of x's shape`."""


def randomized(model: nn.Module, seed: int = 0) -> nn.Module:
    """A copy of `model` with every layer re-initialised at random: Adebayo et al.'s model randomization test."""
    twin = copy.deepcopy(model)
    seeding.seed(seed)
    for module in twin.modules():
        if module is not twin and hasattr(module, "reset_parameters"):
            module.reset_parameters()
    return twin


def ranks(x: Tensor) -> Tensor:
    """Ranks 0..n-1 of the entries of a flat tensor, ties given their average rank."""
    x = x.reshape(-1).double()
    values, inverse, counts = torch.unique(x, sorted=True, return_inverse=True, return_counts=True)
    # a run of k tied values starting at rank r has ranks r .. r + k - 1, whose average is r + (k - 1) / 2:
    # one sort and a gather, O(n log n) (a loop over the distinct values was quadratic)
    first = torch.cumsum(counts, 0) - counts
    average = first.double() + (counts.double() - 1) / 2
    return average[inverse]


def rank_correlation(a: Tensor, b: Tensor) -> float:
    """Spearman's rank correlation between two maps: the Pearson correlation of their ranks."""
    ra, rb = ranks(a), ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    return float((ra * rb).sum() / (ra.norm() * rb.norm()).clamp_min(1e-12))
