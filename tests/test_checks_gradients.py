"""Checks of the chapter "Vanishing and exploding gradients": the notebook's solutions pass, its stubs are not
attempted, typical wrong answers get the right diagnosis."""
import math

import torch

from dlcourse.checks import CORRECT, NOT_ATTEMPTED
from dlcourse.checks import gradients as check

from conftest import diagnosis, run_tagged

NOTEBOOK = "challenges/gradients.ipynb"


def test_solutions_shown_in_the_notebook_pass():
    ns = run_tagged(NOTEBOOK, "solution", torch=torch, math=math, check=check)
    assert check.xavier_uniform(ns["xavier_uniform_solution"]).status == CORRECT
    assert check.clip_by_norm(ns["clip_by_norm_solution"]).status == CORRECT


def test_stubs_in_the_notebook_are_not_attempted():
    ns = run_tagged(NOTEBOOK, "exercise-stub", torch=torch, math=math, check=check)
    assert check.xavier_uniform(ns["xavier_uniform"]).status == NOT_ATTEMPTED
    assert check.clip_by_norm(ns["clip_by_norm"]).status == NOT_ATTEMPTED


def uniform(bound_of):
    return lambda shape, gain=1.0: (torch.rand(shape) * 2 - 1) * bound_of(shape[1], shape[0], gain)


def test_xavier_mistakes():
    diagnosis(check.xavier_uniform(uniform(lambda i, o, g: g * math.sqrt(3 / i))), "fan_in alone")
    diagnosis(check.xavier_uniform(uniform(lambda i, o, g: g * math.sqrt(3 / o))), "fan_out alone")
    diagnosis(check.xavier_uniform(uniform(lambda i, o, g: g * math.sqrt(2 / (i + o)))), "sqrt(3)")
    diagnosis(check.xavier_uniform(uniform(lambda i, o, g: g / math.sqrt(i))), "PyTorch's default")
    diagnosis(check.xavier_uniform(uniform(lambda i, o, g: math.sqrt(6 / (i + o)))), "gain")
    diagnosis(check.xavier_uniform(lambda s, gain=1.0: torch.randn(s) * gain * math.sqrt(2 / sum(s))), "normal")
    diagnosis(check.xavier_uniform(lambda s, gain=1.0: torch.zeros(s)), "equal")
    diagnosis(check.xavier_uniform(lambda s, gain=1.0: torch.rand(s[::-1])), "transposed")
    diagnosis(check.xavier_uniform(lambda s, gain=1.0: torch.rand(s)), "mean")
    diagnosis(check.xavier_uniform(lambda s, gain=1.0: None), "return")


def test_clip_mistakes():
    def per_tensor(grads, max_norm):
        return [g * min(1.0, max_norm / g.norm().item()) for g in grads]

    def always(grads, max_norm):
        total = torch.sqrt(sum((g ** 2).sum() for g in grads))
        return [g * max_norm / total for g in grads]

    def summed(grads, max_norm):
        total = sum(g.norm() for g in grads)
        return [g * min(1.0, max_norm / total.item()) for g in grads]

    diagnosis(check.clip_by_norm(per_tensor), "separately")
    diagnosis(check.clip_by_norm(always), "only shrink")
    diagnosis(check.clip_by_norm(summed), "added the gradients' norms")
    diagnosis(check.clip_by_norm(lambda grads, m: [g.clamp(-m, m) for g in grads]), "by value")
    diagnosis(check.clip_by_norm(lambda grads, m: list(grads)), "unchanged")
    total = lambda grads: torch.sqrt(sum((g ** 2).sum() for g in grads))
    diagnosis(check.clip_by_norm(lambda grads, m: [g * total(grads) / m for g in grads]), "inverted")
    diagnosis(check.clip_by_norm(lambda grads, m: torch.tensor(1.0)), "one number")
    diagnosis(check.clip_by_norm(lambda grads, m: grads[:2]), "list of 3")
    diagnosis(check.clip_by_norm(lambda grads, m: None), "None")


def test_hostile_answers_get_a_verdict():
    diagnosis(check.xavier_uniform(lambda s, gain=1.0: torch.rand(s, dtype=torch.complex64)), "complex")
    diagnosis(check.xavier_uniform(lambda s, gain=1.0: torch.full(s, float("nan"))), "NaN")
    diagnosis(check.xavier_uniform(lambda s, gain=1.0: "w"), "tensor")
    diagnosis(check.clip_by_norm(lambda grads, m: [g.to(torch.complex128) for g in grads]), "complex")
    diagnosis(check.clip_by_norm(lambda grads, m: [g.reshape(-1) for g in grads]), "shape")
    diagnosis(check.clip_by_norm(lambda grads, m: "clipped"), "list of 3")
