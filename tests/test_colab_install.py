"""The first cell of every notebook installs dlcourse where it is missing, as on Colab.

Offline stand-in for Colab: a fresh virtual environment that sees the scientific stack (Colab has torch, numpy,
matplotlib, ...) but not dlcourse; the cell's install source points at a wheel built from this checkout.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def run(*command, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def test_setup_cell_installs_dlcourse_from_a_built_package(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "dlcourse", source / "dlcourse", ignore=shutil.ignore_patterns("__pycache__"))
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", tmp_path / "dist",
        source)
    (wheel,) = (tmp_path / "dist").glob("dlcourse-*.whl")

    colab = tmp_path / "colab"
    # Without its own pip and setuptools, so that the stack's (new enough for torch's metadata) are the ones seen.
    run(sys.executable, "-m", "venv", "--without-pip", colab)
    python = colab / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    # A plain path line: the stack becomes importable, but the .pth hooks there (our editable dlcourse) do not run.
    (site / "colab_stack.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "DLCOURSE_SOURCE": wheel.as_uri(), "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
           "DLCOURSE_DEVICE": "cpu", "MPLBACKEND": "Agg"}
    env.pop("PYTHONPATH", None)  # a checkout on the path would hide the missing package
    before = subprocess.run([python, "-c", "import torch, dlcourse"], capture_output=True, text=True, cwd=work, env=env)
    assert "No module named 'dlcourse'" in before.stderr, "the stand-in must start without dlcourse"

    notebook = json.loads((ROOT / "book" / "foundations" / "neuron.ipynb").read_text())
    setup_cell = "".join(next(c for c in notebook["cells"] if c["cell_type"] == "code")["source"])
    script = setup_cell + "\nprint('dlcourse imported from', dlcourse.__file__)\n"
    result = run(python, "-m", "IPython", "--quick", "--no-banner", "--colors=nocolor", "-c", script, cwd=work,
                 env=env)
    assert f"dlcourse imported from {site}" in result.stdout, result.stdout
    assert "device: cpu" in result.stdout
    # The second time the package is there and nothing is installed.
    again = run(python, "-m", "IPython", "--quick", "--no-banner", "-c", script, cwd=work, env=env)
    assert "Successfully installed" not in again.stdout + again.stderr
