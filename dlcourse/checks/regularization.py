"""Exercise checks of the chapter "Overfitting and regularisation": inverted dropout, an SGD step with L2."""
from __future__ import annotations

import torch

from dlcourse.checks import Incorrect, call, exercise, expect_close, expect_tensor, fresh_generator

_g = torch.Generator().manual_seed(7)
_X = torch.rand(200, 500, generator=_g, dtype=torch.float64) + 0.5  # positive, so a zero can only be a drop
_P = 0.3


@exercise("inverted dropout", hint="In training: keep = (torch.rand(x.shape) >= p); return x * keep / (1 - p). "
                                   "In evaluation: return x unchanged.")
def inverted_dropout(answer) -> str:
    """Check `answer(x, p, training)`: inverted dropout, random in training and the identity in evaluation."""
    out = expect_tensor(call(answer, _X, _P, True), tuple(_X.shape), "your training-mode output").detach().double()
    dropped = out == 0
    fraction = dropped.double().mean().item()
    if abs(fraction - (1 - _P)) < 0.01:
        raise Incorrect(f"you dropped {fraction:.0%} of the elements with p = {_P}: p is the probability of "
                        "DROPPING an element, not of keeping it.")
    if fraction == 0:
        raise Incorrect("nothing was dropped in training mode: zero each element with probability p.")
    if abs(fraction - _P) > 0.01:
        raise Incorrect(f"you dropped {fraction:.1%} of the elements; with p = {_P} about {_P:.0%} should be zero.")
    kept, x_kept = out[~dropped], _X[~dropped]
    expect_close(kept, x_kept / (1 - _P), "the elements you kept", mistakes={
        "the kept elements were not rescaled: multiply them by 1 / (1 - p), so that the expected output equals "
        "x and evaluation needs no change": x_kept,
        "you multiplied by (1 - p); inverted dropout DIVIDES the kept elements by (1 - p)": x_kept * (1 - _P),
        "you divided by p; the probability of keeping an element is 1 - p, so divide by (1 - p)": x_kept / _P,
    })
    again = expect_tensor(call(answer, _X, _P, True), tuple(_X.shape), "your second training-mode output")
    if torch.equal(again.detach().double() == 0, dropped):
        raise Incorrect("two calls dropped exactly the same elements: draw a new random mask on every call.")
    evaluation = call(answer, _X, _P, False)
    if isinstance(evaluation, torch.Tensor) and evaluation.shape == _X.shape and (evaluation == 0).any():
        raise Incorrect("your function still drops elements in evaluation mode: return x unchanged there.")
    expect_close(evaluation, _X, "your evaluation-mode output", mistakes={
        "in evaluation you scaled by (1 - p): that is the original, non-inverted dropout; with inverted dropout "
        "the rescaling happened in training, and evaluation is the identity": _X * (1 - _P),
        "in evaluation you divided by (1 - p): evaluation is the identity": _X / (1 - _P),
    })
    expect_close(call(answer, _X[:3], 0.0, True), _X[:3], "your output for p = 0")
    ones = expect_tensor(call(answer, _X[:3], 1.0, True), (3, 500), "your output for p = 1 (division by zero?)")
    if not (ones == 0).all():
        raise Incorrect("with p = 1 every element must be dropped: the output is all zeros.")
    return "Random masks, kept elements scaled by 1 / (1 - p), identity in evaluation, p = 0 and 1 handled."


_W = torch.randn(6, generator=_g, dtype=torch.float64)
_G = torch.randn(6, generator=_g, dtype=torch.float64)
_LR, _LAMBDA = 0.1, 0.05


@exercise("an SGD step with L2", hint="The penalty (lambda / 2) * ||w||^2 has gradient lambda * w; add it to the data "
                                     "gradient, then step: w - lr * (grad + lambda * w).")
def l2_step(answer) -> str:
    """Check `answer(w, grad, lr, strength)`: one SGD step on loss + (strength / 2) * ||w||^2 (torch's weight_decay)."""
    g = fresh_generator()
    size = int(torch.randint(3, 9, (), generator=g))
    fresh = (torch.randn(size, generator=g, dtype=torch.float64), torch.randn(size, generator=g, dtype=torch.float64),
             0.01 + 0.5 * torch.rand((), generator=g).item(), 0.01 + 0.5 * torch.rand((), generator=g).item())
    # the lr and strength change between cases, so an answer that ignores either one fails
    for w, grad, lr, lam in ((_W, _G, _LR, _LAMBDA), (_W, _G, 0.3, _LAMBDA), (_W, _G, _LR, 0.2), fresh):
        got = call(answer, w, grad, lr, lam)
        expected = w - lr * (grad + lam * w)
        mistakes = {
            "the weights are unchanged: return them after the step, w - lr * (grad + lambda * w)": w,
            "the penalty is missing: that is plain SGD": w - lr * grad,
            "the decay is not multiplied by the learning rate: w - lr * grad - lambda * w": w - lr * grad - lam * w,
            "the decay term is doubled: the gradient of (lambda / 2) * ||w||^2 is lambda * w, not 2 * lambda * w":
                w - lr * (grad + 2 * lam * w),
            "that is L1: lambda * sign(w) is the gradient of lambda * |w|, not of (lambda / 2) * ||w||^2":
                w - lr * (grad + lam * torch.sign(w)),
            "the penalty's sign is flipped: it pulls weights towards 0, so its gradient is + lambda * w":
                w - lr * (grad - lam * w),
            "the step goes uphill: w - lr * (...), not w + lr * (...)": w + lr * (grad + lam * w),
            "you returned the update lr * (grad + lambda * w), not the new weights": lr * (grad + lam * w),
        }
        if (lr, lam) != (_LR, _LAMBDA):
            mistakes["the learning rate is fixed at 0.1: use the `lr` you are given"] = w - _LR * (grad + lam * w)
            mistakes["the strength is fixed at 0.05: use the `strength` you are given"] = w - lr * (grad + _LAMBDA * w)
        expect_close(got, expected, f"your new weights (lr = {lr:.3g}, strength = {lam:.3g})", mistakes=mistakes)
    return "The same update as torch.optim.SGD(..., weight_decay=lambda)."
