"""Exercise checks of the chapter "Vanishing and exploding gradients": Xavier initialisation, clipping by global norm."""
from __future__ import annotations

import math

import torch

from dlcourse.checks import Incorrect, call, exercise, expect_close, expect_tensor, fresh_generator

_SHAPE = (300, 500)  # (out, in): fan_in 500, fan_out 300, so the two fans can be told apart


def _std_ratio_diagnosis(ratio: float, fan_in: int, fan_out: int) -> str | None:
    """Name the mistake whose standard deviation is `ratio` times Xavier's, if one fits within 2 %."""
    total = fan_in + fan_out
    candidates = {
        "you used fan_in alone; Xavier averages both fans: sqrt(6 / (fan_in + fan_out))":
            math.sqrt(3 / fan_in) / math.sqrt(6 / total),
        "you used fan_out alone; Xavier averages both fans: sqrt(6 / (fan_in + fan_out))":
            math.sqrt(3 / fan_out) / math.sqrt(6 / total),
        "the bound lacks the factor sqrt(3): sqrt(2 / (fan_in + fan_out)) is the normal version's standard "
        "deviation; the uniform bound is sqrt(6 / (fan_in + fan_out))": math.sqrt(1 / 3),
        "that is PyTorch's default for nn.Linear, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), not Xavier's bound":
            (1 / math.sqrt(fan_in)) / math.sqrt(6 / total),
        "the square root is missing: the bound is sqrt(6 / (fan_in + fan_out)), not 6 / (fan_in + fan_out)":
            (6 / total) / math.sqrt(6 / total),
        "the bound is twice too large: U(-a, a) already spans 2a": 2.0,
        "the bound is half what it should be: draw from U(-a, a), not U(-a/2, a/2)": 0.5,
    }
    for diagnosis, expected in candidates.items():
        if abs(ratio / expected - 1) < 0.02:
            return diagnosis
    return None


@exercise("Xavier initialisation", hint="a = gain * sqrt(6 / (fan_in + fan_out)), where a weight of shape (out, in) "
                                        "has fan_in = in and fan_out = out; fill with U(-a, a).")
def xavier_uniform(answer) -> str:
    """Check `answer(shape, gain)` -> a new tensor of `shape` drawn from Glorot and Bengio's uniform distribution."""
    for gain in (1.0, 5.0 / 3):
        w = call(answer, _SHAPE, gain)
        if w is None:
            raise Incorrect("your function returned None: did you forget to `return` the tensor?")
        w = expect_tensor(w, _SHAPE, "your weight").detach()
        if w.is_complex():
            raise Incorrect("your weights are complex numbers; draw real ones with torch.rand.")
        w = w.double().cpu()
        fan_in, fan_out = _SHAPE[1], _SHAPE[0]
        bound = gain * math.sqrt(6 / (fan_in + fan_out))
        std = w.std().item()
        if std == 0:
            raise Incorrect("all your weights are equal: every unit would compute the same thing. Draw them at random.")
        if abs(w.mean().item()) > 6 * std / math.sqrt(w.numel()):
            raise Incorrect(f"your weights have mean {w.mean().item():.3g}; they should be centred on 0: U(-a, a).")
        kurtosis = ((w - w.mean()) ** 4).mean().item() / std ** 4
        if kurtosis > 2.4:
            raise Incorrect("your weights look normally distributed; this exercise asks for the uniform version, "
                            "U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).")
        ratio = std / (bound / math.sqrt(3))
        if gain != 1.0 and abs(ratio * gain - 1) < 0.02:
            raise Incorrect("your weights ignore `gain`: multiply the bound by it.")
        if abs(ratio - 1) >= 0.02:
            diagnosis = _std_ratio_diagnosis(ratio, fan_in, fan_out)
            raise Incorrect(diagnosis or f"your weights' standard deviation is {std:.4g}; Xavier's uniform "
                                         f"distribution with gain {gain:.3g} has {bound / math.sqrt(3):.4g}.")
        if w.abs().max().item() > bound * (1 + 1e-6):
            raise Incorrect(f"some weights lie outside [-a, a] with a = {bound:.4g}: the bound is the largest value.")
    return "Your weights have Xavier's bound and standard deviation, for gain 1 and for tanh's gain 5/3."


_g = torch.Generator().manual_seed(5)
_GRADS = [torch.randn(4, 3, generator=_g, dtype=torch.float64) * 3,
          torch.randn(4, generator=_g, dtype=torch.float64),
          torch.randn(2, 4, generator=_g, dtype=torch.float64) * 0.1]


def _global(grads, max_norm):
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
    return [g * min(1.0, max_norm / total.item()) for g in grads]


@exercise("clipping by norm", hint="Compute ONE norm over all gradients, sqrt(sum of every squared element); if it "
                                   "exceeds max_norm, multiply every gradient by max_norm / norm.")
def clip_by_norm(answer) -> str:
    """Check `answer(grads, max_norm)` -> the list of gradients rescaled so that their global norm is <= max_norm."""
    g = fresh_generator()
    fresh = [torch.randn(int(torch.randint(1, 5, (), generator=g)), 3, generator=g, dtype=torch.float64) * 4
             for _ in range(3)]
    fresh_norm = torch.sqrt(sum((t ** 2).sum() for t in fresh)).item()
    cases = [(_GRADS, 2.0), (_GRADS, 100.0), (fresh, fresh_norm / 3)]  # below and above the global norm (~10.6)
    for grads, max_norm in cases:
        _clip_case(answer, grads, max_norm)
    return "One global norm, one scale for every gradient, applied only when the norm is too large."


def _clip_case(answer, grads: list[torch.Tensor], max_norm: float) -> None:
    _GRADS = grads  # the names of the fixed case, which the diagnoses below were written with
    got = call(answer, _GRADS, max_norm)
    if got is None:
        raise Incorrect("your function returned None: return the list of clipped gradients.")
    if isinstance(got, torch.Tensor) and got.ndim == 0:
        raise Incorrect("your function returned one number (the norm or the scale?); return the clipped gradients.")
    if not isinstance(got, (list, tuple)) or len(got) != len(_GRADS):
        raise Incorrect(f"return a list of {len(_GRADS)} tensors, one per gradient, in the same order.")
    total = torch.sqrt(sum((g ** 2).sum() for g in _GRADS))
    for k, (mine, grad) in enumerate(zip(got, _GRADS)):
        expected = _global(_GRADS, max_norm)[k]
        mistakes = {
            "each gradient was clipped separately by its own norm; clip ALL gradients together by their global "
            "norm, so the step keeps its direction": grad * min(1.0, max_norm / grad.norm().item()),
            "you always rescale to max_norm, even when the norm is already smaller: only shrink, never grow":
                grad * max_norm / total,
            "you added the gradients' norms; the global norm is sqrt of the sum of all squared elements":
                grad * min(1.0, max_norm / sum(g.norm() for g in _GRADS).item()),
            "you clipped each element into [-max_norm, max_norm]: that is clipping by value, not by norm":
                grad.clamp(-max_norm, max_norm),
            "the gradients are unchanged: rescale them when their global norm exceeds max_norm": grad,
            "the scale is inverted: multiply by max_norm / norm, not norm / max_norm": grad * total / max_norm,
        }
        if max_norm >= total:
            mistakes = {k: v for k, v in mistakes.items() if not torch.allclose(v, expected)}
        expect_close(mine, expected, f"your clipped gradient {k} (max_norm {max_norm:.4g})", mistakes=mistakes)


