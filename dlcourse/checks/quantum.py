"""Exercise checks of the chapter "Deep learning and quantum computing": a rotation gate, CNOT's qubit order,
the parameter-shift rule."""
from __future__ import annotations

import math

import torch

from dlcourse import quantum as q
from dlcourse.checks import Incorrect, call, exercise, expect_close, fresh_generator

_ANGLES = (0.8, 2.3)


def _complex(value, what: str) -> torch.Tensor:
    """`value` as a complex (2^k, 2^k) matrix, or Incorrect; compared through its real and imaginary parts."""
    if value is None:
        raise Incorrect(f"{what} is None: did you forget to `return` it?")
    try:
        value = torch.as_tensor(value)
    except Exception:
        raise Incorrect(f"{what} should be a tensor, got {type(value).__name__}") from None
    if value.ndim != 2 or value.shape[0] != value.shape[1]:
        raise Incorrect(f"{what} should be a square matrix, got shape {tuple(value.shape)}")
    return value.detach().to(q.DTYPE)


def _close(value: torch.Tensor, expected: torch.Tensor, what: str, mistakes: dict[str, torch.Tensor]) -> None:
    expect_close(torch.view_as_real(value), torch.view_as_real(expected), what, atol=1e-6,
                 mistakes={k: torch.view_as_real(v.to(q.DTYPE)) for k, v in mistakes.items()})


@exercise("RY gate", hint="RY(θ) = [[cos(θ/2), -sin(θ/2)], [sin(θ/2), cos(θ/2)]]: a real matrix of the half angle.")
def ry_gate(answer) -> str:
    """Check `answer(theta)`: the 2 x 2 matrix of RY(θ) = exp(-i θ Y / 2)."""
    for theta in _ANGLES + (round(torch.rand((), generator=fresh_generator()).item() * 6 - 3, 4),):
        got = _complex(call(answer, torch.tensor(theta, dtype=torch.float64)), f"your RY({theta})")
        if got.shape != (2, 2):
            raise Incorrect(f"a one-qubit gate is 2 x 2, yours is {tuple(got.shape)}")
        c, s = math.cos(theta), math.sin(theta)
        _close(got, q.ry(theta), f"your RY({theta})", {
            "the angle is not halved: rotations by θ on the Bloch sphere use θ/2 in the matrix":
                torch.tensor([[c, -s], [s, c]]),
            "the sine's signs are swapped (that is RY(-θ), the transpose)": q.ry(-theta),
            "that is RX(θ), with -i sin(θ/2) off the diagonal": q.rx(theta),
            "that is RZ(θ), a diagonal of phases": q.rz(theta),
        })
    if not torch.allclose(got.conj().T @ got, torch.eye(2, dtype=q.DTYPE), atol=1e-9):  # pragma: no cover
        raise Incorrect("your matrix is not unitary")
    return "Correct, and unitary: RY rotates the state about the y axis of the Bloch sphere."


@exercise("CNOT, the other way round", hint="With qubit 0 the left bit of |q0 q1>, a control on qubit 1 flips "
                                            "qubit 0 when the right bit is 1: it swaps |01> and |11>.")
def reversed_cnot(answer) -> str:
    """Check `answer()`: the 4 x 4 matrix of a CNOT with control qubit 1 and target qubit 0."""
    got = _complex(call(answer), "your matrix")
    if got.shape != (4, 4):
        raise Incorrect(f"a two-qubit gate is 4 x 4, yours is {tuple(got.shape)}")
    expected = torch.tensor([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]], dtype=q.DTYPE)
    _close(got, expected, "your matrix", {
        "that is the usual CNOT, control qubit 0 and target qubit 1: the qubit order is the wrong way round":
            q.CNOT,
        "that is CZ, which flips the phase instead of the target bit": q.CZ,
        "that swaps the two qubits (SWAP), it does not flip a target":
            torch.tensor([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]]),
    })
    return "Correct: control on the right bit, target on the left bit."


