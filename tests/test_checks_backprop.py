"""Checks of the chapter "Forward propagation, loss and backpropagation" (dlcourse.checks.backprop): the notebook's
own solutions pass, its stubs report "not attempted", and typical wrong answers get the right diagnosis."""
import torch
import torch.nn.functional as F

from dlcourse.checks import CORRECT, NOT_ATTEMPTED
from dlcourse.checks import backprop as check

from conftest import diagnosis, run_tagged

NOTEBOOK = "training/backprop.ipynb"


def test_solutions_shown_in_the_notebook_pass():
    ns = run_tagged(NOTEBOOK, "solution", torch=torch, F=F, check=check)
    assert check.softmax_cross_entropy_grad(ns["softmax_cross_entropy_grad_solution"]).status == CORRECT
    assert check.linear_backward(ns["linear_backward_solution"]).status == CORRECT
    assert check.unbroadcast(ns["unbroadcast_solution"]).status == CORRECT


def test_stubs_in_the_notebook_are_not_attempted():
    ns = run_tagged(NOTEBOOK, "exercise-stub", torch=torch, F=F, check=check)
    assert check.softmax_cross_entropy_grad(ns["softmax_cross_entropy_grad"]).status == NOT_ATTEMPTED
    assert check.linear_backward(ns["linear_backward"]).status == NOT_ATTEMPTED
    assert check.unbroadcast(ns["unbroadcast"]).status == NOT_ATTEMPTED



def softmax(z):
    return torch.softmax(z, dim=1)


def one_hot(z, y):
    return F.one_hot(y, z.shape[1]).to(z.dtype)


def test_softmax_cross_entropy_grad_mistakes():
    check_ = check.softmax_cross_entropy_grad
    diagnosis(check_(lambda z, y: softmax(z) - one_hot(z, y)), "N times too large", "summed")
    diagnosis(check_(lambda z, y: (one_hot(z, y) - softmax(z)) / len(z)), "sign")
    diagnosis(check_(lambda z, y: softmax(z) / len(z)), "one-hot target is missing")
    diagnosis(check_(lambda z, y: (softmax(z) - one_hot(z, y)) / z.shape[1]), "number of classes")
    diagnosis(check_(lambda z, y: (torch.sigmoid(z) - one_hot(z, y)) / len(z)), "sigmoid")
    diagnosis(check_(lambda z, y: (torch.softmax(z, dim=0) - one_hot(z, y)) / len(z)), "dim=1")
    naive = lambda z, y: (z.exp() / z.exp().sum(1, keepdim=True) - one_hot(z, y)) / len(z)
    diagnosis(check_(naive), "±1000", "overflows")
    diagnosis(check_(lambda z, y: (softmax(z) - one_hot(z, y)).T / len(z)), "transposed")
    diagnosis(check_(lambda z, y: None), "return")
    diagnosis(check_(lambda z, y: torch.zeros_like(z)), "differs")


def linear(dx, dW, db):
    return lambda g, x, W: (dx(g, x, W), dW(g, x, W), db(g, x, W))


RIGHT_DX, RIGHT_DW, RIGHT_DB = (lambda g, x, W: g @ W), (lambda g, x, W: g.T @ x), (lambda g, x, W: g.sum(0))


def test_linear_backward_mistakes():
    diagnosis(check.linear_backward(linear(RIGHT_DX, lambda g, x, W: x.T @ g, RIGHT_DB)), "dW", "transpose")
    diagnosis(check.linear_backward(linear(lambda g, x, W: g @ W.T, RIGHT_DW, RIGHT_DB)),
              "cannot be multiplied", "which factor needs a transpose")
    diagnosis(check.linear_backward(linear(RIGHT_DX, RIGHT_DW, lambda g, x, W: g.sum(1))), "wrong axis")
    diagnosis(check.linear_backward(linear(RIGHT_DX, RIGHT_DW, lambda g, x, W: g.sum())), "every axis")
    diagnosis(check.linear_backward(linear(RIGHT_DX, RIGHT_DW, lambda g, x, W: g.mean(0))), "db", "mean")
    diagnosis(check.linear_backward(linear(lambda g, x, W: -(g @ W), RIGHT_DW, RIGHT_DB)), "dx", "sign")
    diagnosis(check.linear_backward(linear(RIGHT_DX, lambda g, x, W: -(g.T @ x), RIGHT_DB)), "dW", "sign")
    diagnosis(check.linear_backward(linear(RIGHT_DX, RIGHT_DW, lambda g, x, W: -g.sum(0))), "db", "sign")
    diagnosis(check.linear_backward(linear(RIGHT_DX, lambda g, x, W: g.T @ x / len(x), RIGHT_DB)), "divided by N")
    diagnosis(check.linear_backward(lambda g, x, W: (g @ W, g.T @ x)), "three gradients")


def test_linear_backward_square_case_catches_hidden_transposes():
    # with in == out the shapes cannot tell; the second, square case still does
    def square_only_bug(g, x, W):
        dx = g @ W.T if W.shape[0] == W.shape[1] else g @ W
        return dx, g.T @ x, g.sum(0)

    diagnosis(check.linear_backward(square_only_bug), "dx", "W.T")

    def square_dW_bug(g, x, W):
        dW = x.T @ g if W.shape[0] == W.shape[1] else g.T @ x
        return g @ W, dW, g.sum(0)

    diagnosis(check.linear_backward(square_dW_bug), "dW", "transposed")


def test_unbroadcast_mistakes():
    diagnosis(check.unbroadcast(lambda g, shape: g), "(4, 3)", "sum away the leading axes")
    mean_instead = lambda g, shape: g.mean(dim=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
    diagnosis(check.unbroadcast(mean_instead), "mean")

    def no_keepdim(g, shape):
        while g.ndim > len(shape):
            g = g.sum(0)
        for axis in reversed(range(len(shape))):
            if shape[axis] == 1 and g.shape[axis] != 1:
                g = g.sum(axis)
        return g

    diagnosis(check.unbroadcast(no_keepdim), "right numbers", "keepdim=True")

    def leading_only(g, shape):
        while g.ndim > len(shape):
            g = g.sum(0)
        return g

    diagnosis(check.unbroadcast(leading_only), "length 1", "keepdim=True")


def test_broken_and_endless_answers(monkeypatch):
    monkeypatch.setattr("dlcourse.checks.TIME_LIMIT", 0.5)

    def endless(g, shape):
        while True:
            pass

    diagnosis(check.unbroadcast(endless), "did not finish")
    diagnosis(check.softmax_cross_entropy_grad(lambda z, y: 1 / 0), "ZeroDivisionError")
    diagnosis(check.linear_backward(lambda g, x, W: g.foo()), "AttributeError")
    diagnosis(check.linear_backward("g @ W"), "expected a function")
