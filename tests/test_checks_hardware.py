"""Checks of the chapter "Hardware and parallel computing" (dlcourse.checks.hardware): the notebook's solutions
pass, its stubs report "not attempted", and typical wrong answers get the right diagnosis."""
import torch

from dlcourse.checks import CORRECT, NOT_ATTEMPTED
from dlcourse.checks import hardware as check

from conftest import diagnosis, run_tagged

NOTEBOOK = "deep-learning/hardware.ipynb"


def test_solutions_shown_in_the_notebook_pass():
    ns = run_tagged(NOTEBOOK, "solution", torch=torch, check=check)
    assert check.matmul_gflops(ns["matmul_gflops_solution"]).status == CORRECT
    assert check.matmul_intensity(ns["matmul_intensity_solution"]).status == CORRECT
    assert check.combine_gradients(ns["combine_gradients_solution"]).status == CORRECT


def test_stubs_in_the_notebook_are_not_attempted():
    ns = run_tagged(NOTEBOOK, "exercise-stub", torch=torch, check=check)
    assert check.matmul_gflops(ns["matmul_gflops"]).status == NOT_ATTEMPTED
    assert check.matmul_intensity(ns["matmul_intensity"]).status == NOT_ATTEMPTED
    assert check.combine_gradients(ns["combine_gradients"]).status == NOT_ATTEMPTED


def test_matmul_gflops_mistakes():
    diagnosis(check.matmul_gflops(lambda n, s: n**3 / s / 1e9), "factor 2")
    diagnosis(check.matmul_gflops(lambda n, s: 2 * n**3 / s), "FLOP/s")
    diagnosis(check.matmul_gflops(lambda n, s: 2 * n**3 / s / 1e6), "MFLOP/s")
    diagnosis(check.matmul_gflops(lambda n, s: 2 * n**2 / s / 1e9), "n^2")
    diagnosis(check.matmul_gflops(lambda n, s: 2 * n**3 * s / 1e9), "divide")
    diagnosis(check.matmul_gflops(lambda n, s: "fast"), "should be a number")
    diagnosis(check.matmul_gflops(lambda n, s: torch.tensor([1.0, 2.0])), "should be a number")
    # a one-element tensor is a fine number
    assert check.matmul_gflops(lambda n, s: torch.tensor(2 * n**3 / s / 1e9)).status == CORRECT


def test_matmul_intensity_mistakes():
    diagnosis(check.matmul_intensity(lambda n, b: 2 * n**3 / (3 * n * n)), "per *number*")
    diagnosis(check.matmul_intensity(lambda n, b: 2 * n**3 / (2 * n * n * b)), "written")
    diagnosis(check.matmul_intensity(lambda n, b: n**3 / (3 * n * n * b)), "factor 2")
    diagnosis(check.matmul_intensity(lambda n, b: 3 * n * n * b / (2 * n**3)), "bytes per FLOP")
    diagnosis(check.matmul_intensity(lambda n, b: 1 / b), "no reuse")
    diagnosis(check.matmul_intensity(lambda n, b: n / 6), "expected")


def test_combine_gradients_mistakes():
    diagnosis(check.combine_gradients(lambda g, n: sum(g)), "sum of the workers", "divide")
    diagnosis(check.combine_gradients(lambda g, n: torch.stack(g).mean(0)), "only for equal shards")
    diagnosis(check.combine_gradients(lambda g, n: sum(k * t for k, t in zip(n, g))), "not divided")
    diagnosis(check.combine_gradients(lambda g, n: g[0]), "first worker")
    diagnosis(check.combine_gradients(lambda g, n: torch.cat(g)), "shape")
    diagnosis(check.combine_gradients(lambda g, n: None), "return")


def test_broken_and_endless_answers(monkeypatch):
    monkeypatch.setattr("dlcourse.checks.TIME_LIMIT", 0.5)

    def endless(g, n):
        while True:
            pass

    diagnosis(check.combine_gradients(endless), "did not finish")
    diagnosis(check.matmul_gflops(lambda n, s: 1 / 0), "ZeroDivisionError")


def test_numbers_given_as_text_or_truth_values_are_rejected():
    diagnosis(check.matmul_gflops(lambda n, s: str(2 * n**3 / s / 1e9)), "not text")
    diagnosis(check.matmul_intensity(lambda n, b: True), "truth value")
