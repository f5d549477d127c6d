"""Checks of the chapter "The artificial neuron" (dlcourse.checks.neuron): the notebook's own solutions pass, its
stubs report "not attempted", and typical wrong answers get the right diagnosis."""
import torch

from dlcourse.checks import CORRECT, NOT_ATTEMPTED
from dlcourse.checks import neuron as check

from conftest import diagnosis, run_tagged

NOTEBOOK = "foundations/neuron.ipynb"


def test_solutions_shown_in_the_notebook_pass():
    ns = run_tagged(NOTEBOOK, "solution", torch=torch, check=check)
    assert check.neuron_output(ns["neuron_output_solution"]).status == CORRECT
    assert check.sigmoid_derivative(ns["sigmoid_derivative_solution"]).status == CORRECT
    assert check.xor_weights(ns["xor_weights_solution"]).status == CORRECT


def test_stubs_in_the_notebook_are_not_attempted():
    ns = run_tagged(NOTEBOOK, "exercise-stub", torch=torch, check=check)
    assert check.neuron_output(ns["neuron_output"]).status == NOT_ATTEMPTED
    assert check.sigmoid_derivative(ns["sigmoid_derivative"]).status == NOT_ATTEMPTED
    assert check.xor_weights(ns["xor_weights"]).status == NOT_ATTEMPTED



def test_neuron_output_mistakes():
    diagnosis(check.neuron_output(lambda x, w, b: torch.sigmoid(x @ w)), "bias is missing")
    diagnosis(check.neuron_output(lambda x, w, b: x @ w + b), "activation is missing")
    diagnosis(check.neuron_output(lambda x, w, b: torch.tanh(x @ w + b)), "tanh")
    diagnosis(check.neuron_output(lambda x, w, b: torch.sigmoid(x @ w - b)), "subtracted")
    diagnosis(check.neuron_output(lambda x, w, b: torch.sigmoid(-(x @ w + b))), "sign")
    diagnosis(check.neuron_output(lambda x, w, b: torch.sigmoid(x @ w[:, None] + b)), "(5, 1)")
    diagnosis(check.neuron_output(lambda x, w, b: torch.sigmoid(w @ x + b)), "RuntimeError")
    diagnosis(check.neuron_output(lambda x, w, b: None), "return")
    diagnosis(check.neuron_output(lambda x, w, b: torch.sigmoid(x.sum(-1))), "differs")
    # right for a batch, wrong for a single input
    diagnosis(check.neuron_output(lambda x, w, b: torch.sigmoid(x.reshape(-1, 3) @ w + b)), "single input")


def test_sigmoid_derivative_mistakes():
    diagnosis(check.sigmoid_derivative(torch.sigmoid), "sigmoid itself")
    diagnosis(check.sigmoid_derivative(lambda z: z * (1 - z)), "uses z")
    diagnosis(check.sigmoid_derivative(lambda z: torch.sigmoid(z) * (1 + torch.sigmoid(z))), "wrong sign")
    diagnosis(check.sigmoid_derivative(lambda z: 1 - torch.tanh(z) ** 2), "tanh")
    overflow = lambda z: torch.exp(-z) / (1 + torch.exp(-z)) ** 2  # right formula, NaN at -800
    diagnosis(check.sigmoid_derivative(overflow), "NaN")


def test_xor_weights_mistakes():
    def network(W1, b1, W2, b2):
        return lambda: tuple(torch.tensor(v) for v in (W1, b1, W2, b2))

    diagnosis(check.xor_weights(network([[1.0, 1.0], [1.0, 1.0]], [-0.5, -1.5], [[1.0, 0.0]], [-0.5])), "which is OR")
    diagnosis(check.xor_weights(network([[1.0, 1.0], [1.0, 1.0]], [-0.5, -1.5], [[0.0, 1.0]], [-0.5])), "which is AND")
    diagnosis(check.xor_weights(network([[1.0, 1.0]], [-0.5], [[1.0]], [-0.5])), "W1", "(2, 2)")
    diagnosis(check.xor_weights(lambda: (1, 2)), "four things")
    diagnosis(check.xor_weights(network([[1.0, 1.0], [1.0, 1.0]], [-0.5, -1.5], [[1.0], [-1.0]], [-0.5])),
              "transposed")


def test_broken_and_endless_answers(monkeypatch):
    monkeypatch.setattr("dlcourse.checks.TIME_LIMIT", 0.5)

    def endless(z):
        while True:
            pass

    diagnosis(check.sigmoid_derivative(endless), "did not finish")
    diagnosis(check.neuron_output(lambda x, w, b: 1 / 0), "ZeroDivisionError")
    diagnosis(check.neuron_output("sigmoid"), "expected a function")
