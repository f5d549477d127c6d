"""The Makefile's entry points do what the README says, as any user (root included) runs them."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _dry_run(*args: str) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    done = subprocess.run(["make", "-n", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_lab_lets_root_start_jupyterlab():
    """JupyterLab refuses to run as root unless given --allow-root: make lab gives it exactly then."""
    command = [line for line in _dry_run("lab").splitlines() if "jupyter lab" in line]
    assert command, "make lab does not start jupyter lab"
    assert ("--allow-root" in command[-1]) == (os.geteuid() == 0), command[-1]


def test_make_lab_passes_extra_options():
    command = [line for line in _dry_run("lab", "LAB_ARGS=--no-browser --port=8899").splitlines()
               if "jupyter lab" in line]
    assert command[-1].endswith("--no-browser --port=8899"), command


def test_make_book_is_incremental():
    """make book keeps the last build: only what changed since is executed again (make clean starts afresh)."""
    commands = _dry_run("book", "-W", "pyproject.toml")
    assert "jupyter-book build" in commands and "rm -rf _build" not in commands, commands
    assert "rm -rf _build" in _dry_run("clean")
