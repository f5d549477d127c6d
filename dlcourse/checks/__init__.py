"""Exercise checks: run a learner's answer safely and say *not attempted*, *correct* or *incorrect, because ...*.

Chapters keep their checks in a submodule named after the concept (e.g. `dlcourse.checks.neuron`), written with
`exercise`, `call` and the `expect_*` helpers below. A check never crashes on bad input and never hangs:
exceptions inside the learner's code become a verdict, a time limit stops endless loops, and the state an answer
may change (grad mode, default dtype, sys.stdout / sys.stderr) is restored after each call. A check evaluates the
answer on more than one input, one of them drawn fresh on every call (`fresh_generator`), so that replaying the
expected output of a fixed input cannot pass.

On Linux (Colab included) each check also runs in a forked child process (`dlcourse.checks.isolation`) that is
killed if it outlives `HARD_LIMIT` or is interrupted twice, so even code that swallows interruptions, calls
`os._exit` or crashes the interpreter ends as a verdict, and nothing it changes reaches the notebook.

What differs on macOS and Windows, where checks run in the kernel itself (fork is unsafe on macOS and missing on
Windows; a spawned process would need the learner's function to be importable or picklable, which a function
defined in a notebook cell is not):
- an endless loop is still stopped after `TIME_LIMIT` (SIGALRM on macOS; on Windows a watchdog thread stops
  waiting, but the loop keeps running in the background until the kernel restarts);
- a loop that catches every exception, including the check's own timeout, cannot be stopped: the cell hangs
  until the kernel is interrupted or restarted;
- `os._exit`, a segmentation fault or `sys.stdout.close()` at the C level ends the kernel itself;
- a KeyboardInterrupt (Ctrl-C, the stop button) stops the check and the cell, as in any other code;
- changes to global state beyond those restored above (threads started, files written, modules patched, the
  random seed) stay in the notebook.
"""
from __future__ import annotations

import contextlib
import functools
import html
import math
import numbers
import os
import sys
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import torch
from torch import Tensor

from dlcourse.checks.isolation import CheckTimeout, run_isolated, run_with_time_limit

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
        # The status is said in words; the border's colour only repeats it, and the text keeps the page's own colour
        # (readable on light and dark backgrounds alike).
        colour = {CORRECT: "#1a7f37", INCORRECT: "#cf222e", NOT_ATTEMPTED: "#6e7781"}[self.status]
        title = html.escape(f"{self.exercise}: {self.status}" if self.exercise else self.status)
        return (f'<div class="dlcourse-verdict" style="border-left:4px solid {colour};padding:0.3em 0.8em;">'
                f'<strong>{title}</strong><br>{html.escape(self.message)}</div>')


class Incorrect(Exception):
    """Raised inside a check to report a wrong answer with its reason."""


class NotAttempted(Exception):
    """Raised inside a check when the answer is still the stub."""


def _clone(value: Any) -> Any:
    """Copies of tensors, so that a learner's in-place edit cannot change the check's own data."""
    if isinstance(value, Tensor):
        return value.detach().clone().requires_grad_(value.requires_grad)
    if isinstance(value, (list, tuple)):
        return type(value)(_clone(v) for v in value)
    return value


@contextlib.contextmanager
def _preserved() -> Iterator[None]:
    """Restore what an answer may change globally: grad mode, default dtype, standard streams."""
    grad, dtype, streams = torch.is_grad_enabled(), torch.get_default_dtype(), (sys.stdout, sys.stderr)
    try:
        yield
    finally:
        torch.set_grad_enabled(grad)
        torch.set_default_dtype(dtype)
        sys.stdout, sys.stderr = streams


def fresh_generator() -> torch.Generator:
    """A generator seeded anew on every call: the fresh input a check adds to its fixed ones."""
    return torch.Generator().manual_seed(int.from_bytes(os.urandom(6), "little"))


