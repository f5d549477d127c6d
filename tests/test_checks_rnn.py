"""Checks of the chapters "Recurrent networks" and "A character-level language model" (dlcourse.checks.rnn): the
notebooks' own solutions pass, their stubs report "not attempted", and typical wrong answers get the right diagnosis."""
import math

import torch
import torch.nn.functional as F

from dlcourse.checks import CORRECT, NOT_ATTEMPTED
from dlcourse.checks import rnn as check

from conftest import diagnosis, run_tagged

RNN, LM = "architectures/rnn.ipynb", "architectures/language-model.ipynb"


def test_solutions_shown_in_the_notebooks_pass():
    ns = run_tagged(RNN, "solution", torch=torch, check=check)
    assert check.rnn_step(ns["rnn_step_solution"]).status == CORRECT
    assert check.lstm_step(ns["lstm_step_solution"]).status == CORRECT
    assert check.lstm_parameters(ns["lstm_parameters_solution"]).status == CORRECT
    ns = run_tagged(LM, "solution", torch=torch, check=check)
    assert check.bits_per_character(ns["bits_per_character_solution"]).status == CORRECT
    assert check.sampling_probabilities(ns["sampling_probabilities_solution"]).status == CORRECT


def test_stubs_in_the_notebooks_are_not_attempted():
    ns = run_tagged(RNN, "exercise-stub", torch=torch, check=check)
    for name in ["rnn_step", "lstm_step", "lstm_parameters"]:
        assert getattr(check, name)(ns[name]).status == NOT_ATTEMPTED
    ns = run_tagged(LM, "exercise-stub", torch=torch, check=check)
    for name in ["bits_per_character", "sampling_probabilities"]:
        assert getattr(check, name)(ns[name]).status == NOT_ATTEMPTED


def test_rnn_step_mistakes():
    diagnosis(check.rnn_step(lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi.T + bi + bh)), "carried")
    diagnosis(check.rnn_step(lambda x, h, Wi, Wh, bi, bh: x @ Wi.T + bi + h @ Wh.T + bh), "activation")
    diagnosis(check.rnn_step(lambda x, h, Wi, Wh, bi, bh: torch.sigmoid(x @ Wi.T + bi + h @ Wh.T + bh)), "sigmoid")
    diagnosis(check.rnn_step(lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi.T + bi + h @ Wh.T)), "bias")
    diagnosis(check.rnn_step(lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi + bi + h @ Wh + bh)), "RuntimeError")


def _lstm(order="ifgo", carry=True, squash=True):
    def step(x, state, Wi, Wh, bi, bh):
        h, c = state
        parts = dict(zip(order, (x @ Wi.T + bi + h @ Wh.T + bh).chunk(4, -1)))
        i, f, g, o = (torch.sigmoid(parts["i"]), torch.sigmoid(parts["f"]), torch.tanh(parts["g"]),
                      torch.sigmoid(parts["o"]))
        c = (f * c if carry else 0) + i * g
        return o * (torch.tanh(c) if squash else c), c
    return step


def test_lstm_step_mistakes():
    assert check.lstm_step(_lstm()).status == CORRECT
    diagnosis(check.lstm_step(_lstm("ifog")), "gate order", "i, f, o, g")
    diagnosis(check.lstm_step(_lstm("figo")), "gate order")
    diagnosis(check.lstm_step(_lstm(carry=False)), "not carried")
    diagnosis(check.lstm_step(_lstm(squash=False)), "tanh(c')")
    diagnosis(check.lstm_step(lambda *a: _lstm()(*a)[0]), "two tensors")


def test_lstm_parameters_mistakes():
    diagnosis(check.lstm_parameters(lambda d, h: 4 * (h * d + h * h + h)), "one bias")
    diagnosis(check.lstm_parameters(lambda d, h: 3 * (h * d + h * h + 2 * h)), "GRU")
    diagnosis(check.lstm_parameters(lambda d, h: h * d + h * h + 2 * h), "four")
    diagnosis(check.lstm_parameters(lambda d, h: 4 * (h * d + 2 * h)), "recurrent")
    diagnosis(check.lstm_parameters(lambda d, h: "many"), "whole number")


