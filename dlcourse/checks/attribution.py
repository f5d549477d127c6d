"""Exercise checks of the chapter "Interpretable models": a gradient saliency map and integrated gradients as a
Riemann sum."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from dlcourse.attribution import integrated_gradients as _integrated_gradients, saliency as _saliency
from dlcourse.checks import call, exercise, expect_close


def _model() -> nn.Module:
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(11)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Tanh(), nn.Flatten(), nn.Linear(64 * 4, 10)).double()
    torch.random.set_rng_state(generator_state)
    return model.eval()


_g = torch.Generator().manual_seed(12)
_X = torch.rand(1, 8, 8, generator=_g, dtype=torch.float64)
_B = 0.2 * torch.rand(1, 8, 8, generator=_g, dtype=torch.float64)
_TARGET = 3


def _gradient(model: nn.Module, x: torch.Tensor, score) -> torch.Tensor:
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(score(model(x[None])).sum(), x)
    return grad


@exercise("gradient saliency", hint="Make a copy of x that requires grad, add a batch dimension, take the "
                                    "target's logit, backpropagate it, and return the absolute value of x's gradient.")
def saliency(answer) -> str:
    """Check `answer(model, x, target)`: |d logit_target / d x| for one image x of shape (1, 8, 8)."""
    model = _model()
    got = call(answer, model, _X, _TARGET)
    t = _TARGET
    raw = _gradient(model, _X, lambda z: z[:, t])
    expect_close(got, _saliency(model, _X, t), "your saliency map", mistakes={
        "that is the signed gradient; the saliency map is its absolute value": raw,
        "you differentiated the softmax probability; use the logit (the score before softmax)":
            _gradient(model, _X, lambda z: F.softmax(z, -1)[:, t]).abs(),
        "you differentiated the cross-entropy loss; use the target's logit":
            _gradient(model, _X, lambda z: F.cross_entropy(z, torch.tensor([t]))).abs(),
        "you differentiated the sum of all logits; take only the target class's": _gradient(
            model, _X, lambda z: z.sum(-1)).abs(),
        "that is gradient times input; the saliency map is the gradient alone": (raw * _X).abs(),
        "the squared gradient: take its absolute value instead": raw ** 2,
        "you differentiated the predicted class's logit; use the `target` class you were given":
            _gradient(model, _X, lambda z: z[:, 4]).abs(),  # the model predicts class 4 for _X
    })
    return "The absolute gradient of the target logit, as in Simonyan et al."


@exercise("integrated gradients", hint="For k = 1..steps, evaluate the gradient at baseline + (k/steps) * "
                                       "(x - baseline); average the gradients and multiply by (x - baseline).")
def integrated_gradients(answer) -> str:
    """Check `answer(f, x, baseline, steps)`: the right Riemann sum of integrated gradients, f: batch -> scores."""
    model = _model()
    f = lambda batch: model(batch)[:, _TARGET]  # noqa: E731 - the function the learner attributes
    steps = 20
    got = call(answer, f, _X, _B, steps)
    expected = _integrated_gradients(model, _X, _TARGET, _B, steps, rule="right")
    alphas = torch.arange(1, steps + 1, dtype=torch.float64) / steps
    grads = [_gradient(model, _B + a * (_X - _B), lambda z: z[:, _TARGET]) for a in alphas]
    average = torch.stack(grads).mean(0)
    left = [_gradient(model, _B + a * (_X - _B), lambda z: z[:, _TARGET]) for a in alphas - 1 / steps]
    zero_path = torch.stack([_gradient(model, a * _X, lambda z: z[:, _TARGET]) for a in alphas]).mean(0)
    expect_close(got, expected, "your attributions", mistakes={
        "you returned the average gradient; multiply it by (x - baseline)": average,
        "you multiplied by x; multiply by (x - baseline)": _X * average,
        "the gradients were summed, not averaged: divide by steps": steps * expected,
        "that is gradient times (x - baseline) at x alone (gradient times input), not the path average":
            grads[-1] * (_X - _B),
        "you used the left endpoints a = 0, 1/m, ..., (m-1)/m; use a = k/m for k = 1..m":
            torch.stack(left).mean(0) * (_X - _B),
        "the path starts at 0 instead of at the baseline": zero_path * (_X - _B),
        "your points include both ends (torch.linspace(0, 1, steps) steps by 1/(steps - 1)); use a = k/steps for "
        "k = 1..steps": torch.stack([_gradient(model, _B + a * (_X - _B), lambda z: z[:, _TARGET])
                                     for a in torch.linspace(0, 1, steps, dtype=torch.float64)]).mean(0) * (_X - _B),
        "that is the trapezoid rule; this exercise asks for the right Riemann sum, a = k/steps for k = 1..steps":
            _integrated_gradients(model, _X, _TARGET, _B, steps, rule="trapezoid"),
    }, atol=1e-6, rtol=1e-5)
    gap = abs(got.sum().item() - (f(_X[None]) - f(_B[None])).item())
    return f"Completeness holds: your attributions sum to f(x) - f(baseline) within {gap:.1e}."
