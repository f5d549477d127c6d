"""Exercise checks of the chapter "Gradient descent and its variants": a momentum step, Adam's bias correction, and
the largest stable learning rate on a quadratic."""
from __future__ import annotations

import torch

from dlcourse.checks import Incorrect, NotAttempted, call, exercise, expect_close, expect_tensor, fresh_generator

_g = torch.Generator().manual_seed(3)
_P = _P0 = torch.randn(4, generator=_g, dtype=torch.float64)
_G = _G0 = torch.randn(4, generator=_g, dtype=torch.float64)
_V = _V0 = torch.randn(4, generator=_g, dtype=torch.float64)
_M2 = 0.3 * torch.randn(4, generator=_g, dtype=torch.float64)
_S2 = torch.rand(4, generator=_g, dtype=torch.float64) ** 2
_LR, _MU = _LR0, _MU0 = 0.1, 0.9


def _pair(result, what: str, names: tuple[str, ...], size: int = 4) -> tuple:
    if result is None:
        raise Incorrect(f"{what} returned None: did you forget to `return` {', '.join(names)}?")
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        raise Incorrect(f"{what} should return {len(names)} things, ({', '.join(names)}), got {_describe(result)}")
    return tuple(expect_tensor(r, (size,), f"the returned {name}") for r, name in zip(result, names))


def _close(value, expected) -> bool:
    return isinstance(value, torch.Tensor) and torch.allclose(value.double(), expected, atol=1e-5, rtol=1e-4)


def _describe(value) -> str:
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    return type(value).__name__


@exercise("momentum step", hint="First v <- momentum * v + grad; then param <- param - lr * v, with the new v.")
def momentum_step(answer) -> str:
    """Check `answer(param, grad, velocity, lr, momentum)` -> (new param, new velocity), torch's heavy-ball rule."""
    g = fresh_generator()
    size = int(torch.randint(2, 8, (), generator=g))
    fresh = tuple(torch.randn(size, generator=g, dtype=torch.float64) for _ in range(3)) + (
        0.01 + 0.5 * torch.rand((), generator=g).item(), 0.5 + 0.49 * torch.rand((), generator=g).item())
    for case, (_P, _G, _V, _LR, _MU) in enumerate(((_P0, _G0, _V0, _LR0, _MU0), fresh)):
        where = f" for a second, random step (lr {_LR:.3g}, momentum {_MU:.3g})" if case else ""
        param, velocity = _pair(call(answer, _P, _G, _V, _LR, _MU), "your momentum_step", ("param", "velocity"), len(_P))
        v = _MU * _V + _G
        folded = _MU * _V + _LR * _G
        if _close(velocity, folded) and _close(param, _P - _LR * folded):
            raise Incorrect("the learning rate is applied twice: once inside the velocity (momentum * v + lr * grad) "
                            "and again in the step (param - lr * v). Keep it out of the velocity: "
                            "v <- momentum * v + grad.")
        expect_close(velocity, v, "your new velocity" + where, mistakes={
            "the velocity was not accumulated: it should be momentum * velocity + grad, not just grad.": _G,
            "the learning rate is folded into the velocity (momentum * v + lr * grad); in this (PyTorch's) "
            "convention the velocity holds gradients and lr is applied once, in the step.": folded,
            "that is the other convention, v <- momentum * v - lr * grad; here (as in PyTorch) v <- momentum * v + grad "
            "and the step is param - lr * v.": _MU * _V - _LR * _G,
            "momentum and gradient are swapped: momentum * v + grad, not v + momentum * grad.": _V + _MU * _G,
            "the velocity was damped: PyTorch's default adds the whole gradient, momentum * v + grad.":
                _MU * _V + (1 - _MU) * _G,
        })
        expect_close(param, _P - _LR * v, "your new parameter" + where, mistakes={
            "sign error: step against the velocity, param - lr * v.": _P + _LR * v,
            "the learning rate was applied twice (param - lr * lr * v).": _P - _LR * _LR * v,
            "the step used the old velocity; update the velocity first, then step with the new one.": _P - _LR * _V,
            "the step ignores the velocity (param - lr * grad is plain gradient descent).": _P - _LR * _G,
            "that is Nesterov's step (param - lr * (grad + momentum * v)), not heavy-ball momentum.":
                _P - _LR * (_G + _MU * v),
        })
    _P, _G, _LR, _MU = _P0, _G0, _LR0, _MU0
    zero = call(answer, _P, _G, torch.zeros(4, dtype=torch.float64), _LR, _MU)
    param0, _ = _pair(zero, "your momentum_step", ("param", "velocity"))
    expect_close(param0, _P - _LR * _G, "your parameter after a step from rest (velocity 0)")
    return "Correct: the velocity remembers past gradients and the step follows it."


def _adam_reference(p, g, m, v, t, lr, b1, b2, eps, power_offset=0, correct=True, eps_inside=False, root=True):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    tt = t + power_offset
    m_hat, v_hat = (m / (1 - b1 ** tt), v / (1 - b2 ** tt)) if correct else (m, v)
    denominator = (v_hat + eps).sqrt() if eps_inside else (v_hat.sqrt() + eps if root else v_hat + eps)
    return p - lr * m_hat / denominator, m, v


@exercise("Adam's bias correction", hint="m_hat = m / (1 - beta1 ** t) and v_hat = v / (1 - beta2 ** t), with t the "
                                         "number of this step, counted from 1; then divide by sqrt(v_hat) + eps.")
