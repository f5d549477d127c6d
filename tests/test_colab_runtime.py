"""The course on Colab's runtime: installing it as a chapter's first cell does changes no pre-installed package.

A virtual environment is built from the registry with Colab's versions (colab-runtime/pip-freeze-<date>.txt, the
newest) of every package the course and its extras touch, plus Colab's Jupyter kernel. Then, for each chapter's
extra, the wheel of this checkout is installed exactly as the first cell installs it (`pip install
"dlcourse[extra] @ SOURCE"`, no -U) without a pip cache; the test checks that no pre-installed package changed
version, measures the install's seconds and what pip downloaded, and removes what it added. A light chapter's
learner edition is executed there, its first cell doing the install.

Differences from Colab, each forced by this machine: Python 3.11 (the PyTorch on disk is a CPU wheel for 3.11;
PyPI's torch is a multi-GB CUDA build), and torch 2.13.0 instead of Colab's 2.11.0 for the same reason. On Python
3.12 and 3.13 (where pyenv has them) the check is resolution only: torch is present as its metadata, so pip sees
Colab's torch 2.11.0 installed, and nothing executes. The course comes from a local wheel (file://), where Colab
clones the repository (git+https://); add a few seconds for that.

Set COLAB_INSTALL_REPORT=path.md to write the measurements as a Markdown table.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.colab]

COLAB_LIST = sorted((ROOT / "colab-runtime").glob("pip-freeze-*.txt"))[-1]
# Colab's kernel and notebook machinery, which a chapter's execution uses
RUNTIME = ["ipykernel", "ipython", "jupyter_client", "nbclient", "nbformat", "ipywidgets", "widgetsnbextension",
           "jupyterlab_widgets", "pip", "setuptools"]
# A light chapter. Not cnn: under nbclient with Colab's kernel stack (ipykernel 6.17.1, jupyter_client 7.4.9) its
# nine-slider widget cell gets no reply until nbclient's timeout, with ipywidgets 7.7.1 too (2 of 2 runs, 2026-12-01),
# and then the rest of the chapter runs: a headless runner's stall, which a browser front end does not have.
CHAPTERS_RUN = ["book/foundations/neuron"]
SIZE_GOAL_MB, TIME_GOAL_S = 30, 10
HEAVY_EXTRAS = {"transfer", "quantum"}  # the model and the simulator: allowed past the size goal
MEASURED: dict[str, dict] = {}


def colab_pins() -> dict[str, str]:
    pins = {}
    for line in COLAB_LIST.read_text().splitlines():
        if line and not line.startswith("#") and "==" in line:
            name, version = line.split("==", 1)
            pins[canonicalize_name(name)] = version.split("+")[0]
    return pins


def colab_date() -> str:
    return re.search(r"pip-freeze-(.+)\.txt", COLAB_LIST.name).group(1)


def closure(roots: list[str]) -> set[str]:
    """Every distribution the requirements `roots` reach in this (the course's) environment, extras followed."""
    seen, stack = set(), [Requirement(r) for r in roots]
    while stack:
        requirement = stack.pop()
        name = canonicalize_name(requirement.name)
        key = (name, tuple(sorted(requirement.extras)))
        if key in seen:
            continue
        seen.add(key)
        try:
            requires = metadata.requires(requirement.name) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            dependency = Requirement(line)
            for extra in requirement.extras or {""}:
                environment = default_environment() | {"extra": extra}
                if dependency.marker is None or dependency.marker.evaluate(environment):
                    stack.append(dependency)
                    break
    return {name for name, _ in seen}


def chapter_extras() -> dict[str, str]:
    """docname -> the extras its first cell installs ("" for none)."""
    found = {}
    for path in sorted((ROOT / "book").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:  # JupyterLab's copies
            continue
        cells = json.loads(path.read_text())["cells"]
        first = "".join(next(c for c in cells if c["cell_type"] == "code")["source"])
        match = re.search(r'"dlcourse(?:\[([\w,]+)\])? @', first)
        assert match, f"{path}: the first cell does not install dlcourse[...] @ SOURCE"
        found[path.relative_to(ROOT).with_suffix("").as_posix()] = match.group(1) or ""
    return found


def run(*command, env=None, timeout=900, check=True, cwd=None) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=timeout,
                            env=clean_env() if env is None else env, cwd=cwd)
    if check:
        assert result.returncode == 0, f"{command} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV"}}
    return env | {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"} | extra


def installed(python: Path) -> dict[str, str]:
    listed = json.loads(run(python, "-m", "pip", "list", "--format=json").stdout)
    return {canonicalize_name(p["name"]): p["version"] for p in listed}


def changed(before: dict[str, str], after: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    return {name: (version, after.get(name)) for name, version in before.items() if after.get(name) != version}


def downloaded_mb(pip_output: str) -> float:
    """What pip downloaded, from its "Downloading name.whl (1.2 MB)" lines."""
    units = {"bytes": 1e-6, "kB": 1e-3, "MB": 1.0, "GB": 1e3}
    sizes = re.findall(r"^\s*Downloading \S+ \(([\d.]+) (bytes|kB|MB|GB)\)", pip_output, re.M)
    return sum(float(value) * units[unit] for value, unit in sizes)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    source = out / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "dlcourse", source / "dlcourse", ignore=shutil.ignore_patterns("__pycache__"))
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", out, source)
    (built,) = out.glob("dlcourse-*.whl")
    return built


def course_requirements() -> list[str]:
    """What pyproject.toml asks for, the chapters' extras included (not book or test)."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = set(chapter_extras().values()) - {""}
    lines = project["dependencies"] + [r for e in sorted(extras) for r in project["optional-dependencies"][e]]
    return [r for r in lines if canonicalize_name(Requirement(r).name) != "dlcourse"]


def colab_requirements(pins: dict[str, str], skip: set[str] = frozenset()) -> list[str]:
    """Colab's versions of everything the course and its chapters' extras reach, and of Colab's kernel."""
    reached = closure(course_requirements()) | {canonicalize_name(n) for n in RUNTIME}
    return sorted(f"{name}=={pins[name]}" for name in reached if name in pins and name not in skip | {"dlcourse"})


def torch_needs_other_versions(pins: dict[str, str]) -> dict[str, str]:
    """Colab's pins that the torch 2.13.0 here does not accept (name -> its requirement): those follow torch."""
    if not metadata.version("torch").startswith("2.13"):
        pytest.fail("the course's environment should have torch 2.13.0 (the CPU wheel on disk)")
    found = {}
    for line in metadata.requires("torch") or []:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        if requirement.marker is None and name in pins and not requirement.specifier.contains(pins[name]):
            found[name] = str(requirement)
    return found


def build_colab_env(folder: Path, python: str, with_torch: bool) -> Path:
    """A virtual environment with Colab's versions of what the course touches; its Python."""
    pins = colab_pins()
    if with_torch:  # torch 2.13 (for Colab's 2.11) may need newer versions of a few (setuptools>=77.0.3)
        for name in torch_needs_other_versions(pins):
            pins.pop(name)
    constraints = folder / "colab-constraints.txt"
    constraints.write_text("".join(f"{n}=={v}\n" for n, v in pins.items() if n != "torch"))
    run(python, "-m", "venv", folder / "venv")
    venv_python = folder / "venv" / "bin" / "python"
    env = clean_env()
    run(venv_python, "-m", "pip", "install", "-q", f"pip=={colab_pins()['pip']}", env=env)
    if with_torch:
        torch = ["torch==2.13.0"]  # the CPU wheel on disk; Colab has 2.11.0 (see the module docstring)
    else:
        torch = []
        purelib = run(venv_python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
        info = Path(purelib) / f"torch-{pins['torch']}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: torch\nVersion: {pins['torch']}\n")
        (info / "INSTALLER").write_text("metadata only: no CPU wheel of torch for this Python here\n")
        (info / "RECORD").write_text("")
    requirements = colab_requirements(pins, skip={"torch"})
    run(venv_python, "-m", "pip", "install", "-q", "-c", constraints, *torch, *requirements, env=env)
    return venv_python


@pytest.fixture(scope="session")
def colab(tmp_path_factory) -> Path:
    kept = os.environ.get("COLAB_ENV_DIR")  # to reuse one between runs while working on this test
    if kept and (Path(kept) / "venv" / "bin" / "python").exists():
        return Path(kept) / "venv" / "bin" / "python"
    folder = Path(kept) if kept else tmp_path_factory.mktemp("colab")
    folder.mkdir(parents=True, exist_ok=True)
    return build_colab_env(folder, sys.executable, with_torch=True)


def test_the_colab_environment_has_colabs_versions(colab):
    pins, have = colab_pins(), installed(colab)
    for name in ("ipywidgets", "numpy", "matplotlib", "scikit-learn", "tqdm", "sentence-transformers", "ipykernel"):
        assert have[name] == pins[name], (name, have[name], pins[name])
    assert have["ipywidgets"].startswith("7.")


@pytest.mark.parametrize("extra", sorted(set(chapter_extras().values())))
def test_a_chapters_install_changes_nothing_colab_has(colab, wheel, tmp_path, extra):
    package = f"dlcourse[{extra}]" if extra else "dlcourse"
    before = installed(colab)
    assert "dlcourse" not in before
    # No pip cache: what Colab downloads, every time (each notebook is its own runtime). Not -q, as the first cell
    # is, only so that pip names each file it downloads and its size.
    start = time.perf_counter()
    result = run(colab, "-m", "pip", "install", "--no-cache-dir", "--progress-bar", "off",
                 f"{package} @ {wheel.as_uri()}")
    seconds = time.perf_counter() - start
    after = installed(colab)
    added = sorted(set(after) - set(before))
    megabytes = downloaded_mb(result.stdout)
    chapters = [doc for doc, e in chapter_extras().items() if e == extra]
    MEASURED[extra] = {"seconds": seconds, "mb": megabytes, "added": added, "chapters": chapters}
    _report()
    if added:
        run(colab, "-m", "pip", "uninstall", "-y", "-q", *added)
    assert not changed(before, after), f"installing {package} changed Colab's packages: {changed(before, after)}"
    if extra not in HEAVY_EXTRAS:
        assert megabytes < SIZE_GOAL_MB, f"{package} downloads {megabytes:.0f} MB ({added})"


@pytest.mark.parametrize("chapter", CHAPTERS_RUN)
def test_a_chapter_installs_itself_and_runs_on_colabs_runtime(colab, wheel, tmp_path, chapter):
    """The learner edition of a chapter, executed by Colab's kernel: its first cell installs the course."""
    sys.path.insert(0, str(ROOT / "_ext"))
    import learner_edition

    edition = learner_edition.learner_edition(json.loads((ROOT / f"{chapter}.ipynb").read_text()),
                                              chapter, learner_edition.book_site(ROOT, "https://x.org/"))
    notebook, executed = tmp_path / "chapter.ipynb", tmp_path / "executed.ipynb"
    notebook.write_text(json.dumps(edition))
    before = installed(colab)
    assert "dlcourse" not in before
    script = ("import sys, nbformat, nbclient\n"
              "nb = nbformat.read(sys.argv[1], as_version=4)\n"
              "nbclient.NotebookClient(nb, timeout=600, kernel_name='colab').execute()\n"
              "nbformat.write(nb, sys.argv[2])\n")
    # The kernel is this environment's own Python, whatever kernels the machine has registered elsewhere.
    jupyter = tmp_path / "jupyter"
    run(colab, "-m", "ipykernel", "install", "--prefix", jupyter, "--name", "colab")
    env = clean_env(DLCOURSE_SOURCE=wheel.as_uri(), DLCOURSE_DEVICE="cpu", PIP_NO_CACHE_DIR="1",
                    JUPYTER_PATH=str(jupyter / "share" / "jupyter"), JUPYTER_DATA_DIR=str(tmp_path / "data"))
    # In a folder of its own: a kernel started in the checkout would import the checkout's dlcourse.
    result = run(colab, "-c", script, notebook, executed, env=env, check=False, cwd=tmp_path)
    after = installed(colab)
    added = sorted(set(after) - set(before))
    if added:
        run(colab, "-m", "pip", "uninstall", "-y", "-q", *added)
    assert result.returncode == 0, f"the chapter failed on Colab's runtime:\n{result.stderr[-4000:]}"
    assert "dlcourse" in added and not changed(before, after), changed(before, after)
    cells = json.loads(executed.read_text())["cells"]
    text = lambda c: "".join(o.get("text", "") + json.dumps(o.get("data", {})) for o in c.get("outputs", []))
    stubs = [text(c) for c in cells if "exercise-stub" in c["metadata"].get("tags", [])]
    solutions = [text(c) for c in cells if "solution" in c["metadata"].get("tags", [])]
    assert stubs and all("not attempted" in t for t in stubs), stubs
    assert solutions and all("correct" in t and "incorrect" not in t for t in solutions), solutions
    widgets = [c for c in cells if any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
                                       for o in c.get("outputs", []))]
    assert widgets, "no widget was displayed"


