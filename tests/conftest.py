"""Shared fixtures: the repository root, and the notebooks' tagged cells for the exercise tests."""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pytest

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
