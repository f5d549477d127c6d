"""Shared fixtures: the repository root, and the notebooks' tagged cells for the exercise tests."""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def tagged_source(notebook: str, tag: str) -> str:
    """The source of the code cells of `notebook` (relative to book/) that carry `tag`, joined."""
    nb = json.loads((ROOT / "book" / notebook).read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "code" and tag in c.get("metadata", {}).get("tags", [])]
    if not cells:
        raise LookupError(f"no code cell tagged {tag!r} in {notebook}")
    return "\n\n".join("".join(c["source"]) for c in cells)


def run_tagged(notebook: str, tag: str, **names) -> dict:
    """Execute the cells tagged `tag` (as the notebook shows them), given `names`; return their namespace."""
    namespace: dict = dict(names)
    exec(compile(tagged_source(notebook, tag), f"{notebook}[{tag}]", "exec"), namespace)
    return namespace


def diagnosis(verdict, *words: str) -> None:
    """Assert that a check said "incorrect" and that its message names every one of `words`."""
    assert verdict.status == "incorrect", verdict
    for word in words:
        assert word in verdict.message, (word, verdict.message)


def _chatty(*args):
    for _ in range(10_000):
        print("x" * 50)


HOSTILE_ANSWERS = {
    "not a function": 3,
    "a string": lambda *args: "abc",
    "a list": lambda *args: [1.0],
    "NaN": lambda *args: float("nan"),
    "complex": lambda *args: torch.tensor(1 + 2j),
    "wrong shape": lambda *args: torch.zeros(3),
    "raises": lambda *args: 1 / 0,
    "prints a lot": _chatty,
}
"""Answers no check may crash on: each must come back as an "incorrect" verdict with a message."""


def assert_hostile_answers_get_verdicts(checks, names) -> None:
    """Every check in `names` says "not attempted" to None and "incorrect", with a reason, to each hostile answer."""
    for name in names:
        checker = getattr(checks, name)
        assert checker(None).status == "not attempted", name
        for kind, answer in HOSTILE_ANSWERS.items():
            verdict = checker(answer)
            assert verdict.status == "incorrect" and verdict.message, (name, kind, verdict)
