"""The check machinery: every way a learner's answer can fail becomes a verdict, never a crash or a hang."""
import sys
import threading
import time

import torch

from dlcourse.checks import (CORRECT, INCORRECT, NOT_ATTEMPTED, Incorrect, Verdict, call, exercise, expect_close,
                             expect_tensor)


@exercise("double", hint="multiply by two")
def check_double(answer):
    got = call(answer, torch.arange(3.0))
    expect_close(got, torch.arange(3.0) * 2, mistakes={"you added 2 instead": torch.arange(3.0) + 2})
    return "ok"


def test_correct_and_not_attempted():
    assert check_double(lambda x: 2 * x).status == CORRECT

    def stub(x):
        raise NotImplementedError

    assert check_double(stub).status == NOT_ATTEMPTED
    assert check_double(None).status == NOT_ATTEMPTED
    assert check_double(...).status == NOT_ATTEMPTED


def test_known_mistake_is_named_and_hint_added():
    verdict = check_double(lambda x: x + 2)
    assert verdict.status == INCORRECT and "added 2" in verdict.message and "multiply by two" in verdict.message


def test_exceptions_inside_learner_code_are_reported_with_the_line():
    def broken(x):
        return x @ torch.ones(5)

    verdict = check_double(broken)
    assert verdict.status == INCORRECT and "RuntimeError" in verdict.message and "x @ torch.ones(5)" in verdict.message


def test_sys_exit_and_recursion_do_not_escape():
    assert check_double(lambda x: sys.exit(3)).status == INCORRECT

    def forever(x):
        return forever(x)

    assert "recursed" in check_double(forever).message


def test_endless_loop_is_stopped(monkeypatch):
    monkeypatch.setattr("dlcourse.checks.HARD_LIMIT", 2.0)

    @exercise("loop")
    def check_loop(answer):
        return call(answer, time_limit=0.5)

    def endless():
        while True:
            pass

    start = time.perf_counter()
    assert "did not finish" in check_loop(endless).message
    assert time.perf_counter() - start < 5
    from test_checks_isolation import stubborn  # swallows every interruption and loops again

    verdict = check_loop(stubborn)  # survives every interruption: the child process is killed
    assert verdict.status == INCORRECT and "even when interrupted" in verdict.message
    assert time.perf_counter() - start < 8


def test_a_crashing_answer_ends_as_a_verdict():
    import os

    verdict = check_double(lambda x: os._exit(1))
    assert verdict.status == INCORRECT and "stopped the Python process" in verdict.message


def test_learner_output_is_passed_on(capsys):
    def chatty(x):
        print("hello from the learner")
        return 2 * x

    assert check_double(chatty).status == CORRECT
    assert "hello from the learner" in capsys.readouterr().out


def test_in_process_mode_gives_the_same_verdicts(monkeypatch):
    monkeypatch.setattr("dlcourse.checks.ISOLATE", False)
    assert check_double(lambda x: 2 * x).status == CORRECT
    assert "added 2" in check_double(lambda x: x + 2).message


def test_time_limit_also_works_off_the_main_thread():
    @exercise("loop")
    def check_loop(answer):
        return call(answer, time_limit=0.3)

    out = {}
    worker = threading.Thread(target=lambda: out.setdefault("v", check_loop(lambda: time.sleep(2))))
    worker.start()
    worker.join(5)
    assert "did not finish" in out["v"].message


def test_non_callables_wrong_types_and_shapes():
    assert "expected a function" in check_double(42).message
    assert "None" in check_double(lambda x: None).message
    assert "should be a tensor" in check_double(lambda x: "six").message
    assert "shape" in check_double(lambda x: torch.zeros(4)).message
    assert "NaN" in check_double(lambda x: x * float("nan")).message
    assert check_double(lambda x: (2 * x).tolist()).status == CORRECT  # lists are accepted


def test_transposed_result_is_recognised():
    try:
        expect_tensor(torch.zeros(3, 2), (2, 3))
    except Incorrect as exc:
        assert "transposed" in str(exc)
    else:
        raise AssertionError("expected Incorrect")


def test_learner_cannot_modify_the_checks_data():
    data = torch.ones(3)

    @exercise("inplace")
    def check(answer):
        call(answer, data)
        return "fine"

    check(lambda x: x.zero_())
    assert torch.equal(data, torch.ones(3))


def test_in_process_the_learner_still_gets_copies(monkeypatch):
    monkeypatch.setattr("dlcourse.checks.ISOLATE", False)
    data = torch.ones(3)

    @exercise("inplace")
    def check(answer):
        call(answer, data)
        return "fine"

    check(lambda x: x.zero_())
    assert torch.equal(data, torch.ones(3))


def test_a_check_that_breaks_on_odd_input_still_gives_a_verdict():
    @exercise("fragile")
    def fragile(answer):
        return 1 / 0

    verdict = fragile(lambda: 1)
    assert verdict.status == INCORRECT and "could not be checked" in verdict.message


