"""Exercise checks of the chapter "Interpretable models": a gradient saliency map and integrated gradients as a
Riemann sum."""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from dlcourse.attribution import integrated_gradients as _integrated_gradients, saliency as _saliency
from dlcourse.checks import call, exercise, expect_close, fresh_generator


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


def _fresh_image() -> tuple[torch.Tensor, torch.Tensor, int, int]:
    """A fresh image, baseline, target class and number of steps, drawn anew on every call."""
    g = fresh_generator()
    return (torch.rand(1, 8, 8, generator=g, dtype=torch.float64), 0.2 * torch.rand(1, 8, 8, generator=g,
                                                                                    dtype=torch.float64),
            int(torch.randint(0, 10, (), generator=g)), int(torch.randint(5, 16, (), generator=g)))


@exercise("gradient saliency", hint="Make a copy of x that requires grad, add a batch dimension, take the "
                                    "target's logit, backpropagate it, and return the absolute value of x's gradient.")
def saliency(answer) -> str:
    """Check `answer(model, x, target)`: |d logit_target / d x| for one image x of shape (1, 8, 8)."""
    x_fresh, _, t_fresh, _ = _fresh_image()
    for case, (x, t) in enumerate(((_X, _TARGET), (_X, 7), (x_fresh, t_fresh))):
        model = _model()
        # the reference first: the answer gets its own copy of the model, which it may change (model.float(), ...)
        expected = _saliency(model, x, t)
        raw = _gradient(model, x, lambda z: z[:, t])
        predicted = int(model(x[None]).argmax())
        mistakes = {
            "that is the signed gradient; the saliency map is its absolute value": raw,
            "you differentiated the softmax probability; use the logit (the score before softmax)":
                _gradient(model, x, lambda z: F.softmax(z, -1)[:, t]).abs(),
            "you differentiated the cross-entropy loss; use the target's logit":
                _gradient(model, x, lambda z: F.cross_entropy(z, torch.tensor([t]))).abs(),
            "you differentiated the sum of all logits; take only the target class's": _gradient(
                model, x, lambda z: z.sum(-1)).abs(),
            "that is gradient times input; the saliency map is the gradient alone": (raw * x).abs(),
            "the squared gradient: take its absolute value instead": raw ** 2,
        }
        if predicted != t:
            mistakes["you differentiated the predicted class's logit; use the `target` class you were given"] = \
                _gradient(model, x, lambda z: z[:, predicted]).abs()
        for other in (_TARGET, 7):
            if other != t:
                mistakes[f"you differentiated class {other}'s logit: use the `target` you are given ({t})"] = \
                    _gradient(model, x, lambda z, o=other: z[:, o]).abs()
        got = call(answer, copy.deepcopy(model), x, t)
        expect_close(got, expected, f"your saliency map for target {t}" + (" on a fresh random image" if case == 2
                                                                          else ""), mistakes=mistakes)
    return "The absolute gradient of the target logit, as in Simonyan et al."


def _ig_case(answer, model: nn.Module, x: torch.Tensor, baseline: torch.Tensor, target: int, steps: int,
             where: str) -> torch.Tensor:
    f = lambda batch: model(batch)[:, target]  # noqa: E731 - the function the learner attributes
    expected = _integrated_gradients(model, x, target, baseline, steps, rule="right")
    score = lambda z: z[:, target]  # noqa: E731
    alphas = torch.arange(1, steps + 1, dtype=torch.float64) / steps
    grads = [_gradient(model, baseline + a * (x - baseline), score) for a in alphas]
    average = torch.stack(grads).mean(0)
    left = [_gradient(model, baseline + a * (x - baseline), score) for a in alphas - 1 / steps]
    zero_path = torch.stack([_gradient(model, a * x, score) for a in alphas]).mean(0)
    mistakes = {
        "you returned the average gradient; multiply it by (x - baseline)": average,
        "you multiplied by x; multiply by (x - baseline)": x * average,
        "the gradients were summed, not averaged: divide by steps": steps * expected,
        "that is gradient times (x - baseline) at x alone (gradient times input), not the path average":
            grads[-1] * (x - baseline),
        "you used the left endpoints a = 0, 1/m, ..., (m-1)/m; use a = k/m for k = 1..m":
            torch.stack(left).mean(0) * (x - baseline),
        "the path starts at 0 instead of at the baseline": zero_path * (x - baseline),
        "your points include both ends (torch.linspace(0, 1, steps) steps by 1/(steps - 1)); use a = k/steps for "
        "k = 1..steps": torch.stack([_gradient(model, baseline + a * (x - baseline), score)
                                     for a in torch.linspace(0, 1, steps, dtype=torch.float64)]).mean(0) * (x - baseline),
        "that is the trapezoid rule; this exercise asks for the right Riemann sum, a = k/steps for k = 1..steps":
            _integrated_gradients(model, x, target, baseline, steps, rule="trapezoid"),
    }
    if steps != 20:
        mistakes[f"you used 20 steps whatever `steps` is; here steps = {steps}"] = _integrated_gradients(
            model, x, target, baseline, 20, rule="right")
    got = call(answer, f, x, baseline, steps)
    got = expect_close(got, expected, f"your attributions with steps = {steps}" + where, mistakes=mistakes,
                       atol=1e-6, rtol=1e-5)
    return got


@exercise("integrated gradients", hint="For k = 1..steps, evaluate the gradient at baseline + (k/steps) * "
                                       "(x - baseline); average the gradients and multiply by (x - baseline).")
def integrated_gradients(answer) -> str:
    """Check `answer(f, x, baseline, steps)`: the right Riemann sum of integrated gradients, f: batch -> scores."""
    model = _model()
    x_fresh, b_fresh, t_fresh, s_fresh = _fresh_image()
    for case, (x, baseline, target, steps) in enumerate(((_X, _B, _TARGET, 20), (_X, _B, _TARGET, 7),
                                                         (x_fresh, b_fresh, t_fresh, s_fresh))):
        got = _ig_case(answer, model, x, baseline, target, steps, f", target {target}, on a fresh random image"
                       if case == 2 else "")
    f = lambda batch: model(batch)[:, t_fresh]  # noqa: E731
    gap = abs(got.sum().item() - (f(x_fresh[None]) - f(b_fresh[None])).item())
    return f"Completeness holds: your attributions sum to f(x) - f(baseline) within {gap:.1e}."