def _expectation(theta: torch.Tensor) -> torch.Tensor:
    """A one-parameter circuit: <Z_0> of RY(θ) on qubit 0 after a fixed preparation, entangled with qubit 1."""
    state = q.apply(q.zero_state(2), q.rx(0.9), 0)
    state = q.apply(state, q.ry(0.4), 1)
    state = q.apply(state, q.CNOT, 1, 0)
    state = q.apply(state, q.ry(torch.as_tensor(theta, dtype=torch.float64)), 0)
    return q.expval_z(state, 0)[0]


def _number(got) -> torch.Tensor:
    """The learner's derivative as a 1-element float tensor, or Incorrect saying what came back instead."""
    if got is None:
        raise Incorrect("return one number, the derivative df/dθ (you returned None: a missing `return`?)")
    try:
        value = torch.as_tensor(got).detach()
    except Exception:
        raise Incorrect(f"return one number, the derivative df/dθ; you returned a {type(got).__name__}") from None
    if value.is_complex():
        raise Incorrect("the derivative of an expectation is a real number; you returned a complex one")
    if value.numel() != 1:
        raise Incorrect(f"return one number, the derivative df/dθ; you returned shape {tuple(value.shape)}")
    if not (value.dtype.is_floating_point or value.dtype in (torch.int64, torch.int32)):
        raise Incorrect(f"return one number, the derivative df/dθ; you returned a {value.dtype} tensor")
    return value.double().reshape(-1)


@exercise("parameter-shift rule", hint="Evaluate f twice, at θ + π/2 and θ - π/2, and halve the difference.")
def parameter_shift(answer) -> str:
    """Check `answer(f, theta)`: df/dθ from two evaluations of f at θ ± π/2, exactly."""
    fresh = (torch.rand((), generator=fresh_generator()).item() * 6 - 3)
    for case, theta in enumerate((0.7, fresh)):
        _shift_case(answer, theta, f" at a second, random θ = {theta:.4f}" if case else "")
    return "Exact, from two runs of the circuit: this is how gradients are measured on quantum hardware."


def _shift_case(answer, theta: float, where: str) -> None:
    asked: list[float] = []

    def f(t):
        asked.append(float(torch.as_tensor(t).detach()))
        return _expectation(torch.as_tensor(t, dtype=torch.float64).detach())

    got = call(answer, f, theta)
    t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    (exact,) = torch.autograd.grad(_expectation(t), t)
    value = _number(got)
    learner_points = sorted(round(a - theta, 6) for a in asked)
    plus, minus = f(theta + math.pi / 2), f(theta - math.pi / 2)
    shifted_pi = (f(theta + math.pi) - f(theta - math.pi)) / 2
    error = abs(value[0].item() - exact.item())
    if 1e-9 < error < 1e-4:
        raise Incorrect(f"close ({value[0].item():.8f} vs {exact.item():.8f}) but not exact: that looks like a "
                        "finite difference with a small step. The parameter-shift rule uses a large shift, π/2, "
                        "and is exact")
    expect_close(value[0], exact, "your derivative" + where, atol=1e-9, rtol=0, mistakes={
        "the shift is π/2, not π: f(θ + π) and f(θ - π) are the same circuit, so the difference is 0": shifted_pi,
        "the factor 1/2 is missing: df/dθ = (f(θ + π/2) - f(θ - π/2)) / 2": plus - minus,
        "the two terms are the wrong way round: f(θ + π/2) - f(θ - π/2)": (minus - plus) / 2,
    })
    if learner_points and all(0 < abs(p) < 0.1 for p in learner_points):
        raise Incorrect(f"you evaluated f at θ + {learner_points}: a finite difference with a small step. It is "
                        "only approximate, and on hardware shot noise would swamp so small a difference; the "
                        "parameter-shift rule uses θ ± π/2 and is exact")
    if learner_points != sorted([round(math.pi / 2, 6), round(-math.pi / 2, 6)]):
        raise Incorrect(f"the value is right, but you evaluated f at θ + {learner_points}; the parameter-shift "
                        "rule needs exactly θ + π/2 and θ - π/2 (hardware cannot run autograd)")
