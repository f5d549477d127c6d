"""_ext/notebook_deps.py: the dlcourse files a notebook runs, which an incremental book build watches."""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))

from notebook_deps import notebook_code, package_files  # noqa: E402


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "dlcourse" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def _names(files: list[Path], root: Path) -> list[str]:
    return [f.relative_to(root / "dlcourse").as_posix() for f in files]


def test_imports_are_followed_through_the_package_and_nothing_else_counts(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "from dlcourse.device import device\n",
        "device.py": "import torch\n",
        "conv.py": "from . import plotting\nfrom .checks import conv as c\n",
        "plotting.py": "def f():\n    from dlcourse import neuron  # inside a function: still run\n",
        "neuron.py": "",
        "gan.py": "import dlcourse.conv\n",
        "checks/__init__.py": "from ..device import device\n",
        "checks/conv.py": "",
    })
    files = package_files("%matplotlib inline\n!pip install x\nfrom dlcourse import conv\n", root)
    assert _names(files, root) == ["__init__.py", "checks/__init__.py", "checks/conv.py", "conv.py", "device.py",
                                   "neuron.py", "plotting.py"]
    assert "gan.py" not in _names(package_files("import dlcourse\n", root), root)


def test_a_name_used_as_an_attribute_counts_and_unparsable_code_falls_back_to_the_package(tmp_path):
    root = _package(tmp_path, {"__init__.py": "", "claims.py": "", "gan.py": ""})
    assert _names(package_files("import dlcourse\ndlcourse.claims.claim('x', 1)\n", root), root) == [
        "__init__.py", "claims.py"]
    assert _names(package_files("dlcourse.gan.train(  # unfinished\n", root), root) == ["__init__.py", "gan.py"]
    assert package_files("import numpy\n", root) == []


def test_notebook_code_joins_the_code_cells_only():
    nb = {"cells": [{"cell_type": "markdown", "source": ["import dlcourse.gan"]},
                    {"cell_type": "code", "source": ["from dlcourse ", "import conv"]},
                    {"cell_type": "code", "source": "x = 1"}]}
    assert notebook_code(json.dumps(nb)) == "from dlcourse import conv\nx = 1"


def test_each_chapter_depends_on_its_own_code_and_not_on_another_parts():
    cnn = _names(package_files(notebook_code((ROOT / "book/architectures/cnn.ipynb").read_text()), ROOT), ROOT)
    neuron = _names(package_files(notebook_code((ROOT / "book/foundations/neuron.ipynb").read_text()), ROOT), ROOT)
    assert {"__init__.py", "conv.py", "checks/conv.py", "claims.py", "widgets.py"} <= set(cnn)
    assert "conv.py" not in neuron and "gan.py" not in cnn and "quantum.py" not in cnn
