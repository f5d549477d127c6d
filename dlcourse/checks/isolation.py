"""Running learner code within limits: a time limit on each call of the learner's function, and each exercise
check in a forked child process, so that nothing the learner's code does can hang or kill the notebook's kernel
(used by `dlcourse.checks.call` and `dlcourse.checks.exercise`; the child only on Linux, Colab included).

Every wait is bounded: the child must answer within the hard limit or it is killed. An interruption of the kernel
(Ctrl-C, Jupyter's stop button) is passed on to the child, which gets a short grace period to stop; a second
interruption, or code that swallows the first, ends the child with SIGKILL at once. Either way the check returns a
verdict and no child is left running.

Where there is no fork (macOS, where fork is unsafe with threads, and Windows) checks run in the kernel itself:
see the `dlcourse.checks` docstring for exactly what differs there.
"""
from __future__ import annotations

import io
import os
import pickle
import select
import signal
import sys
import threading
import time
import warnings
from typing import Any, Callable

class CheckTimeout(BaseException):
    """Raised in the learner's code when it runs past the time limit (a BaseException so `except Exception` can't hide it)."""


def run_with_time_limit(fn: Callable[..., Any], args: tuple, kwargs: dict, seconds: float) -> Any:
    """fn(*args, **kwargs), or CheckTimeout raised inside it after `seconds` (a watchdog thread off the main one)."""
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        armed = [True]

        def on_alarm(signum, frame):
            if armed[0]:
                raise CheckTimeout

        previous = signal.signal(signal.SIGALRM, on_alarm)
        # Fire again every 0.1 s after the limit, in case the learner's code swallows the first one.
        signal.setitimer(signal.ITIMER_REAL, seconds, 0.1)
        try:
            return fn(*args, **kwargs)
        finally:
            armed[0] = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    # Elsewhere (Windows, or a worker thread): run in a daemon thread and stop waiting at the limit.
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed back to the caller below
            result["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise CheckTimeout
    if "error" in result:
        raise result["error"]
    return result["value"]


GRACE = 1.0
"""Seconds an interrupted child may take to stop by itself before it is killed."""


class _Capture(io.StringIO):
    """The child's stdout and stderr: closing it (`sys.stdout.close()` in an answer) must not lose the verdict."""

    def close(self) -> None:  # noqa: D401 - keep the buffer readable whatever the learner does
        pass


def _child(run: Callable[..., Any], args: tuple, kwargs: dict, writer: int, tail: Callable[[str], str]) -> None:
    """The forked child: run the check, send (verdict, output) through the pipe, and exit without cleanup."""
    status = 0
    try:
        captured = _Capture()
        sys.stdout = sys.stderr = captured  # the parent's streams may hold locks of threads we don't have
        signal.signal(signal.SIGINT, signal.default_int_handler)  # an interruption from the parent
        import torch
        torch.set_num_threads(1)
        verdict = run(*args, **kwargs)
        payload = pickle.dumps((verdict, tail(captured.getvalue())))
        view = memoryview(payload)
        while view:
            view = view[os.write(writer, view):]
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def _reap(pid: int, until: float) -> int | None:
    """Wait for the child until `until` (monotonic time); its wait status, or None if it is still running."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() >= until:
            return None
        time.sleep(0.01)


def run_isolated(run: Callable[..., Any], args: tuple, kwargs: dict, hard_limit: float,
                 tail: Callable[[str], str]) -> tuple[str, Any, str, int]:
    """Run `run(*args, **kwargs)` in a forked child within `hard_limit` seconds.

    Returns (how, verdict, output, status): how is "done" (verdict and output came back), "crashed" (the child ended
    without sending them; status is its wait status), "timeout" or "interrupted" (the child was killed).
    """
    reader, writer = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python >= 3.12 warns about fork with threads
        pid = os.fork()
    if pid == 0:
        os.close(reader)
        _child(run, args, kwargs, writer, tail)  # never returns
    os.close(writer)
    chunks: list[bytes] = []
    deadline = time.monotonic() + hard_limit
    how, interrupts = "", 0
    try:
        while not how:
            try:
                left = deadline - time.monotonic()
                if left <= 0:
                    how = "interrupted" if interrupts else "timeout"
                    break
                ready, _, _ = select.select([reader], [], [], left)
                if ready:
                    chunk = os.read(reader, 1 << 16)
                    if not chunk:
                        break
                    chunks.append(chunk)
            except KeyboardInterrupt:
                interrupts += 1
                if interrupts == 1:  # ask the child to stop, and give it a moment
                    _signal(pid, signal.SIGINT)
                    deadline = min(deadline, time.monotonic() + GRACE)
                else:  # asked twice: stop now
                    how = "interrupted"
    finally:
        os.close(reader)
        status = _finish(pid, how != "")
    if interrupts and not how:
        how = "interrupted"
    if how:
        return how, None, "", status
    try:
        verdict, output = pickle.loads(b"".join(chunks))
    except Exception:
        return "crashed", None, "", status
    return "done", verdict, output, status


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:  # it has just ended
        pass


def _finish(pid: int, kill: bool) -> int:
    """Make sure the child is gone and reaped, within a bounded time; its wait status."""
    if not kill:
        status = _reap(pid, time.monotonic() + GRACE)  # it closed the pipe: it is exiting, or misbehaving
        if status is not None:
            return status
    _signal(pid, signal.SIGKILL)
    while True:  # SIGKILL cannot be caught, so this wait ends; an interruption must not leave a zombie behind
        try:
            return os.waitpid(pid, 0)[1]
        except KeyboardInterrupt:
            continue
        except ChildProcessError:
            return 0
