"""Exercise checks: run a learner's answer safely and say *not attempted*, *correct* or *incorrect, because ...*.

Chapters keep their checks in a submodule named after the concept (e.g. `dlcourse.checks.neuron`), written with
`exercise`, `call` and the `expect_*` helpers below. A check never crashes on bad input and never hangs:
exceptions inside the learner's code become a verdict, a time limit stops endless loops, and on Linux (Colab
included) each check runs in a forked child process that is killed if it outlives `HARD_LIMIT`, so even code that
swallows interruptions or crashes the interpreter ends as a verdict.
"""
from __future__ import annotations

import functools
import html
import io
import os
import pickle
import select
import signal
import sys
import threading
import time
import traceback
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import Tensor

NOT_ATTEMPTED, CORRECT, INCORRECT = "not attempted", "correct", "incorrect"
TIME_LIMIT = 5.0
"""Seconds one call of a learner's function may run before the check gives up on it."""
HARD_LIMIT = 20.0
"""Seconds a whole check may take in its child process before the child is killed."""
ISOLATE = sys.platform.startswith("linux")
"""Run checks in a forked child process (Linux only: fork is unsafe on macOS and missing on Windows)."""


@dataclass
class Verdict:
    """The outcome of a check: `status` is one of "not attempted", "correct", "incorrect"."""

    status: str
    message: str
    exercise: str = ""

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        mark = {CORRECT: "✅", INCORRECT: "❌", NOT_ATTEMPTED: "✏️"}[self.status]
        head = f"{mark} {self.exercise}: {self.status}" if self.exercise else f"{mark} {self.status}"
        return f"{head}. {self.message}"

    def _repr_html_(self) -> str:
        colour = {CORRECT: "#1a7f37", INCORRECT: "#cf222e", NOT_ATTEMPTED: "#6e7781"}[self.status]
        title = html.escape(f"{self.exercise}: {self.status}" if self.exercise else self.status)
        return (f'<div class="dlcourse-verdict" style="border-left:4px solid {colour};padding:0.3em 0.8em;">'
                f'<strong style="color:{colour}">{title}</strong><br>{html.escape(self.message)}</div>')


class Incorrect(Exception):
    """Raised inside a check to report a wrong answer with its reason."""


class NotAttempted(Exception):
    """Raised inside a check when the answer is still the stub."""


class CheckTimeout(BaseException):
    """Raised in the learner's code when it runs past the time limit (a BaseException so `except Exception` can't hide it)."""


def _run_with_time_limit(fn: Callable[..., Any], args: tuple, kwargs: dict, seconds: float) -> Any:
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


def _clone(value: Any) -> Any:
    """Copies of tensors, so that a learner's in-place edit cannot change the check's own data."""
    if isinstance(value, Tensor):
        return value.detach().clone().requires_grad_(value.requires_grad)
    if isinstance(value, (list, tuple)):
        return type(value)(_clone(v) for v in value)
    return value


def call(fn: Any, *args: Any, time_limit: float | None = None, **kwargs: Any) -> Any:
    """Call the learner's `fn` on copies of the arguments; turn every way it can fail into a verdict.

    `time_limit` defaults to the module's TIME_LIMIT, read at each call (so tests can shorten it).
    """
    time_limit = TIME_LIMIT if time_limit is None else time_limit
    if fn is None or fn is Ellipsis:
        raise NotAttempted("the answer is still empty")
    if not callable(fn):
        raise Incorrect(f"expected a function, got {type(fn).__name__} {_short(fn)}")
    try:
        return _run_with_time_limit(fn, _clone(args), _clone(kwargs), time_limit)
    except NotImplementedError as exc:
        raise NotAttempted(str(exc) or "the function still raises NotImplementedError") from None
    except CheckTimeout:
        raise Incorrect(f"your function did not finish within {time_limit:g} s: is there an endless loop?") from None
    except RecursionError:
        raise Incorrect("your function recursed without end (RecursionError)") from None
    except (Exception, SystemExit) as exc:
        where = _learner_line(exc)
        raise Incorrect(f"your function raised {type(exc).__name__}: {exc}{where}") from None


def _learner_line(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "dlcourse" not in f.filename.replace("\\", "/")]
    if not frames:
        return ""
    line = (frames[-1].line or "").strip()
    return f" (at line {frames[-1].lineno}: {line})" if line else ""


