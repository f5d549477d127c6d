"""Checks of the chapter "Transfer learning" (dlcourse.checks.transfer): solutions pass, stubs are not attempted,
typical wrong answers get the right diagnosis."""
import torch

from dlcourse.checks import CORRECT, NOT_ATTEMPTED
from dlcourse.checks import transfer as check

from conftest import assert_hostile_answers_get_verdicts, diagnosis, run_tagged

NOTEBOOK = "challenges/transfer-learning.ipynb"


def test_solutions_shown_in_the_notebook_pass():
    ns = run_tagged(NOTEBOOK, "solution", torch=torch, check=check)
    assert check.freeze_body(ns["freeze_body_solution"]).status == CORRECT
    assert check.count_trainable(ns["count_trainable_solution"]).status == CORRECT


def test_stubs_in_the_notebook_are_not_attempted():
    ns = run_tagged(NOTEBOOK, "exercise-stub", torch=torch, check=check)
    assert check.freeze_body(ns["freeze_body"]).status == NOT_ATTEMPTED
    assert check.count_trainable(ns["count_trainable"]).status == NOT_ATTEMPTED


def _freeze(module):
    for p in module.parameters():
        p.requires_grad_(False)


def test_freeze_body_mistakes():
    diagnosis(check.freeze_body(lambda m: _freeze(m.head)), "head instead of the body")
    diagnosis(check.freeze_body(lambda m: _freeze(m)), "froze everything")
    diagnosis(check.freeze_body(lambda m: None), "no parameter was frozen")
    diagnosis(check.freeze_body(lambda m: [p.requires_grad_(False) for n, p in m.body.named_parameters()
                                           if "weight" in n]), "still trainable", "bias")
    def zero_and_freeze(m):
        for p in m.body.parameters():
            p.data.zero_()
            p.requires_grad_(False)

    diagnosis(check.freeze_body(zero_and_freeze), "values changed")


def test_count_trainable_mistakes():
    diagnosis(check.count_trainable(lambda m: sum(p.numel() for p in m.parameters())), "frozen ones too")
    diagnosis(check.count_trainable(lambda m: sum(1 for p in m.parameters() if p.requires_grad)), "numel")
    diagnosis(check.count_trainable(lambda m: sum(p.numel() for p in m.parameters() if not p.requires_grad)),
              "frozen parameters")
    diagnosis(check.count_trainable(lambda m: None), "return")
    diagnosis(check.count_trainable(lambda m: 27), "nothing frozen")
    diagnosis(check.count_trainable(lambda m: "27"), "whole number")


def test_freeze_body_on_a_copy_is_diagnosed():
    import copy

    def frozen_copy(model):
        model = copy.deepcopy(model)
        for p in model.body.parameters():
            p.requires_grad_(False)
        return model

    result = check.freeze_body(frozen_copy)
    assert result.status == "incorrect" and "copy" in result.message


CHECKS = ["freeze_body", "count_trainable"]

def test_hostile_answers_get_a_verdict_not_a_traceback(capsys):
    assert_hostile_answers_get_verdicts(check, CHECKS)
    capsys.readouterr()


def test_an_endless_answer_is_stopped():
    def endless(*args):
        while True:
            pass

    verdict = getattr(check, CHECKS[0])(endless)
    assert verdict.status == "incorrect" and "finish" in verdict.message


def test_count_trainable_takes_numpy_counts_and_is_not_fooled_by_unfreezing():
    """Issue 17: np.int64 counts got "expected a whole number, got int64"; the reference came after the answer."""
    import numpy as np
    count = lambda m: np.int64(sum(p.numel() for p in m.parameters() if p.requires_grad))
    assert check.count_trainable(count).status == CORRECT

    def unfreezes(m):
        for p in m.parameters():
            p.requires_grad_(True)
        return sum(p.numel() for p in m.parameters() if p.requires_grad)

    diagnosis(check.count_trainable(unfreezes), "every parameter")


def test_answers_replayed_for_the_chapter_model_fail_on_a_fresh_one():
    """Issue 17 (exemptions): both checks used the chapter's model only, so an answer fitted to it passed."""
    def first_four(m):  # the fixed body's four tensors, by position
        for p in list(m.parameters())[:4]:
            p.requires_grad_(False)

    def layers_0_and_2(m):  # the fixed body's two linear layers, by name
        for name, p in m.named_parameters():
            if name.startswith(("body.0.", "body.2.")):
                p.requires_grad_(False)

    def replayed_count(m):  # 27 with the body frozen, 339 with nothing frozen: the fixed model's counts
        return 27 if any(not p.requires_grad for p in m.parameters()) else 339

    for _ in range(5):
        assert check.freeze_body(first_four).status == "incorrect"
        diagnosis(check.freeze_body(layers_0_and_2), "still trainable", "random model")
        diagnosis(check.count_trainable(replayed_count), "random model")
