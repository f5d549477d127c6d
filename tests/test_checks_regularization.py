"""Checks of the chapter "Overfitting and regularisation": the notebook's solutions pass, its stubs are not
attempted, typical wrong answers get the right diagnosis."""
import torch

from dlcourse.checks import CORRECT, NOT_ATTEMPTED
from dlcourse.checks import regularization as check

from conftest import diagnosis, run_tagged

NOTEBOOK = "challenges/regularization.ipynb"


def test_solutions_shown_in_the_notebook_pass():
    ns = run_tagged(NOTEBOOK, "solution", torch=torch, check=check)
    assert check.inverted_dropout(ns["inverted_dropout_solution"]).status == CORRECT
    assert check.l2_step(ns["l2_step_solution"]).status == CORRECT


def test_stubs_in_the_notebook_are_not_attempted():
    ns = run_tagged(NOTEBOOK, "exercise-stub", torch=torch, check=check)
    assert check.inverted_dropout(ns["inverted_dropout"]).status == NOT_ATTEMPTED
    assert check.l2_step(ns["l2_step"]).status == NOT_ATTEMPTED


def dropper(scale, eval_scale=1.0, keep_prob=False, drop_in_eval=False):
    def answer(x, p, training):
        if not training and not drop_in_eval:
            return x * eval_scale
        mask = torch.rand(x.shape) < p if keep_prob else torch.rand(x.shape) >= p
        return x * mask * scale(p)
    return answer


def test_dropout_mistakes():
    diagnosis(check.inverted_dropout(dropper(lambda p: 1.0)), "not rescaled")
    diagnosis(check.inverted_dropout(dropper(lambda p: 1 - p)), "multiplied by (1 - p)")
    diagnosis(check.inverted_dropout(dropper(lambda p: 1 / p)), "divided by p")
    diagnosis(check.inverted_dropout(dropper(lambda p: 1 / (1 - p), keep_prob=True)), "DROPPING")
    diagnosis(check.inverted_dropout(dropper(lambda p: 1 / (1 - p), eval_scale=0.7)), "non-inverted")
    diagnosis(check.inverted_dropout(dropper(lambda p: 1 / (1 - p), drop_in_eval=True)), "evaluation mode")
    diagnosis(check.inverted_dropout(lambda x, p, training: x), "nothing was dropped")
    fixed = torch.Generator()

    def same_mask(x, p, training):
        fixed.manual_seed(0)
        return x * (torch.rand(x.shape, generator=fixed, dtype=x.dtype) >= p) / (1 - p) if training else x

    diagnosis(check.inverted_dropout(same_mask), "same elements")
    diagnosis(check.inverted_dropout(lambda x, p, training: x * (torch.rand(x.shape) >= p) / (1 - p)
                                     if training else x), "p = 1")


def test_l2_step_mistakes():
    diagnosis(check.l2_step(lambda w, g, lr, lam: w - lr * g), "penalty is missing")
    diagnosis(check.l2_step(lambda w, g, lr, lam: w - lr * g - lam * w), "not multiplied by the learning rate")
    diagnosis(check.l2_step(lambda w, g, lr, lam: w - lr * (g + 2 * lam * w)), "doubled")
    diagnosis(check.l2_step(lambda w, g, lr, lam: w - lr * (g + lam * torch.sign(w))), "L1")
    diagnosis(check.l2_step(lambda w, g, lr, lam: w - lr * (g - lam * w)), "sign is flipped")
    diagnosis(check.l2_step(lambda w, g, lr, lam: w + lr * (g + lam * w)), "uphill")


def test_l2_step_unchanged_weights_and_hostile_answers():
    diagnosis(check.l2_step(lambda w, g, lr, lam: w), "unchanged")
    diagnosis(check.l2_step(lambda w, g, lr, lam: "w"), "tensor")
    diagnosis(check.l2_step(lambda w, g, lr, lam: w.to(torch.complex128)), "complex")
    diagnosis(check.l2_step(lambda w, g, lr, lam: w * float("nan")), "NaN")
    diagnosis(check.inverted_dropout(lambda x, p, training: x[:4]), "shape")
    diagnosis(check.inverted_dropout(lambda x, p, training: x * float("nan")), "NaN")
    assert check.inverted_dropout(3).status != CORRECT


def test_l2_step_ignoring_lr_or_strength_or_replaying_fails():
    """Issue 17: one fixed (lr, strength), so an answer that hard-coded either, or replayed the output, passed."""
    from dlcourse.checks import regularization as module

    diagnosis(check.l2_step(lambda w, g, lr, lam: w - 0.1 * (g + lam * w)), "learning rate is fixed")
    diagnosis(check.l2_step(lambda w, g, lr, lam: w - lr * (g + 0.05 * w)), "strength is fixed")
    replay = module._W - module._LR * (module._G + module._LAMBDA * module._W)
    diagnosis(check.l2_step(lambda w, g, lr, lam: replay))
    diagnosis(check.l2_step(lambda w, g, lr, lam: lr * (g + lam * w)), "the update")
