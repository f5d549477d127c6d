"""Checks of the chapter "Efficient models" (dlcourse.checks.compression): the notebook's own solutions pass, its
stubs report "not attempted", and typical wrong answers get the right diagnosis."""
import torch
import torch.nn.functional as F

from dlcourse.checks import CORRECT, NOT_ATTEMPTED
from dlcourse.checks import compression as check

from conftest import diagnosis, run_tagged

NOTEBOOK = "future/efficient.ipynb"
NAMES = dict(torch=torch, F=F, check=check)


def test_solutions_shown_in_the_notebook_pass():
    ns = run_tagged(NOTEBOOK, "solution", **NAMES)
    assert check.prune_by_magnitude(ns["prune_by_magnitude_solution"]).status == CORRECT
    assert check.model_size(ns["model_size_solution"]).status == CORRECT
    assert check.distillation_loss(ns["distillation_loss_solution"]).status == CORRECT


def test_stubs_in_the_notebook_are_not_attempted():
    ns = run_tagged(NOTEBOOK, "exercise-stub", **NAMES)
    assert check.prune_by_magnitude(ns["prune_by_magnitude"]).status == NOT_ATTEMPTED
    assert check.model_size(ns["model_size"]).status == NOT_ATTEMPTED
    assert check.distillation_loss(ns["distillation_loss"]).status == NOT_ATTEMPTED


def _prune(w, sparsity, key):
    k = round(sparsity * w.numel())
    pruned = w.clone().reshape(-1)
    pruned[key(w).reshape(-1).argsort()[:k]] = 0
    return pruned.reshape(w.shape)


def test_prune_by_magnitude_mistakes():
    diagnosis(check.prune_by_magnitude(lambda w, s: _prune(w, s, lambda w: -w.abs())), "LARGEST")
    diagnosis(check.prune_by_magnitude(lambda w, s: _prune(w, s, lambda w: w)), "signed")
    diagnosis(check.prune_by_magnitude(lambda w, s: _prune(w, 1 - s, lambda w: w.abs())), "REMOVE")
    diagnosis(check.prune_by_magnitude(lambda w, s: (_prune(w, s, lambda w: w.abs()) != 0).double()), "mask")
    diagnosis(check.prune_by_magnitude(lambda w, s: w), "nothing was pruned")
    per_row = lambda w, s: torch.stack([_prune(row, s, lambda r: r.abs()) for row in w])  # noqa: E731
    diagnosis(check.prune_by_magnitude(per_row), "each row")
    diagnosis(check.prune_by_magnitude(lambda w, s: None), "return")
    diagnosis(check.prune_by_magnitude(lambda w, s: w * (w.abs() > s)), "differs")


def test_model_size_mistakes():
    params = lambda m: list(m.parameters())  # noqa: E731
    everything = lambda m: list(m.parameters()) + list(m.buffers())  # noqa: E731
    diagnosis(check.model_size(lambda m: sum(p.numel() for p in params(m))), "number of parameters")
    diagnosis(check.model_size(lambda m: sum(t.numel() for t in everything(m))), "counts numbers")
    diagnosis(check.model_size(lambda m: 4 * sum(t.numel() for t in everything(m))), "4 bytes")
    diagnosis(check.model_size(lambda m: sum(p.numel() * p.element_size() for p in params(m))), "buffers")
    diagnosis(check.model_size(lambda m: "big"), "int")
    diagnosis(check.model_size(lambda m: 12), "expected")
    diagnosis(check.model_size(lambda m: True), "bool")


def _kl(s, t, T, reduction="batchmean"):
    return F.kl_div(F.log_softmax(s / T, -1), F.softmax(t / T, -1), reduction=reduction)


def test_distillation_loss_mistakes():
    diagnosis(check.distillation_loss(lambda s, t, T: _kl(s, t, T)), "T**2")
    diagnosis(check.distillation_loss(lambda s, t, T: _kl(s, t, T) / T ** 2), "divided")
    diagnosis(check.distillation_loss(lambda s, t, T: T * T * _kl(t, s, T)), "wrong way")
    diagnosis(check.distillation_loss(lambda s, t, T: _kl(s, t, 1.0)), "T = 1")
    diagnosis(check.distillation_loss(lambda s, t, T: T * T * _kl(s, t, T, "sum")), "summed")
    diagnosis(check.distillation_loss(lambda s, t, T: T * T * _kl(s, t, T, "mean")), "batchmean")
    cross_entropy = lambda s, t, T: T * T * -(F.softmax(t / T, -1) * F.log_softmax(s / T, -1)).sum(-1).mean()  # noqa
    diagnosis(check.distillation_loss(cross_entropy), "entropy")
    diagnosis(check.distillation_loss(lambda s, t, T: T * T * F.kl_div(F.log_softmax(s, -1), F.softmax(t / T, -1),
                                                                       reduction="batchmean")), "student")
    diagnosis(check.distillation_loss(lambda s, t, T: 1 / 0), "ZeroDivisionError")
    probabilities = lambda s, t, T: T * T * F.kl_div(F.softmax(s / T, -1), F.softmax(t / T, -1),  # noqa: E731
                                                     reduction="batchmean")
    diagnosis(check.distillation_loss(probabilities), "LOG-probabilities")


def test_hostile_answers_get_a_verdict(capsys):
    for answer in [42, lambda *a: "abc", lambda *a: [1.0, 2.0], lambda *a: torch.zeros(3, dtype=torch.complex64),
                   lambda *a: float("nan"), lambda *a: print("spam\n" * 10_000)]:
        for run in [check.prune_by_magnitude, check.model_size, check.distillation_loss]:
            assert run(answer).status == "incorrect", (run, answer)
    diagnosis(check.model_size(lambda m: torch.full((2, 2), float("nan"))), "int")
    diagnosis(check.prune_by_magnitude(lambda w, s: torch.full_like(w, float("nan"))), "NaN")


def test_model_size_takes_numpy_counts_and_a_fresh_model():
    """Issue 17: np.int64 sizes were refused; one fixed model let a replayed number pass."""
    import numpy as np

    from dlcourse.compression import size_bytes
    size = lambda m: sum(t.numel() * t.element_size() for t in list(m.parameters()) + list(m.buffers()))
    assert check.model_size(lambda m: np.int64(size(m))).status == CORRECT
    assert check.model_size(lambda m: torch.tensor(size(m))).status == CORRECT
    fixed = size_bytes(check._example())
    diagnosis(check.model_size(lambda m: fixed), "random sizes")


def test_distillation_with_t_instead_of_t_squared_and_a_fresh_input():
    diagnosis(check.distillation_loss(lambda s, t, T: T * _kl(s, t, T)), "multiplied by T, not T**2")
    replay = {T: T * T * _kl(check._S, check._T, T) for T in (4.0, 2.0)}
    diagnosis(check.distillation_loss(lambda s, t, T: replay.get(T, replay[4.0])), "fresh logits")