def find_python(version: str) -> str | None:
    candidates = [str(p) for p in sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))]
    candidates += [c for c in [shutil.which(f"python{version}")] if c]
    for candidate in candidates:  # a pyenv shim exists even where that version is not selected: try each
        if subprocess.run([candidate, "--version"], capture_output=True).returncode == 0:
            return candidate
    return None


PYTHONS = {version: find_python(version) for version in ("3.12", "3.13")}


@pytest.mark.parametrize("version", sorted(PYTHONS))
def test_the_install_resolves_without_changes_on_newer_pythons(tmp_path, wheel, version):
    """Resolution only (no torch wheel for these Pythons here): each chapter's install adds and changes nothing
    Colab has."""
    if PYTHONS[version] is None:
        pytest.skip(f"no Python {version} on this machine (pyenv install {version} to run this check)")
    python = build_colab_env(tmp_path, PYTHONS[version], with_torch=False)
    before = installed(python)
    for extra in sorted(set(chapter_extras().values())):
        package = f"dlcourse[{extra}]" if extra else "dlcourse"
        report = tmp_path / f"report-{extra or 'core'}.json"
        run(python, "-m", "pip", "install", "--dry-run", "-q", "--report", report, f"{package} @ {wheel.as_uri()}",
            env=clean_env())
        planned = {canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"]
                   for item in json.loads(report.read_text())["install"]}
        replaced = {name: (before[name], version) for name, version in planned.items() if name in before}
        assert not replaced, f"Python {version}: installing {package} would change {replaced}"


def _report() -> None:
    path = os.environ.get("COLAB_INSTALL_REPORT")
    if not path:
        return
    rows = []
    for extra, m in sorted(MEASURED.items()):
        for chapter in m["chapters"]:
            rows.append(f"| {chapter} | {extra or '(none)'} | {m['seconds']:.1f} | {m['mb']:.2f} | "
                        f"{', '.join(m['added']) or '-'} |")
    Path(path).write_text(
        f"Installing the course as a chapter's first cell does, on a virtual environment with Colab's package "
        f"versions ({colab_date()}; Python {sys.version.split()[0]}, torch 2.13.0 CPU for Colab's 2.11.0), from "
        f"a local wheel, without a pip cache; where torch 2.13 needs it, newer than Colab: "
        f"{', '.join(torch_needs_other_versions(colab_pins()).values()) or 'nothing'}. Nothing pre-installed "
        "changed version. Measured "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by tests/test_colab_runtime.py.\n\n"
        "| chapter | extra | seconds | downloaded (MB) | added packages |\n|---|---|---|---|---|\n"
        + "\n".join(rows) + "\n")
