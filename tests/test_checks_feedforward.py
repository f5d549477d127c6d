"""Checks of the chapter "Feedforward networks" (dlcourse.checks.feedforward): the notebook's solutions pass, its
stubs report "not attempted", and typical wrong answers get the right diagnosis."""
import torch

from dlcourse.checks import CORRECT, NOT_ATTEMPTED
from dlcourse.checks import feedforward as check

from conftest import diagnosis, run_tagged

NOTEBOOK = "architectures/feedforward.ipynb"


def test_solutions_shown_in_the_notebook_pass():
    ns = run_tagged(NOTEBOOK, "solution", torch=torch, check=check)
    assert check.mlp_parameters(ns["mlp_parameters_solution"]).status == CORRECT
    assert check.mlp_forward(ns["mlp_forward_solution"]).status == CORRECT


def test_stubs_in_the_notebook_are_not_attempted():
    ns = run_tagged(NOTEBOOK, "exercise-stub", torch=torch, check=check)
    assert check.mlp_parameters(ns["mlp_parameters"]).status == NOT_ATTEMPTED
    assert check.mlp_forward(ns["mlp_forward"]).status == NOT_ATTEMPTED


def pairs(sizes):
    return list(zip(sizes[:-1], sizes[1:]))


def test_mlp_parameters_mistakes():
    diagnosis(check.mlp_parameters(lambda s: sum(a * b for a, b in pairs(s))), "only the weights")
    diagnosis(check.mlp_parameters(lambda s: sum(a * b for a, b in pairs(s)) + sum(s)), "input units")
    diagnosis(check.mlp_parameters(lambda s: sum(a * b + a for a, b in pairs(s))), "output units")
    diagnosis(check.mlp_parameters(lambda s: int(torch.tensor(s).prod())), "multiplied")
    diagnosis(check.mlp_parameters(lambda s: float(sum(a * b + b for a, b in pairs(s)))), "whole number")
    diagnosis(check.mlp_parameters(lambda s: 13), "expected 9610")


def relu_net(transpose=False, last_relu=False, activation=torch.relu, bias=True):
    def answer(x, weights, biases):
        h = x
        for k, (W, b) in enumerate(zip(weights, biases)):
            h = h @ (W if transpose else W.T) + (b if bias else 0)
            if k < len(weights) - 1 or last_relu:
                h = activation(h)
        return h
    return answer


def test_mlp_forward_mistakes():
    diagnosis(check.mlp_forward(relu_net(last_relu=True)), "after the last layer")
    diagnosis(check.mlp_forward(relu_net(activation=lambda h: h)), "no activation")
    diagnosis(check.mlp_forward(relu_net(transpose=True)), "untransposed")
    diagnosis(check.mlp_forward(relu_net(bias=False)), "biases are missing")
    diagnosis(check.mlp_forward(relu_net(activation=torch.tanh)), "tanh")
    diagnosis(check.mlp_forward(lambda x, w, b: None), "return")
    diagnosis(check.mlp_forward(lambda x, w, b: x @ w[0]), "differs")


def test_broken_answers(monkeypatch):
    monkeypatch.setattr("dlcourse.checks.TIME_LIMIT", 0.5)

    def endless(sizes):
        while True:
            pass

    diagnosis(check.mlp_parameters(endless), "did not finish")
    diagnosis(check.mlp_forward(lambda x, w, b: 1 / 0), "ZeroDivisionError")


def test_hostile_answers_get_a_clear_verdict():
    diagnosis(check.mlp_parameters(lambda sizes: 10 ** 400), "too large")
    diagnosis(check.mlp_parameters(lambda sizes: "9610"), "whole number")
    diagnosis(check.mlp_parameters(lambda sizes: float("nan")), "whole number")
    diagnosis(check.mlp_forward(lambda x, w, b: torch.zeros(6, 4, dtype=torch.complex128)), "complex")
    diagnosis(check.mlp_forward(lambda x, w, b: torch.full((6, 4), float("nan"))), "NaN")
    diagnosis(check.mlp_forward(lambda x, w, b: [[0.0] * 4] * 6), "differs")


def test_numpy_counts_are_counts():
    """Issue 17: np.int64 counts (from np.prod or np.sum) were refused."""
    import numpy as np
    assert check.mlp_parameters(lambda s: np.int64(sum(a * b + b for a, b in zip(s[:-1], s[1:])))).status == CORRECT


def test_mlp_forward_more_mistakes_and_a_fresh_network():
    """Issue 17: sigmoid instead of ReLU and a skipped last layer got only "differs"; one replayed output passed."""
    diagnosis(check.mlp_forward(relu_net(activation=torch.sigmoid)), "sigmoid")

    def skips_last(x, weights, biases):
        return relu_net()(x, weights[:-1], biases[:-1])

    diagnosis(check.mlp_forward(skips_last), "last layer is skipped")
    from dlcourse.mlp import forward
    from dlcourse.checks.feedforward import _network
    outputs = {}
    for sizes, seed, x_seed, n in (([4, 4, 4, 4], 1, 2, 6), ([5, 7, 3], 3, 4, 2)):
        w, b = _network(sizes, seed)
        x = torch.randn(n, sizes[0], generator=torch.Generator().manual_seed(x_seed), dtype=torch.float64)
        outputs[x.shape] = forward(x, w, b, "relu")
    diagnosis(check.mlp_forward(lambda x, w, b: outputs.get(x.shape, torch.zeros(len(x), len(b[-1])))),
              "fresh random weights")