def test_bits_per_character_mistakes():
    flat = lambda logits, targets: (logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    diagnosis(check.bits_per_character(lambda l, t: F.cross_entropy(*flat(l, t))), "nats")
    diagnosis(check.bits_per_character(lambda l, t: F.cross_entropy(*flat(l, t.clamp(min=0))) / math.log(2)),
              "padding")
    diagnosis(check.bits_per_character(
        lambda l, t: torch.stack([F.cross_entropy(l[i], t[i]) for i in range(len(l))]).mean() / math.log(2)),
        "per name")


def test_sampling_probabilities_mistakes():
    diagnosis(check.sampling_probabilities(lambda z, T: torch.softmax(z * T, -1)), "multiplied")
    diagnosis(check.sampling_probabilities(lambda z, T: torch.softmax(z, -1) / T), "after the softmax")
    diagnosis(check.sampling_probabilities(lambda z, T: z / T), "no softmax")
    diagnosis(check.sampling_probabilities(lambda z, T: torch.softmax(z / T, 0)), "wrong dimension")


def test_lstm_parameters_hostile_numbers():
    # a fraction is not truncated into a plausible count, infinity and NaN get a verdict, not an OverflowError
    diagnosis(check.lstm_parameters(lambda d, h: 2560.5), "whole number", "2560.5")
    diagnosis(check.lstm_parameters(lambda d, h: float("inf")), "whole number", "inf")
    diagnosis(check.lstm_parameters(lambda d, h: float("nan")), "whole number")
    diagnosis(check.lstm_parameters(lambda d, h: torch.zeros(3, 3)), "one whole number", "(3, 3)")
    diagnosis(check.lstm_parameters(lambda d, h: 1j), "whole number", "complex")
    # a count given as a float or a one-element tensor is still a count
    count = lambda d, h: 4 * (h * d + h * h + 2 * h)
    assert check.lstm_parameters(lambda d, h: float(count(d, h))).status == CORRECT
    assert check.lstm_parameters(lambda d, h: torch.tensor([count(d, h)])).status == CORRECT


def test_bits_per_character_hostile_results():
    diagnosis(check.bits_per_character(lambda l, t: None), "None", "return")
    diagnosis(check.bits_per_character(lambda l, t: "three"), "should be a tensor")
    diagnosis(check.bits_per_character(lambda l, t: {}), "should be a tensor")
    diagnosis(check.bits_per_character(lambda l, t: float("nan")), "NaN")
    # a number or a one-element tensor is fine
    solution = lambda l, t: F.cross_entropy(l.reshape(-1, l.shape[-1]), t.reshape(-1)) / math.log(2)
    assert check.bits_per_character(lambda l, t: solution(l, t).item()).status == CORRECT
    assert check.bits_per_character(lambda l, t: solution(l, t).reshape(1, 1)).status == CORRECT


def test_replaying_the_fixed_inputs_answer_fails_on_the_fresh_input():
    """Issue 17: each check tested one fixed input, so returning its expected output passed."""
    from dlcourse import rnn
    from dlcourse.checks import rnn as module

    x, h, c, *W = module._inputs(1)
    replay = torch.tanh(x @ W[0].T + W[2] + h @ W[1].T + W[3])
    diagnosis(check.rnn_step(lambda *a: replay), "random input")
    x, h, c, *W = module._inputs(4)
    replay = rnn.lstm_cell(x, (h, c), *W)
    diagnosis(check.lstm_step(lambda *a: replay), "random input")
    logits, targets = module._lm_inputs()
    value = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)) / math.log(2)
    diagnosis(check.bits_per_character(lambda l, t: value), "random batch")


def test_more_typical_mistakes_get_their_own_diagnosis():
    diagnosis(check.lstm_step(lambda *a: _lstm()(*a)[::-1]), "wrong order", "(c', h')")
    diagnosis(check.rnn_step(lambda x, h, Wi, Wh, bi, bh: h), "unchanged")
    flat = lambda logits, targets: (logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    diagnosis(check.bits_per_character(lambda l, t: F.cross_entropy(*flat(l, t), reduction="sum") / math.log(2)),
              "summed")
    diagnosis(check.sampling_probabilities(lambda z, T: torch.softmax(z, -1)), "temperature is ignored")


def test_numpy_counts_are_counts():
    """Issue 17: np.int64 counts were refused ("expected a whole number, got int64")."""
    import numpy as np
    assert check.lstm_parameters(lambda d, h: np.int64(4 * (h * d + h * h + 2 * h))).status == CORRECT
