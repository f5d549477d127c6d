"""Checks of the chapter "Why depth" (dlcourse.checks.depth): the notebook's solutions pass, its stubs report
"not attempted", and typical wrong answers get the right diagnosis."""
import torch

from dlcourse.checks import CORRECT, NOT_ATTEMPTED
from dlcourse.checks import depth as check

from conftest import diagnosis, run_tagged

NOTEBOOK = "deep-learning/why-depth.ipynb"


def test_solutions_shown_in_the_notebook_pass():
    ns = run_tagged(NOTEBOOK, "solution", torch=torch, check=check)
    assert check.mlp_parameters(ns["mlp_parameters_solution"]).status == CORRECT
    assert check.sawtooth(ns["sawtooth_solution"]).status == CORRECT


def test_stubs_in_the_notebook_are_not_attempted():
    ns = run_tagged(NOTEBOOK, "exercise-stub", torch=torch, check=check)
    assert check.mlp_parameters(ns["mlp_parameters"]).status == NOT_ATTEMPTED
    assert check.sawtooth(ns["sawtooth"]).status == NOT_ATTEMPTED


def pairs(w):
    return list(zip(w[:-1], w[1:]))


def test_mlp_parameters_mistakes():
    diagnosis(check.mlp_parameters(lambda w: sum(a * b for a, b in pairs(w))), "biases are missing")
    diagnosis(check.mlp_parameters(lambda w: sum(a * b + a for a, b in pairs(w))), "per input unit")
    diagnosis(check.mlp_parameters(lambda w: sum(a * b + 1 for a, b in pairs(w))), "one bias per layer")
    diagnosis(check.mlp_parameters(lambda w: int(torch.tensor(w).prod())), "multiplies all the widths")
    diagnosis(check.mlp_parameters(lambda w: sum(a * b + b for a, b in pairs(w[:-1]))), "last layer")
    diagnosis(check.mlp_parameters(lambda w: "many"), "not a number")
    diagnosis(check.mlp_parameters(lambda w: sum(w)), "expected")
    diagnosis(check.mlp_parameters(lambda w: w[5]), "IndexError")


def tent(x):
    return 2 * torch.minimum(x, 1 - x)


def repeat(f, x, k):
    for _ in range(k):
        x = f(x)
    return x


def test_sawtooth_mistakes():
    diagnosis(check.sawtooth(lambda x, k: repeat(tent, x, k - 1)), "one time too few")
    diagnosis(check.sawtooth(lambda x, k: repeat(tent, x, k + 1)), "one time too many")
    diagnosis(check.sawtooth(lambda x, k: repeat(lambda t: torch.minimum(t, 1 - t), x, k)), "factor 2")
    diagnosis(check.sawtooth(lambda x, k: k * tent(x)), "composing")
    diagnosis(check.sawtooth(lambda x, k: tent(k * x)), "stretching")
    diagnosis(check.sawtooth(lambda x, k: None), "return")
    diagnosis(check.sawtooth(lambda x, k: repeat(tent, x, k)[:-1]), "shape")


def test_broken_and_endless_answers(monkeypatch):
    monkeypatch.setattr("dlcourse.checks.TIME_LIMIT", 0.5)

    def endless(x, k):
        while True:
            pass

    diagnosis(check.sawtooth(endless), "did not finish")
    diagnosis(check.mlp_parameters(lambda w: 1 / 0), "ZeroDivisionError")
    diagnosis(check.mlp_parameters(42), "expected a function")


def test_mlp_parameters_rejects_what_is_not_a_whole_number():
    def right(w):
        return sum(a * b + b for a, b in pairs(w))

    diagnosis(check.mlp_parameters(lambda w: str(right(w))), "a string, not a number")
    diagnosis(check.mlp_parameters(lambda w: right(w) + 0.5), "whole number")
    diagnosis(check.mlp_parameters(lambda w: float("inf")), "not a finite number")
    diagnosis(check.mlp_parameters(lambda w: float("nan")), "not a finite number")
    diagnosis(check.mlp_parameters(lambda w: True), "truth value")
    diagnosis(check.mlp_parameters(lambda w: [right(w)]), "not a number")
    assert check.mlp_parameters(lambda w: float(right(w))).status == CORRECT
    assert check.mlp_parameters(lambda w: torch.tensor(right(w))).status == CORRECT
