"""Exercise checks of the chapter "Why depth": counting an MLP's parameters, composing the tent map."""
from __future__ import annotations

import math
import numbers

import torch

from dlcourse.checks import Incorrect, _short, call, exercise, expect_close, fresh_generator
from dlcourse.depth import mlp_parameters as _mlp_parameters, sawtooth as _sawtooth, tent as _tent

_NETWORKS = [[2, 3, 1], [8, 24, 24, 24, 1], [64, 100, 10], [1, 2, 2, 2, 2, 1]]
_WRONG_COUNTS = {
    "the biases are missing: each layer also has one bias per output unit":
        lambda w: sum(a * b for a, b in zip(w[:-1], w[1:])),
    "the biases are counted per input unit; a layer has one bias per *output* unit":
        lambda w: sum(a * b + a for a, b in zip(w[:-1], w[1:])),
    "one bias per layer is too few: every output unit has its own bias":
        lambda w: sum(a * b + 1 for a, b in zip(w[:-1], w[1:])),
    "that multiplies all the widths together; parameters add up layer by layer":
        lambda w: int(torch.tensor(w).prod()),
    "the last layer (hidden -> outputs) is missing":
        lambda w: sum(a * b + b for a, b in zip(w[:-2], w[1:-1])),
}


def _count(got, widths) -> int:
    """The learner's answer as a whole number, or Incorrect saying why it is not one."""
    where = f"for widths {widths} your function returned {_short(got)}"
    if isinstance(got, torch.Tensor) and got.numel() == 1 and not got.is_complex():
        got = got.item()
    if isinstance(got, (str, bytes)):
        raise Incorrect(f"{where}: a string, not a number (return the count itself, not text)")
    if isinstance(got, bool):
        raise Incorrect(f"{where}: a truth value, not a count of parameters")
    if isinstance(got, numbers.Integral):
        return int(got)
    if isinstance(got, numbers.Real):
        if not math.isfinite(got):
            raise Incorrect(f"{where}: not a finite number")
        if got != int(got):
            raise Incorrect(f"{where}: a count of parameters is a whole number")
        return int(got)
    raise Incorrect(f"{where}, not a number")


@exercise("MLP parameters", hint="A Linear(a, b) layer holds an (b, a) weight matrix and b biases; add the layers.")
def mlp_parameters(answer) -> str:
    """Check `answer(widths)`: the number of parameters of a fully connected network with these layer sizes."""
    g = fresh_generator()
    networks = list(_NETWORKS) + [[int(v) for v in torch.randint(1, 60, (int(torch.randint(2, 6, (), generator=g)),),
                                                                  generator=g)]]
    values = [_count(call(answer, list(widths)), widths) for widths in networks]
    expected = [_mlp_parameters(w) for w in networks]
    if values == expected:
        return "Correct: each Linear(a, b) layer has a*b weights and b biases."
    wrong_at = next(i for i, (v, e) in enumerate(zip(values, expected)) if v != e)
    where = f"for widths {networks[wrong_at]} you get {values[wrong_at]}, expected {expected[wrong_at]}"
    for diagnosis, wrong in _WRONG_COUNTS.items():
        if values == [wrong(w) for w in networks]:  # the same slip on every network
            raise Incorrect(f"{where}: {diagnosis}")
    raise Incorrect(where)


@exercise("sawtooth", hint="Apply tent(x) = 2 min(x, 1 - x) to x, then to the result, k times in all.")
def sawtooth(answer) -> str:
    """Check `answer(x, k)`: the tent map composed k times, for several k."""
    g = fresh_generator()
    fresh_k = int(torch.randint(1, 7, (), generator=g))
    for k, x in [(k, torch.linspace(0, 1, 257, dtype=torch.float64)) for k in (1, 2, 3, 5)] + [
            (fresh_k, torch.rand(100, generator=g, dtype=torch.float64))]:
        got = call(answer, x, k)
        expected = _sawtooth(x, k)
        expect_close(got, expected, f"your sawtooth for k = {k}", mistakes={
            "you applied the tent map one time too few": _sawtooth(x, k - 1),
            "you applied the tent map one time too many": _sawtooth(x, k + 1),
            "the factor 2 of the tent map is missing: tent(x) = 2 min(x, 1 - x)":
                _repeat(lambda t: torch.minimum(t, 1 - t), x, k),
            "k * tent(x) multiplies; the teeth come from composing tent(tent(...))": k * _tent(x),
            "that is tent(k x): stretching the input gives no more teeth than composing": _tent(k * x),
        })
    return "Correct: k compositions give 2^(k-1) teeth and 2^k linear pieces."


def _repeat(f, x, k):
    for _ in range(k):
        x = f(x)
    return x