def call(fn: Any, *args: Any, time_limit: float | None = None, copies: bool = True, **kwargs: Any) -> Any:
    """Call the learner's `fn` on copies of the arguments; turn every way it can fail into a verdict.

    `time_limit` defaults to the module's TIME_LIMIT, read at each call (so tests can shorten it). `copies=False`
    passes the arguments themselves: for a leaf tensor made for this call, whose gradient the check then reads.
    """
    time_limit = TIME_LIMIT if time_limit is None else time_limit
    if fn is None or fn is Ellipsis:
        raise NotAttempted("the answer is still empty")
    if not callable(fn):
        raise Incorrect(f"expected a function, got {type(fn).__name__} {_short(fn)}")
    try:
        with _preserved():
            if copies:
                args, kwargs = _clone(args), _clone(kwargs)
            return run_with_time_limit(fn, args, kwargs, time_limit)
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
    if value.device.type == "meta":
        raise Incorrect(f"{what} is a meta tensor, which has a shape but no values: compute it on a real device "
                        "(did you create a tensor with device='meta', or call .to('meta')?)")
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
                 mistakes: dict[str, Tensor] | None = None, atol: float = 1e-5, rtol: float = 1e-4) -> Tensor:
    """Incorrect unless `value` matches `expected`; if it matches a known mistake instead, name that mistake.

    Returns the answer as a tensor (a list or number converted), so that a check can go on using it.
    """
    value = expect_tensor(value, tuple(expected.shape), what).detach().cpu()
    checked, low_precision = value, value.dtype in (torch.float16, torch.bfloat16)
    if value.is_complex() and not expected.is_complex():
        raise Incorrect(f"{what} should be real numbers, but you returned complex ones")
    # complex answers (quantum states) compare as complex; casting them to double would drop the imaginary part
    exact = torch.complex128 if expected.is_complex() else torch.float64
    value, expected = value.to(exact), expected.detach().cpu().to(exact)
    if torch.allclose(value, expected, atol=atol, rtol=rtol):
        return checked
    if low_precision and torch.allclose(value, expected, atol=atol, rtol=1e-2 if value.dtype == torch.bfloat16 else 2e-3):
        raise Incorrect(f"{what} is in {str(checked.dtype).replace('torch.', '')}, which keeps only about "
                        f"{2 if checked.dtype == torch.bfloat16 else 3} significant digits: the values are right to "
                        "that precision, but compute in float32 or float64 (e.g. .float()) to match exactly")
    for diagnosis, wrong in (mistakes or {}).items():
        wrong = wrong.detach().cpu().to(exact)
        if wrong.shape == value.shape and torch.allclose(value, wrong, atol=atol, rtol=rtol):
            raise Incorrect(f"{what} is off: {diagnosis}")
    worst = (value - expected).abs().argmax()
    index = tuple(int(i) for i in torch.unravel_index(worst, value.shape)) if value.ndim else ()
    at = f" at index {index}" if index else ""
    got, want = value.reshape(-1)[worst].item(), expected.reshape(-1)[worst].item()
    raise Incorrect(f"{what} differs from the expected values: got {got:.4g}{at}, expected {want:.4g}")


def expect_number(value: Any, what: str = "your result", whole: bool = False) -> float | int:
    """`value` as a Python number: ints, floats, numpy scalars and one-element tensors or arrays are fine."""
    if value is None:
        raise Incorrect(f"{what} is None: did you forget to `return` it?")
    if hasattr(value, "numel") or hasattr(value, "size") and hasattr(value, "item"):  # tensors, numpy values
        count = value.numel() if hasattr(value, "numel") else value.size
        if count != 1:
            raise Incorrect(f"{what} should be one {'whole ' if whole else ''}number, got shape {tuple(value.shape)}")
        if getattr(value, "device", None) is not None and str(value.device) == "meta":
            raise Incorrect(f"{what} is a meta tensor, which has no value")
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = "a whole number" if whole else "a number"
        raise Incorrect(f"{what} should be {kind}, got {type(value).__name__} {_short(value)}")
    if whole:
        if isinstance(value, numbers.Integral):  # exact, however large (math.isfinite would overflow)
            return int(value)
        if not math.isfinite(value) or value != int(value):
            raise Incorrect(f"{what} should be a whole number, got {value!r}")
        return int(value)
    return float(value)


def _tail(output: str, lines: int = 20, characters: int = 2000) -> str:
    """The end of what the learner's code printed: enough to debug with, never a flood above the verdict."""
    kept = output.splitlines(keepends=True)
    if len(kept) <= lines and len(output) <= characters:
        return output
    shown = "".join(kept[-lines:])[-characters:]
    hidden = len(kept) - shown.count("\n") - (0 if shown.endswith("\n") else 1)
    return f"[... {hidden} earlier lines of your output not shown]\n{shown}"


def _isolated(run: Callable[..., Verdict], args: tuple, kwargs: dict, name: str) -> Verdict:
    """Run `run` in a forked child (dlcourse.checks.isolation); return its verdict, or explain why it gave none."""
    how, verdict, output, status = run_isolated(run, args, kwargs, HARD_LIMIT, _tail)
    if how == "timeout":
        return Verdict(INCORRECT, f"your code did not finish within {HARD_LIMIT:g} s, even when interrupted: "
                                  "is there an endless loop that catches every exception?", name)
    if how == "interrupted":
        return Verdict(INCORRECT, "you interrupted the check, so it could not finish; the process that ran your "
                                  "code has been stopped. Run the cell again to check your answer.", name)
    if how == "crashed":
        why = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit status {os.WEXITSTATUS(status)}"
        return Verdict(INCORRECT, f"your code stopped the Python process that ran it ({why}) before the check "
                                  "could finish.", name)
    if output:
        print(output, end="" if output.endswith("\n") else "\n")
    return verdict


def exercise(name: str, hint: str = "") -> Callable[[Callable[..., None]], Callable[..., Verdict]]:
    """Turn `body(answer, ...)`, which raises Incorrect / NotAttempted or returns a success note, into a check."""

    def decorate(body: Callable[..., Any]) -> Callable[..., Verdict]:
        def run_here(*args: Any, **kwargs: Any) -> Verdict:
            try:
                with _preserved():
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
            return run_here(*args, **kwargs)  # see the module docstring for what differs without a child

        check.hint = lambda: print(hint or "No hint for this one: read the section above again.")  # type: ignore[attr-defined]
        return check

    return decorate
