"""Checks of the chapter "Deep learning and quantum computing" (dlcourse.checks.quantum)."""
import math

import torch

from dlcourse import quantum as qc
from dlcourse.checks import CORRECT, NOT_ATTEMPTED
from dlcourse.checks import quantum as check

from conftest import diagnosis, run_tagged

NOTEBOOK = "future/quantum.ipynb"


def test_solutions_shown_in_the_notebook_pass():
    ns = run_tagged(NOTEBOOK, "solution", torch=torch, check=check, math=math)
    assert check.ry_gate(ns["ry_gate_solution"]).status == CORRECT
    assert check.reversed_cnot(ns["reversed_cnot_solution"]).status == CORRECT
    assert check.parameter_shift(ns["shift_derivative_solution"]).status == CORRECT


def test_stubs_in_the_notebook_are_not_attempted():
    ns = run_tagged(NOTEBOOK, "exercise-stub", torch=torch, check=check, math=math)
    assert check.ry_gate(ns["ry_gate"]).status == NOT_ATTEMPTED
    assert check.reversed_cnot(ns["reversed_cnot"]).status == NOT_ATTEMPTED
    assert check.parameter_shift(ns["shift_derivative"]).status == NOT_ATTEMPTED


def test_ry_gate_mistakes():
    full = lambda t: torch.tensor([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    diagnosis(check.ry_gate(full), "not halved")
    diagnosis(check.ry_gate(lambda t: qc.ry(t).T), "swapped")
    diagnosis(check.ry_gate(qc.rx), "RX")
    diagnosis(check.ry_gate(qc.rz), "RZ")
    diagnosis(check.ry_gate(lambda t: torch.eye(3)), "2 x 2")
    diagnosis(check.ry_gate(lambda t: None), "return")


def test_reversed_cnot_mistakes():
    diagnosis(check.reversed_cnot(lambda: qc.CNOT), "qubit order")
    diagnosis(check.reversed_cnot(lambda: qc.CZ), "CZ")
    diagnosis(check.reversed_cnot(lambda: torch.eye(2)), "4 x 4")


def test_parameter_shift_mistakes():
    diagnosis(check.parameter_shift(lambda f, t: (f(t + math.pi) - f(t - math.pi)) / 2), "not π")
    diagnosis(check.parameter_shift(lambda f, t: f(t + math.pi / 2) - f(t - math.pi / 2)), "1/2 is missing")
    diagnosis(check.parameter_shift(lambda f, t: (f(t - math.pi / 2) - f(t + math.pi / 2)) / 2), "wrong way round")
    diagnosis(check.parameter_shift(lambda f, t: (f(t + 1e-4) - f(t - 1e-4)) / 2e-4), "finite difference")
    diagnosis(check.parameter_shift(lambda f, t: f(t)), "differs")

    def three_calls(f, t):
        f(t)
        return (f(t + math.pi / 2) - f(t - math.pi / 2)) / 2

    diagnosis(check.parameter_shift(three_calls), "exactly")


def test_hostile_answers_get_a_clear_verdict():
    for check_fn in (check.ry_gate, check.reversed_cnot, check.parameter_shift):
        assert check_fn(None).status == NOT_ATTEMPTED
        diagnosis(check_fn(42), "expected a function")
        diagnosis(check_fn(lambda *a: "hello"), "str")
        diagnosis(check_fn(lambda *a: torch.zeros(3, 7)), "(3, 7)")
    diagnosis(check.ry_gate(lambda t: torch.full((2, 2), float("nan"))), "NaN")
    diagnosis(check.parameter_shift(lambda f, t: {"a": 1}), "dict")
    diagnosis(check.parameter_shift(lambda f, t: torch.tensor(1 + 2j)), "complex")
    diagnosis(check.parameter_shift(lambda f, t: [1.0, 2.0]), "shape (2,)")
    diagnosis(check.parameter_shift(lambda f, t: float("nan")), "NaN")


def test_parameter_shift_on_a_fresh_angle_and_with_grad_mode_left_off():
    """Issue 17: one fixed θ, so a replayed number passed; grad mode left off broke the check's autograd."""
    import math

    from dlcourse.checks import quantum as module
    t = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    (exact,) = torch.autograd.grad(module._expectation(t), t)
    diagnosis(check.parameter_shift(lambda f, theta: (f(theta + math.pi / 2), f(theta - math.pi / 2), exact)[2]),
              "random θ")

    def leaves_grad_off(f, theta):
        torch.set_grad_enabled(False)
        return (f(theta + math.pi / 2) - f(theta - math.pi / 2)) / 2

    assert check.parameter_shift(leaves_grad_off).status == CORRECT
