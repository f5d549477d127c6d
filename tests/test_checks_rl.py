"""Checks of the chapter "Deep learning and reinforcement learning" (dlcourse.checks.rl)."""
import torch

from dlcourse.checks import CORRECT, NOT_ATTEMPTED
from dlcourse.checks import rl as check

from conftest import diagnosis, run_tagged

NOTEBOOK = "future/reinforcement-learning.ipynb"


def test_solutions_shown_in_the_notebook_pass():
    ns = run_tagged(NOTEBOOK, "solution", torch=torch, check=check)
    assert check.discounted_returns(ns["discounted_returns_solution"]).status == CORRECT
    assert check.reinforce_loss(ns["reinforce_loss_solution"]).status == CORRECT


def test_stubs_in_the_notebook_are_not_attempted():
    ns = run_tagged(NOTEBOOK, "exercise-stub", torch=torch, check=check)
    assert check.discounted_returns(ns["discounted_returns"]).status == NOT_ATTEMPTED
    assert check.reinforce_loss(ns["reinforce_loss"]).status == NOT_ATTEMPTED


def _forward(rewards, gamma):
    out, running = [], 0.0
    for r in rewards:
        running = gamma * running + r
        out.append(running)
    return torch.tensor(out)


def test_discounted_returns_mistakes():
    diagnosis(check.discounted_returns(_forward), "wrong direction")
    diagnosis(check.discounted_returns(lambda r, g: torch.tensor(r).flip(0).cumsum(0).flip(0)), "gamma is missing")
    diagnosis(check.discounted_returns(lambda r, g: torch.tensor(r) * g ** torch.arange(len(r))),
              "discounted rewards")
    diagnosis(check.discounted_returns(lambda r, g: None), "return")
    diagnosis(check.discounted_returns(lambda r, g: torch.tensor(r)[:2]), "shape")


def test_reinforce_loss_mistakes():
    diagnosis(check.reinforce_loss(lambda lp, G, b: (lp * (G - b)).sum()), "sign is flipped")
    diagnosis(check.reinforce_loss(lambda lp, G, b: -(lp * G).sum()), "baseline is missing")
    diagnosis(check.reinforce_loss(lambda lp, G, b: -(lp * (G + b)).sum()), "added")
    diagnosis(check.reinforce_loss(lambda lp, G, b: -(lp * (G - b)).mean()), "averaged")
    diagnosis(check.reinforce_loss(lambda lp, G, b: -(lp * (G - b))), "scalar")
    diagnosis(check.reinforce_loss(lambda lp, G, b: -(lp.detach() * (G - b)).sum()), "detach")
    diagnosis(check.reinforce_loss(lambda lp, G, b: 1 / 0), "ZeroDivisionError")


def test_hostile_answers_get_a_clear_verdict():
    for check_fn in (check.discounted_returns, check.reinforce_loss):
        diagnosis(check_fn(42), "expected a function")
        diagnosis(check_fn(lambda *a: "hello"), "should be a tensor")
        diagnosis(check_fn(lambda *a: torch.zeros(5, dtype=torch.complex128)), "complex")
        diagnosis(check_fn(lambda *a: torch.tensor(float("nan"))), "")
    diagnosis(check.discounted_returns(lambda r, g: torch.full((5,), float("nan"))), "NaN")
    diagnosis(check.discounted_returns(lambda r, g: [1.0, 2.0]), "shape")
    diagnosis(check.reinforce_loss(lambda lp, G, b: torch.tensor(float("nan"))), "NaN")
    assert check.discounted_returns(None).status == NOT_ATTEMPTED


def test_reinforce_loss_cut_from_the_graph_or_replayed_fails():
    """Issue 17: a loss rebuilt with requires_grad=True passed; so did the fixed episode's loss replayed."""
    cut = lambda lp, G, b: torch.tensor((-(lp * (G - b)).sum()).item(), dtype=lp.dtype, requires_grad=True)
    diagnosis(check.reinforce_loss(cut), "cut from log_probs")
    g = torch.Generator().manual_seed(3)
    lp = -torch.rand(6, generator=g, dtype=torch.float64) - 0.1
    value = -(lp * (torch.linspace(6.0, 1.0, 6, dtype=torch.float64) - 3.5)).sum()
    diagnosis(check.reinforce_loss(lambda lp, G, b: (lp * 0).sum() + value))
    diagnosis(check.reinforce_loss(lambda lp, G, b: -(lp.exp() * (G - b)).sum()), "exponentiated")
