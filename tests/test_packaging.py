"""The project's own files agree: pyproject.toml, environment.yml and constraints.txt name the same packages; every
module has a docstring, stays small and has its mirror test file."""
from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import dlcourse

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
CONDA_NAMES = {"torch": "pytorch"}  # PyPI name -> conda-forge name where they differ
CONDA_ONLY = {"python", "pip", "nodejs"}  # conda also provides the interpreter and Node.js (npm for the site's assets)
# environment.yml's pip section installs with --no-deps, so conda provides what the pip-only packages need
PIP_ONLY_DEPENDENCIES = {"mnist1d": {"scipy", "requests"}}


def pyproject_requirements() -> list[Requirement]:
    """Every requirement of the package and its extras, without the extras' references to dlcourse's own."""
    project = PYPROJECT["project"]
    lines = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    requirements = [Requirement(line) for line in lines]
    return [r for r in requirements if canonicalize_name(r.name) != "dlcourse"]


CHAPTER_EXTRAS = {"data", "names", "transfer", "quantum", "rl"}


def test_the_book_extra_installs_every_chapters_extra():
    """`make book` / `make test` install .[book,test] and execute every chapter, so book pulls in every extra."""
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert CHAPTER_EXTRAS <= set(extras), f"pyproject.toml lacks the chapter extras {CHAPTER_EXTRAS - set(extras)}"
    own = [Requirement(r) for r in extras["book"] if canonicalize_name(Requirement(r).name) == "dlcourse"]
    assert own and set().union(*(r.extras for r in own)) == CHAPTER_EXTRAS, (
        f"the book extra must require dlcourse[{','.join(sorted(CHAPTER_EXTRAS))}]")


def test_the_core_dependencies_are_light_and_met_by_colab():
    """What every chapter installs is what Colab already has, and jupyterquiz (pure Python, no dependencies): no data,
    no models, ipywidgets 7 allowed."""
    names = {canonicalize_name(Requirement(r).name) for r in PYPROJECT["project"]["dependencies"]}
    assert names == {"torch", "numpy", "matplotlib", "ipywidgets", "tqdm", "scikit-learn", "jupyterquiz"}, names
    assert not metadata.requires("jupyterquiz"), "jupyterquiz should stay without dependencies (Colab installs it)"
    ipywidgets = next(Requirement(r) for r in PYPROJECT["project"]["dependencies"] if r.startswith("ipywidgets"))
    assert ipywidgets.specifier.contains("7.7.1") and ipywidgets.specifier.contains("8.1.9"), ipywidgets


def test_environment_yml_has_the_same_dependencies_and_ranges():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {}
    for item in env["dependencies"]:
        if isinstance(item, str):
            name, spec = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", item).groups()
            conda[name] = spec.replace("=", "==", 1) if re.match(r"=\d", spec) else spec
        else:  # the pip section: the course package itself, then what conda-forge does not package
            for line in item["pip"]:
                if not line.startswith("-"):
                    requirement = Requirement(line)
                    conda[requirement.name] = str(requirement.specifier)
    expected = {CONDA_NAMES.get(r.name, r.name): str(r.specifier) for r in pyproject_requirements()}
    helpers = {dep for package in PIP_ONLY_DEPENDENCIES if package in conda for dep in PIP_ONLY_DEPENDENCIES[package]}
    found = {name: spec for name, spec in conda.items() if name not in CONDA_ONLY | helpers}
    normalise = lambda spec: ",".join(sorted(spec.replace(" ", "").split(",")))
    assert set(found) == set(expected), f"only in environment.yml: {set(found) - set(expected)}; " \
                                        f"only in pyproject.toml: {set(expected) - set(found)}"
    for name in expected:
        assert normalise(found[name]) == normalise(expected[name]), f"{name}: {found[name]} vs {expected[name]}"


def test_constraints_pin_every_dependency_within_its_range():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = Version(version)
    for requirement in pyproject_requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"constraints.txt does not pin {requirement.name}"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{name} {pins[name]} ∉ {requirement}"
    assert str(pins["torch"]) == "2.13.0", "torch resolves to the CPU wheel on disk here; see constraints.txt"


def test_version_agrees():
    assert dlcourse.__version__ == PYPROJECT["project"]["version"]


def test_every_module_has_a_docstring_a_mirror_test_and_stays_small():
    for path in sorted((ROOT / "dlcourse").rglob("*.py")):
        relative = path.relative_to(ROOT / "dlcourse")
        text = path.read_text()
        assert text.lstrip().startswith('"""'), f"{relative} needs a module docstring saying what it holds"
        assert len(text.splitlines()) <= 320, f"{relative} has grown past ~300 lines: split it by concept"
        if path.name == "__init__.py" and path.parent.name == "dlcourse":
            continue
        stem = "_".join(part for part in relative.with_suffix("").parts if part != "__init__")
        assert (ROOT / "tests" / f"test_{stem}.py").exists(), f"{relative} has no tests/test_{stem}.py"