def _short(value: Any, limit: int = 60) -> str:
    try:
        text = repr(value)
    except Exception:
        text = object.__repr__(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def expect_tensor(value: Any, shape: tuple[int, ...], what: str = "your result") -> Tensor:
    """`value` as a float tensor of `shape`, or Incorrect with what differs (type, None, shape, transposed)."""
    if value is None:
        raise Incorrect(f"{what} is None: did you forget to `return` it?")
    if not isinstance(value, Tensor):
        try:
            value = torch.as_tensor(value, dtype=torch.float64)
        except Exception:
            raise Incorrect(f"{what} should be a tensor, got {type(value).__name__} {_short(value)}") from None
    if tuple(value.shape) != tuple(shape):
        if value.ndim == 2 and tuple(value.shape) == tuple(shape)[::-1]:
            raise Incorrect(f"{what} has shape {tuple(value.shape)}, expected {tuple(shape)}: transposed?")
        if value.numel() == torch.Size(shape).numel():
            raise Incorrect(f"{what} has shape {tuple(value.shape)}, expected {tuple(shape)} (right size, wrong layout)")
        raise Incorrect(f"{what} has shape {tuple(value.shape)}, expected {tuple(shape)}")
    if not (value.dtype.is_floating_point or value.dtype.is_complex):
        value = value.double()
    if not torch.isfinite(value).all():
        raise Incorrect(f"{what} contains NaN or infinity")
    return value


def expect_close(value: Tensor, expected: Tensor, what: str = "your result",
                 mistakes: dict[str, Tensor] | None = None, atol: float = 1e-5, rtol: float = 1e-4) -> None:
    """Incorrect unless `value` matches `expected`; if it matches a known mistake instead, name that mistake."""
    value = expect_tensor(value, tuple(expected.shape), what).detach().cpu()
    if value.is_complex() and not expected.is_complex():
        raise Incorrect(f"{what} should be real numbers, but you returned complex ones")
    # complex answers (quantum states) compare as complex; casting them to double would drop the imaginary part
    exact = torch.complex128 if expected.is_complex() else torch.float64
    value, expected = value.to(exact), expected.detach().cpu().to(exact)
    if torch.allclose(value, expected, atol=atol, rtol=rtol):
        return
    for diagnosis, wrong in (mistakes or {}).items():
        wrong = wrong.detach().cpu().to(exact)
        if wrong.shape == value.shape and torch.allclose(value, wrong, atol=atol, rtol=rtol):
            raise Incorrect(f"{what} is off: {diagnosis}")
    worst = (value - expected).abs().argmax()
    index = tuple(int(i) for i in torch.unravel_index(worst, value.shape)) if value.ndim else ()
    at = f" at index {index}" if index else ""
    got, want = value.reshape(-1)[worst].item(), expected.reshape(-1)[worst].item()
    raise Incorrect(f"{what} differs from the expected values: got {got:.4g}{at}, expected {want:.4g}")


def _tail(output: str, lines: int = 20, characters: int = 2000) -> str:
    """The end of what the learner's code printed: enough to debug with, never a flood above the verdict."""
    kept = output.splitlines(keepends=True)
    if len(kept) <= lines and len(output) <= characters:
        return output
    shown = "".join(kept[-lines:])[-characters:]
    hidden = len(kept) - shown.count("\n") - (0 if shown.endswith("\n") else 1)
    return f"[... {hidden} earlier lines of your output not shown]\n{shown}"


def _isolated(run: Callable[..., Verdict], args: tuple, kwargs: dict, name: str) -> Verdict:
    """Run `run` in a forked child; return its verdict, or explain why the child gave none."""
    reader, writer = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python >= 3.12 warns about fork with threads
        pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 0
        try:
            os.close(reader)
            captured = io.StringIO()
            sys.stdout = sys.stderr = captured  # the parent's streams may hold locks of threads we don't have
            torch.set_num_threads(1)
            verdict = run(*args, **kwargs)
            payload = pickle.dumps((verdict, _tail(captured.getvalue())))
            view = memoryview(payload)
            while view:
                view = view[os.write(writer, view):]
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(writer)
    chunks: list[bytes] = []
    deadline = time.monotonic() + HARD_LIMIT
    timed_out = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([reader], [], [], left)
            if ready:
                chunk = os.read(reader, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(reader)
        if timed_out:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if timed_out:
        return Verdict(INCORRECT, f"your code did not finish within {HARD_LIMIT:g} s, even when interrupted: "
                                  "is there an endless loop that catches every exception?", name)
    try:
        verdict, output = pickle.loads(b"".join(chunks))
    except Exception:
        how = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit status {os.WEXITSTATUS(status)}"
        return Verdict(INCORRECT, f"your code stopped the Python process that ran it ({how}) before the check "
                                  "could finish.", name)
    if output:
        print(output, end="" if output.endswith("\n") else "\n")
    return verdict


def exercise(name: str, hint: str = "") -> Callable[[Callable[..., None]], Callable[..., Verdict]]:
    """Turn `body(answer, ...)`, which raises Incorrect / NotAttempted or returns a success note, into a check."""

    def decorate(body: Callable[..., Any]) -> Callable[..., Verdict]:
        def run_here(*args: Any, **kwargs: Any) -> Verdict:
            try:
                note = body(*args, **kwargs)
            except NotAttempted as exc:
                return Verdict(NOT_ATTEMPTED, f"Fill in the exercise, then run this cell again ({exc}).", name)
            except Incorrect as exc:
                return Verdict(INCORRECT, str(exc) + (f" Hint: {hint}" if hint else ""), name)
            except CheckTimeout:
                return Verdict(INCORRECT, "the check ran out of time with your answer.", name)
            except Exception as exc:  # the answer broke the check itself: still a verdict, never a crash
                return Verdict(INCORRECT, f"your answer could not be checked ({type(exc).__name__}: {exc}).", name)
            return Verdict(CORRECT, note or "Well done.", name)

        @functools.wraps(body)
        def check(*args: Any, **kwargs: Any) -> Verdict:
            if ISOLATE and hasattr(os, "fork"):
                return _isolated(run_here, args, kwargs, name)
            return run_here(*args, **kwargs)

        check.hint = lambda: print(hint or "No hint for this one: read the section above again.")  # type: ignore[attr-defined]
        return check

    return decorate