def test_verdict_rendering():
    v = Verdict(INCORRECT, "bad <shape>", "ex")
    assert "❌ ex: incorrect" in repr(v) and "&lt;shape&gt;" in v._repr_html_() and not v
    assert bool(Verdict(CORRECT, "ok"))


def test_hint_prints(capsys):
    check_double.hint()
    assert "multiply by two" in capsys.readouterr().out


def test_complex_answers_are_refused_where_real_ones_are_expected_and_compared_where_complex_ones_are():
    assert "complex" in check_double(lambda x: (2 * x).to(torch.complex64)).message

    @exercise("phase")
    def check_phase(answer):
        expect_close(call(answer), torch.tensor([1j, -1j]), mistakes={"conjugated": torch.tensor([-1j, 1j])})

    assert check_phase(lambda: torch.tensor([1j, -1j])).status == CORRECT
    assert "conjugated" in check_phase(lambda: torch.tensor([-1j, 1j])).message
    assert check_phase(lambda: torch.tensor([1.0, -1.0])).status == INCORRECT  # the real part alone is not enough


def test_the_time_limit_is_read_when_the_check_runs(monkeypatch):
    monkeypatch.setattr("dlcourse.checks.TIME_LIMIT", 0.3)

    def endless(x):
        while True:
            pass

    start = time.perf_counter()
    verdict = check_double(endless)
    assert "0.3 s" in verdict.message and time.perf_counter() - start < 4


def test_a_flood_of_learner_output_is_cut_to_its_last_lines(capsys):
    def flooding(x):
        for i in range(100_000):
            print(f"line {i}")
        return 2 * x

    assert check_double(flooding).status == CORRECT
    out = capsys.readouterr().out
    assert out.count("\n") <= 21 and "line 99999" in out and "line 99979" not in out
    assert "[... 99980 earlier lines of your output not shown]" in out


NOTEBOOK_CHECKS = {
    "foundations/neuron.ipynb": "neuron", "deep-learning/why-depth.ipynb": "depth",
    "deep-learning/hardware.ipynb": "hardware", "architectures/feedforward.ipynb": "feedforward",
    "architectures/cnn.ipynb": "conv", "architectures/cnn-applications.ipynb": "conv",
    "architectures/rnn.ipynb": "rnn", "architectures/language-model.ipynb": "rnn",
    "architectures/seq2seq.ipynb": "seq2seq", "training/backprop.ipynb": "backprop",
    "training/optimization.ipynb": "optim", "challenges/gradients.ipynb": "gradients",
    "challenges/regularization.ipynb": "regularization", "challenges/gans.ipynb": "gan",
    "challenges/transfer-learning.ipynb": "transfer", "future/efficient.ipynb": "compression",
    "future/interpretability.ipynb": "attribution", "future/reinforcement-learning.ipynb": "rl",
    "future/quantum.ipynb": "quantum",
}
WITHOUT_A_FRESH_INPUT = {
    "xor_weights": "takes no input: the learner returns weights, checked on all four corners",
    "reversed_cnot": "takes no input: one matrix",
    "shift_kernel": "takes no input: one kernel, applied to a test image in every direction",
    "inverted_dropout": "random by nature: two calls must drop different elements, and p = 0 and 1 are tried",
    "xavier_uniform": "random by nature: its statistics are checked on a large draw for two gains",
}
"""The checks that need no input drawn afresh, and why; every other check must draw one on every call."""


def test_every_check_tries_an_input_drawn_fresh_on_every_call(monkeypatch):
    """Issue 17: 13 checks tested one fixed input, so replaying the expected output passed."""
    import importlib
    import math

    import numpy as np
    import torch.nn.functional as F
    from torch import nn

    from dlcourse import audio, gan
    from conftest import run_tagged

    monkeypatch.setattr("dlcourse.checks.ISOLATE", False)  # count the draws in this process
    draws = []
    tried = set()
    for notebook, module_name in NOTEBOOK_CHECKS.items():
        module = importlib.import_module(f"dlcourse.checks.{module_name}")
        if hasattr(module, "fresh_generator"):
            original = module.fresh_generator
            monkeypatch.setattr(module, "fresh_generator", lambda original=original: draws.append(1) or original())
        ns = run_tagged(notebook, "solution", torch=torch, F=F, nn=nn, math=math, np=np, gan=gan, audio=audio,
                        check=module)
        solutions = [v for k, v in ns.items() if k.endswith("_solution") and callable(v)]
        checks = [v for v in vars(module).values() if callable(v) and hasattr(v, "hint") and
                  getattr(v, "__module__", "") == module.__name__]
        for checker in checks:
            for solution in solutions:
                draws.clear()
                if checker(solution).status == CORRECT:
                    tried.add(checker.__name__)
                    assert draws or checker.__name__ in WITHOUT_A_FRESH_INPUT, checker.__name__
                    break
    assert len(tried) >= 47, sorted(tried)  # every check (two are called mlp_parameters)
