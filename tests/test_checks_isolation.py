"""dlcourse.checks.isolation and the state a check restores: interruptions never hang a check or leave its child
running, an answer that closes sys.stdout or switches grad mode / the default dtype cannot break the check or leak
into the notebook, and odd but fine answers (numpy counts, lists) are read as numbers and tensors."""
import os
import signal
import sys
import threading
import time

import numpy as np
import pytest
import torch

from dlcourse import checks
from dlcourse.checks import CORRECT, INCORRECT, call, exercise, expect_close, expect_number, isolation

from conftest import diagnosis


@exercise("double")
def check_double(answer):
    got = call(answer, torch.arange(3.0))
    got = expect_close(got, torch.arange(3.0) * 2)
    return f"sum {got.sum().item():g}"


def stubborn(*args):
    """Loops and swallows every exception: the check's timeouts, and the learner's own Ctrl-C."""
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass


@pytest.fixture
def children(monkeypatch):
    """The pids of the children the checks fork."""
    pids, fork = [], os.fork

    def recording_fork():
        pid = fork()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(isolation.os, "fork", recording_fork)
    return pids


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(autouse=True)
def _ctrl_c_raises():
    """Ctrl-C raises KeyboardInterrupt here, as in a kernel, whatever this process inherited: a shell that starts
    a job in the background (`make test &`) gives it SIGINT ignored, and Python then keeps it ignored."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def interrupt_after(*delays: float) -> None:
    """Send SIGINT to this process (as Jupyter's stop button does) after each delay, from a thread."""
    def send():
        for delay in delays:
            time.sleep(delay)
            os.kill(os.getpid(), signal.SIGINT)
    threading.Thread(target=send, daemon=True).start()


@pytest.mark.timeout(60)
@pytest.mark.skipif(not checks.ISOLATE, reason="the forked child exists on Linux only")
def test_an_interrupt_during_a_stubborn_answer_returns_a_verdict_and_kills_the_child(monkeypatch, children):
    """Issue 17: the parent waited for the child without a deadline after Ctrl-C, while the child looped."""
    monkeypatch.setattr(checks, "TIME_LIMIT", 30.0)  # only the interruption can end it
    start = time.perf_counter()
    interrupt_after(0.5)
    verdict = check_double(stubborn)
    took = time.perf_counter() - start
    diagnosis(verdict, "interrupted")
    assert took < 0.5 + isolation.GRACE + 3, took
    assert children and not any(alive(pid) for pid in children)


@pytest.mark.timeout(60)
@pytest.mark.skipif(not checks.ISOLATE, reason="the forked child exists on Linux only")
def test_a_second_interrupt_kills_the_child_at_once(monkeypatch, children):
    """Issue 17: a double interrupt left the child running at 100% CPU."""
    monkeypatch.setattr(checks, "TIME_LIMIT", 30.0)
    monkeypatch.setattr(isolation, "GRACE", 20.0)  # so only the second interruption can explain a quick end
    start = time.perf_counter()
    interrupt_after(0.5, 0.3)
    verdict = check_double(stubborn)
    assert time.perf_counter() - start < 5
    diagnosis(verdict, "interrupted")
    assert children and not any(alive(pid) for pid in children)


@pytest.mark.timeout(60)
@pytest.mark.skipif(not checks.ISOLATE, reason="the forked child exists on Linux only")
def test_a_child_that_closes_its_pipe_and_loops_is_killed(monkeypatch, children):
    monkeypatch.setattr(checks, "TIME_LIMIT", 30.0)

    def closes_everything(x):
        for fd in range(3, 256):
            try:
                os.close(fd)
            except OSError:
                pass
        stubborn(x)

    start = time.perf_counter()
    verdict = check_double(closes_everything)
    assert verdict.status == INCORRECT and time.perf_counter() - start < isolation.GRACE + 5
    assert not any(alive(pid) for pid in children)


@pytest.mark.parametrize("isolate", [True, False])
def test_closing_sys_stdout_does_not_break_the_check(monkeypatch, isolate):
    """Issue 17: sys.stdout.close() in an answer ended as "your code stopped the Python process"."""
    monkeypatch.setattr(checks, "ISOLATE", isolate and checks.ISOLATE)
    stdout, stderr = sys.stdout, sys.stderr

    def closes_stdout(x):
        sys.stdout = open(os.devnull, "w")
        sys.stdout.close()
        return 2 * x

    def closes_stdout_itself(x):
        if isolate and checks.ISOLATE:
            sys.stdout.close()  # in the child, the check's own capture
        return 2 * x

    for answer in (closes_stdout, closes_stdout_itself):
        assert check_double(answer).status == CORRECT
        assert sys.stdout is stdout and sys.stderr is stderr


@pytest.mark.parametrize("isolate", [True, False])
def test_grad_mode_and_default_dtype_are_restored_after_the_answer(monkeypatch, isolate):
    """Issue 17: set_grad_enabled(False) left on broke the check's reference; set_default_dtype leaked."""
    monkeypatch.setattr(checks, "ISOLATE", isolate and checks.ISOLATE)
    seen = {}

    @exercise("state")
    def check_state(answer):
        call(answer, torch.ones(2))
        seen["grad"], seen["dtype"] = torch.is_grad_enabled(), torch.get_default_dtype()
        w = torch.ones(2, requires_grad=True)
        (2 * w).sum().backward()  # the check's own gradient, after the answer ran
        return "ok"

    def meddles(x):
        torch.set_grad_enabled(False)
        torch.set_default_dtype(torch.float64)
        return x

    assert check_state(meddles).status == CORRECT
    assert torch.is_grad_enabled() and torch.get_default_dtype() == torch.float32
    if not isolate:
        assert seen == {"grad": True, "dtype": torch.float32}


def test_numbers_of_every_kind_are_numbers():
    """Issue 17: np.int64 counts were refused ("expected a whole number, got int64")."""
    for value in (3, 3.0, np.int64(3), np.int32(3), np.float32(3.0), np.array(3), torch.tensor(3), torch.tensor([3.0])):
        assert expect_number(value, whole=True) == 3, value
    for bad, words in ((3.5, "whole number"), ("3", "str"), (True, "bool"), (torch.ones(2), "shape"),
                       (None, "None"), (float("nan"), "whole number"), (torch.empty(1, device="meta"), "meta")):
        with pytest.raises(checks.Incorrect, match=words):
            expect_number(bad, whole=True)


def test_half_precision_results_are_told_about_their_precision():
    """Issue 17: float16 results got "got 0.6753, expected 0.6754" with no word on precision."""
    expected = torch.tensor([0.67539, 1.23456, -2.71828], dtype=torch.float64)
    for dtype, words in ((torch.float16, "float16"), (torch.bfloat16, "bfloat16")):
        with pytest.raises(checks.Incorrect, match=f"{words}.*significant digits"):
            expect_close(expected.to(dtype), expected)
    with pytest.raises(checks.Incorrect, match="differs"):  # a wrong answer in float16 is still just wrong
        expect_close((expected + 1).half(), expected)


def test_meta_tensors_and_lists_are_diagnosed_and_read():
    """Issue 17: a meta tensor gave a raw RuntimeError; a list crashed a check that used the answer afterwards."""
    diagnosis(check_double(lambda x: torch.empty(3, device="meta")), "meta tensor")
    verdict = check_double(lambda x: (2 * x).tolist())
    assert verdict.status == CORRECT and "sum 6" in verdict.message
