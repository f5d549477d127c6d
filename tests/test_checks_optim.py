"""Checks of the chapter "Gradient descent and its variants" (dlcourse.checks.optim): the notebook's own solutions
pass, its stubs report "not attempted", and typical wrong answers get the right diagnosis."""
import torch

from dlcourse.checks import CORRECT, NOT_ATTEMPTED
from dlcourse.checks import optim as check

from conftest import diagnosis, run_tagged

NOTEBOOK = "training/optimization.ipynb"


def test_solutions_shown_in_the_notebook_pass():
    ns = run_tagged(NOTEBOOK, "solution", torch=torch, check=check)
    assert check.momentum_step(ns["momentum_step_solution"]).status == CORRECT
    assert check.adam_step(ns["adam_step_solution"]).status == CORRECT
    assert check.largest_stable_lr(ns["largest_stable_lr_solution"]).status == CORRECT


def test_stubs_in_the_notebook_are_not_attempted():
    ns = run_tagged(NOTEBOOK, "exercise-stub", torch=torch, check=check)
    assert check.momentum_step(ns["momentum_step"]).status == NOT_ATTEMPTED
    assert check.adam_step(ns["adam_step"]).status == NOT_ATTEMPTED
    assert check.largest_stable_lr(ns["largest_stable_lr"]).status == NOT_ATTEMPTED



def test_momentum_step_mistakes():
    diagnosis(check.momentum_step(lambda p, g, v, lr, mu: (p + lr * (mu * v + g), mu * v + g)), "sign error")
    diagnosis(check.momentum_step(lambda p, g, v, lr, mu: (p - lr * g, g)), "not accumulated")
    diagnosis(check.momentum_step(lambda p, g, v, lr, mu: (p - lr * (mu * v + lr * g), mu * v + lr * g)),
              "applied twice")
    diagnosis(check.momentum_step(lambda p, g, v, lr, mu: (p - (mu * v + lr * g), mu * v + lr * g)),
              "folded into the velocity")
    diagnosis(check.momentum_step(lambda p, g, v, lr, mu: (p + mu * v - lr * g, mu * v - lr * g)),
              "other convention")
    diagnosis(check.momentum_step(lambda p, g, v, lr, mu: (p - lr * v, mu * v + g)), "old velocity")
    diagnosis(check.momentum_step(lambda p, g, v, lr, mu: (p - lr * (g + mu * (mu * v + g)), mu * v + g)),
              "Nesterov")
    diagnosis(check.momentum_step(lambda p, g, v, lr, mu: (p - lr * (v + mu * g), v + mu * g)), "swapped")
    diagnosis(check.momentum_step(lambda p, g, v, lr, mu: p - lr * (mu * v + g)), "2 things")
    diagnosis(check.momentum_step(lambda p, g, v, lr, mu: None), "return")
    diagnosis(check.momentum_step(lambda p, g, v, lr, mu: (p[:2], v)), "shape")


def adam(correct=True, power=0, eps_inside=False, moments=True):
    def step(p, g, m, v, t, lr, b1, b2, eps):
        m = b1 * m + (1 - b1) * g if moments else (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = (m / (1 - b1 ** (t + power)), v / (1 - b2 ** (t + power))) if correct else (m, v)
        denominator = (v_hat + eps).sqrt() if eps_inside else v_hat.sqrt() + eps
        return p - lr * m_hat / denominator, m, v
    return step


def test_adam_step_mistakes():
    assert check.adam_step(adam()).status == CORRECT
    diagnosis(check.adam_step(adam(correct=False)), "no bias correction")
    diagnosis(check.adam_step(adam(power=-1)), "wrong power", "t - 1")
    diagnosis(check.adam_step(adam(power=1)), "wrong power", "t + 1")
    diagnosis(check.adam_step(adam(eps_inside=True)), "outside the square root")
    diagnosis(check.adam_step(adam(moments=False)), "running average")

    def squared_missing(p, g, m, v, t, lr, b1, b2, eps):
        return adam()(p, g, m, v, t, lr, b1, b2, eps)[0], b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g

    diagnosis(check.adam_step(squared_missing), "squared gradient")

    def no_root(p, g, m, v, t, lr, b1, b2, eps):
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        return p - lr * (m / (1 - b1 ** t)) / (v / (1 - b2 ** t) + eps), m, v

    diagnosis(check.adam_step(no_root), "square root of v_hat is missing")


def test_largest_stable_lr_mistakes():
    eig = torch.linalg.eigvalsh
    assert check.largest_stable_lr(lambda A: float(2 / eig(A).max())).status == CORRECT
    assert check.largest_stable_lr(lambda A: (2 / eig(A).max()).reshape(1)).status == CORRECT
    diagnosis(check.largest_stable_lr(lambda A: 1 / eig(A).max()), "1 / L")
    diagnosis(check.largest_stable_lr(lambda A: 2 / eig(A)[0]), "smallest eigenvalue")
    diagnosis(check.largest_stable_lr(lambda A: 1 / eig(A)[0]), "ascending")
    diagnosis(check.largest_stable_lr(lambda A: 2 / A.trace()), "trace")
    diagnosis(check.largest_stable_lr(lambda A: 2 / A.diagonal().max()), "diagonal entry")
    diagnosis(check.largest_stable_lr(lambda A: 2 * eig(A).max()), "not a rate")
    diagnosis(check.largest_stable_lr(lambda A: eig(A)), "shape")
    diagnosis(check.largest_stable_lr(lambda A: "0.5"), "tensor")


def test_broken_and_endless_answers(monkeypatch):
    monkeypatch.setattr("dlcourse.checks.TIME_LIMIT", 0.5)

    def endless(A):
        while True:
            pass

    diagnosis(check.largest_stable_lr(endless), "did not finish")
    diagnosis(check.momentum_step(lambda p, g, v, lr, mu: p @ torch.ones(3)), "RuntimeError")
    diagnosis(check.adam_step(lambda *args: 1 / 0), "ZeroDivisionError")
    diagnosis(check.adam_step(lambda p, g, m, v, t, lr, b1, b2: p), "TypeError")
    diagnosis(check.momentum_step(42), "expected a function")
    assert check.largest_stable_lr(lambda A: None).status == NOT_ATTEMPTED
