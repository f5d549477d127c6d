"""Measured claims: the numbers behind the prose, stated once, checked where the book is built, explained elsewhere.

A chapter backs each sentence that reports a measurement with a claim::

    claim("gru-remembers-50", accuracy, at_least=0.95, backs="the GRU still answers correctly")

A claim has a short name (unique in its chapter), the measured value, a bound (`at_least`, `at_most` or both) and
the words of the prose it backs (a verbatim excerpt of the chapter; a test checks that it is there).

- Where the book is built or tested (`DLCOURSE_STRICT=1`, set by the site build, nbval and CI) a claim that fails
  raises `ClaimFailed`, so the run fails with the claim's name, its bound and the value measured.
- In a learner's own session a failed claim is a short note saying what the page expected, what this machine
  measured and why the two can differ; a claim that holds shows nothing.
- `measured()` shows every claim of the session, folded, with its bound and value; each chapter ends with it, so the
  site shows what the page measured when it was built, and the appendix gathers them all (`_ext/course_site.py`).
- With `DLCOURSE_CLAIMS_FILE` set, each claim is also appended to that file as one JSON line: the robustness
  runner (`benchmarks/robustness.py`) executes every chapter under several seeds and thread counts and reads them.
"""
from __future__ import annotations

import html
import json
import math
import os
from dataclasses import asdict, dataclass

import torch

from dlcourse import seeding

__all__ = ["Claim", "ClaimFailed", "claim", "measured", "recorded", "strict"]


class ClaimFailed(AssertionError):
    """A measured claim did not hold where the book is built or tested."""


@dataclass(frozen=True)
class Claim:
    """One measured claim: its name, the value measured, its bound and the words of the prose it backs."""

    name: str
    value: float
    at_least: float | None
    at_most: float | None
    backs: str
    seed: int
    threads: int

    @property
    def holds(self) -> bool:
        if math.isnan(self.value):
            return False
        return ((self.at_least is None or self.value >= self.at_least)
                and (self.at_most is None or self.value <= self.at_most))

    @property
    def margin(self) -> float:
        """How far the value lies inside its bound (negative: outside), in the value's own units."""
        if math.isnan(self.value):
            return -math.inf
        margins = []
        if self.at_least is not None:
            margins.append(self.value - self.at_least)
        if self.at_most is not None:
            margins.append(self.at_most - self.value)
        return min(margins)

    @property
    def bound(self) -> str:
        return bound_text(self.at_least, self.at_most)

    def as_dict(self) -> dict:
        return asdict(self) | {"holds": self.holds, "margin": self.margin, "bound": self.bound}


def bound_text(at_least: float | None, at_most: float | None) -> str:
    if at_least is not None and at_most is not None:
        return f"{number(at_least)} to {number(at_most)}" if at_least != at_most else f"= {number(at_least)}"
    return f"≥ {number(at_least)}" if at_least is not None else f"≤ {number(at_most)}"


def number(x: float) -> str:
    """A value as the prose would write it: 4 significant digits, scientific notation when very small or large."""
    if x is None or math.isnan(x) or math.isinf(x):
        return str(x)
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e6):
        return f"{x:.3g}"
    return f"{x:.4g}"


_claims: dict[str, Claim] = {}


def strict() -> bool:
    """True where the book is built or tested: a failed claim then raises."""
    return os.environ.get("DLCOURSE_STRICT", "").strip().lower() in {"1", "true", "yes"}


def _as_float(name: str, value) -> float:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise TypeError(f"claim {name!r}: the value must be one number, got a tensor of shape {tuple(value.shape)}")
        value = value.item()
    if isinstance(value, (complex, str, bytes)):
        raise TypeError(f"claim {name!r}: the value must be a real number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"claim {name!r}: the value must be a number, got {type(value).__name__}") from None


def claim(name: str, value, *, at_least: float | None = None, at_most: float | None = None, backs: str) -> Claim:
    """State that the measured `value` lies within its bound; `backs` quotes the words of the prose it supports."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a claim needs a short name")
    if at_least is None and at_most is None:
        raise ValueError(f"claim {name!r}: give a bound, at_least= or at_most= (or both)")
    if not isinstance(backs, str) or not backs.strip():
        raise ValueError(f"claim {name!r}: say which words of the prose it backs (backs=...)")
    lo = None if at_least is None else _as_float(name, at_least)
    hi = None if at_most is None else _as_float(name, at_most)
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"claim {name!r}: at_least={lo} is above at_most={hi}")
    result = Claim(name, _as_float(name, value), lo, hi, " ".join(backs.split()), seeding.base(),
                   torch.get_num_threads())
    _claims[name] = result
    _append_to_file(result)
    if not result.holds:
        if strict():
            raise ClaimFailed(_failure_text(result))
        _show_note(result)
    return result


def recorded() -> list[Claim]:
    """The claims made in this session, in the order they were first made."""
    return list(_claims.values())


def forget() -> None:
    """Forget the claims made so far (the tests use this)."""
    _claims.clear()


def _append_to_file(result: Claim) -> None:
    path = os.environ.get("DLCOURSE_CLAIMS_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(result.as_dict()) + "\n")


def _failure_text(c: Claim) -> str:
    return (f"claim {c.name!r} failed: measured {number(c.value)}, expected {c.bound} "
            f"(it backs: \"{c.backs}\"; base seed {c.seed}, {c.threads} threads)")


WHY = ("Measured results depend on the seed, on the processor and on the GPU: their floating-point sums are added "
       "in another order, and training amplifies the difference. The page's numbers come from the build; the "
       "appendix page of claims shows how much each one varies over seeds. Nothing is broken: read on.")


def _show_note(c: Claim) -> None:
    text = (f"Note: the page says \"{c.backs}\" and expected {c.bound} ({c.name}); this run measured "
            f"{number(c.value)}. {WHY}")
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is a dependency of the course
        print(text)
        return
    if get_ipython() is None:
        print(text)
        return
    display({"text/plain": text, "text/html": (
        '<div class="dlcourse-claim-note" role="note" style="border-left:4px solid #b26b00;padding:0.3em 0.8em;'
        'margin:0.4em 0">'
        f'<b>This run differs from the page.</b> The page says “{html.escape(c.backs)}” and expected '
        f'<code>{html.escape(c.bound)}</code> (claim <code>{html.escape(c.name)}</code>); this run measured '
        f'<code>{html.escape(number(c.value))}</code>. {html.escape(WHY)}</div>')}, raw=True)


def measured():
    """What this page measured: every claim of the session, folded, with its bound and value (and JSON for the
    site's appendix)."""
    from IPython.display import HTML

    claims = recorded()
    held = sum(c.holds for c in claims)
    rows = "".join(
        f"<tr><td><code>{html.escape(c.name)}</code></td><td>{html.escape(c.backs)}</td>"
        f"<td>{html.escape(c.bound)}</td><td>{html.escape(number(c.value))}</td>"
        f"<td>{'holds' if c.holds else 'differs'}</td></tr>" for c in claims)
    data = json.dumps([c.as_dict() for c in claims]).replace("</", "<\\/")
    summary = (f"What this page measured: {len(claims)} claims, {held} hold"
               f" (base seed {seeding.base()}, {torch.get_num_threads()} threads)")
    return HTML(
        f'<details class="dlcourse-claims"><summary>{html.escape(summary)}</summary>'
        '<table><thead><tr><th scope="col">claim</th><th scope="col">what the prose says</th>'
        '<th scope="col">bound</th><th scope="col">measured</th><th scope="col">verdict</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></details>"
        f'<script type="application/json" class="dlcourse-claims-data">{data}</script>')