def adam_step(answer) -> str:
    """Check `answer(param, grad, m, v, t, lr, beta1, beta2, eps)` -> (new param, new m, new v)."""
    lr, b1, b2, eps, t = 0.01, 0.9, 0.999, 1e-3, 3  # a large eps, so that where it goes shows
    param, m, v = _pair(call(answer, _P, _G, _M2, _S2, t, lr, b1, b2, eps), "your adam_step", ("param", "m", "v"))
    right_p, right_m, right_v = _adam_reference(_P, _G, _M2, _S2, t, lr, b1, b2, eps)
    expect_close(m, right_m, "your new m", mistakes={
        "m must be a running average: beta1 * m + (1 - beta1) * grad.": (1 - b1) * _G,
        "beta1 and 1 - beta1 are swapped: beta1 * m + (1 - beta1) * grad.": (1 - b1) * _M2 + b1 * _G,
    })
    expect_close(v, right_v, "your new v", mistakes={
        "v averages the squared gradient: beta2 * v + (1 - beta2) * grad ** 2.": b2 * _S2 + (1 - b2) * _G,
        "beta2 and 1 - beta2 are swapped: beta2 * v + (1 - beta2) * grad ** 2.": (1 - b2) * _S2 + b2 * _G ** 2,
    })
    ref = lambda **kw: _adam_reference(_P, _G, _M2, _S2, t, lr, b1, b2, eps, **kw)[0]
    expect_close(param, right_p, "your new parameter", rtol=1e-7, atol=1e-10, mistakes={
        "there is no bias correction: divide m by 1 - beta1 ** t and v by 1 - beta2 ** t.": ref(correct=False),
        "wrong power of beta in the bias correction: use beta ** t with t the step number counted from 1 "
        "(you used t - 1).": ref(power_offset=-1),
        "wrong power of beta in the bias correction: use beta ** t with t the step number counted from 1 "
        "(you used t + 1).": ref(power_offset=1),
        "eps belongs outside the square root: sqrt(v_hat) + eps.": ref(eps_inside=True),
        "the square root of v_hat is missing.": ref(root=False),
    })
    zeros = torch.zeros(4, dtype=torch.float64)
    first = call(answer, _P, _G, zeros, zeros, 1, lr, b1, b2, 1e-8)
    param1, _, _ = _pair(first, "your adam_step", ("param", "m", "v"))
    expect_close(param1, _P - lr * _G / (_G.abs() + 1e-8), "your first step (t = 1, m = v = 0)", rtol=1e-7,
                 atol=1e-10)
    g = fresh_generator()  # one more step, with everything drawn anew
    size, t = int(torch.randint(2, 8, (), generator=g)), int(torch.randint(1, 30, (), generator=g))
    p0, g0, m0 = (torch.randn(size, generator=g, dtype=torch.float64) for _ in range(3))
    v0 = torch.rand(size, generator=g, dtype=torch.float64) ** 2
    hyper = (10 ** -torch.randint(1, 4, (), generator=g).item(), 0.5 + 0.45 * torch.rand((), generator=g).item(),
             0.9 + 0.099 * torch.rand((), generator=g).item(), 1e-8)
    fresh = _pair(call(answer, p0, g0, m0, v0, t, *hyper), "your adam_step", ("param", "m", "v"), size)
    for got, want, name in zip(fresh, _adam_reference(p0, g0, m0, v0, t, *hyper), ("parameter", "m", "v")):
        expect_close(got, want, f"your new {name} for a second, random step (t = {t})", rtol=1e-7, atol=1e-10)
    return ("Correct. On the first step the corrected update is lr * grad / |grad|: every parameter moves by about "
            "lr, however small its gradient.")


_A1 = torch.tensor([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]], dtype=torch.float64)
_A2 = torch.diag(torch.tensor([0.5, 8.0, 2.0], dtype=torch.float64))


@exercise("largest stable learning rate", hint="Gradient descent multiplies the component along each eigenvector "
                                               "by 1 - lr * eigenvalue; all those factors must stay inside (-1, 1).")
def largest_stable_lr(answer) -> str:
    """Check `answer(A)` -> the rate above which gradient descent on w·Aw / 2 diverges: 2 / (largest eigenvalue)."""
    g = fresh_generator()
    n = int(torch.randint(2, 6, (), generator=g))
    root = torch.randn(n, n, generator=g, dtype=torch.float64)
    fresh = root @ root.T + 0.1 * torch.eye(n, dtype=torch.float64)  # symmetric positive definite, drawn anew
    for A in (_A1, _A2, fresh):
        value = call(answer, A)
        if value is None:
            raise NotAttempted("the function returns None")
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.reshape(())
        got = expect_tensor(value, (), "your rate")
        eig = torch.linalg.eigvalsh(A)
        expect_close(got, 2 / eig.max(), "your rate", rtol=1e-6, atol=1e-12, mistakes={
            "1 / L is the rate that removes the stiffest direction in one step; gradient descent still converges "
            "(oscillating) up to twice that.": 1 / eig.max(),
            "that uses the smallest eigenvalue: the largest one, the stiffest direction, is the one that "
            "diverges first.": 2 / eig.min(),
            "that uses the smallest eigenvalue and 1 instead of 2 (torch.linalg.eigvalsh sorts in ascending order).":
                1 / eig.min(),
            "the trace (sum of eigenvalues) is not the largest eigenvalue.": 2 / eig.sum(),
            "the largest diagonal entry is not the largest eigenvalue (unless A is diagonal).": 2 / A.diagonal().max(),
            "that is the curvature itself, not a rate: the rate is 2 divided by it.": 2 * eig.max(),
        })
    return ("Correct: 2 / L. Slightly below it gradient descent converges while zig-zagging along the stiffest "
            "direction; slightly above it, that zig-zag grows without bound.")
