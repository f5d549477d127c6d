"""The learner edition of every chapter (_ext/learner_edition.py): Markdown that Jupyter and Colab render, solutions
folded, no test-only cells, the set-up cell collapsed; and the site's buttons give it (_ext/course_site.py)."""
from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "_ext"))
import learner_edition as le  # noqa: E402 - lives with the site's extension, which runs it at build time

NOTEBOOKS = sorted(p.relative_to(ROOT).with_suffix("").as_posix() for p in (ROOT / "book").rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
SITE = le.book_site(ROOT, le.site_url(ROOT))
RAW_MYST = re.compile(r"```\{|:::\{|\{(cite|doc|ref|numref|eq|term|download)[:\w]*\}`|^:(label|class):|"
                      r"\{solution|\{exercise", re.M)


def source(cell: dict) -> str:
    return "".join(cell["source"])


def tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def edition_of(docname: str) -> tuple[dict, dict]:
    notebook = json.loads((ROOT / f"{docname}.ipynb").read_text())
    return notebook, le.learner_edition(notebook, docname, SITE)


@pytest.mark.parametrize("docname", NOTEBOOKS)
def test_learner_edition_is_a_valid_notebook_without_myst(docname):
    _, edition = edition_of(docname)
    nbformat.validate(nbformat.from_dict(edition))
    for cell in edition["cells"]:
        if cell["cell_type"] == "markdown":
            assert not RAW_MYST.search(source(cell)), f"{docname}: MyST left for Jupyter to show raw:\n{source(cell)}"
        assert cell.get("outputs", []) == []


@pytest.mark.parametrize("docname", NOTEBOOKS)
def test_no_test_only_cell_reaches_the_learner(docname):
    notebook, edition = edition_of(docname)
    kept = [source(c) for c in edition["cells"] if c["cell_type"] == "code"]
    for cell in notebook["cells"]:
        if "remove-cell" in tags(cell):
            assert source(cell) not in kept
    for text in kept:
        assert '"not attempted"' not in text, f"{docname}: a cell that fails once the learner solves the exercise"
        assert ".sweep()" not in text
        if "claim(" in text.replace("from dlcourse.claims import claim", ""):
            assert text.startswith(le.CLAIMS_TITLE + "\n"), f"{docname}: a claim outside the folded claims cells"
        tree = ast.parse(re.sub(r"^\s*[%!].*$", "", text, flags=re.M))
        asserts = [node for node in ast.walk(tree) if isinstance(node, ast.Assert)]
        assert not asserts, f"{docname}: a learner never meets the tests' asserts:\n{text}"


@pytest.mark.parametrize("docname", NOTEBOOKS)
def test_solutions_are_folded_in_place_and_are_the_tested_ones(docname):
    notebook, edition = edition_of(docname)
    tested = ["".join(c["source"]).strip() for c in notebook["cells"] if "solution" in tags(c)]
    folded = [c for c in edition["cells"] if "solution" in tags(c)]
    assert len(folded) == len(tested)
    for cell, code in zip(folded, tested):
        text = source(cell)
        assert text.startswith(le.SOLUTION_TITLE + "\n"), "Colab shows a form's title, not its code"
        assert cell["metadata"]["cellView"] == "form" and cell["metadata"]["jupyter"]["source_hidden"] is True
        assert text.rstrip().endswith(code), f"{docname}: the folded solution is not the one the tests run"
    # Nothing else shows a solution's code: only folded cells contain it.
    shown = "\n".join(source(c) for c in edition["cells"] if "solution" not in tags(c))
    for code in tested:
        first = next(line for line in code.splitlines() if line.startswith("def ") or "=" in line)
        assert first not in shown, f"{docname}: solution code in plain view: {first}"
    # Each exercise box comes before its stub, which comes before its folded solution.
    order = [("exercise" if c["cell_type"] == "markdown" and "> **Exercise " in source(c) else
              "stub" if "exercise-stub" in tags(c) else "solution" if "solution" in tags(c) else None)
             for c in edition["cells"]]
    order = [kind for kind in order if kind]
    assert order == ["exercise", "stub", "solution"] * len(tested), order


@pytest.mark.parametrize("docname", NOTEBOOKS)
def test_setup_cell_is_collapsed_and_runs_first(docname):
    notebook, edition = edition_of(docname)
    first = next(c for c in edition["cells"] if c["cell_type"] == "code")
    assert "setup" in tags(first) and first["metadata"]["jupyter"]["source_hidden"] is True
    assert first["metadata"]["cellView"] == "form" and source(first).startswith("#@title Set-up")
    original = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    assert source(original).split("\n", 1)[1] in source(first), "the learner runs the same set-up"


@pytest.mark.parametrize("docname", NOTEBOOKS)
def test_citations_and_cross_references_link_to_the_site(docname):
    notebook, edition = edition_of(docname)
    text = "\n".join(source(c) for c in edition["cells"] if c["cell_type"] == "markdown")
    cited = {k.strip() for c in notebook["cells"] if c["cell_type"] == "markdown"
             for group in re.findall(r"\{cite\}`([^`]*)`", source(c)) for k in group.split(",")}
    for key in cited:
        assert f"{SITE.url}book/appendix/bibliography.html#{le.cite_anchor(key)})" in text, key
    for target in re.findall(r"\]\(" + re.escape(SITE.url) + r"([^)#]+)\.html", text):
        assert target in SITE.titles, f"{docname} links to {target}.html, which the book does not have"


def test_the_markdown_conversions():
    site = le.Site(url="https://example.org/", citations={"a1999": "A & B, 1999", "c2000": "C et al., 2000"},
                   titles={"book/x/other": "Other page", "book/setup": "Set-up"})
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": (
            "As shown {cite}`a1999,c2000`, see {doc}`other` and {doc}`the set-up <../setup>`.\n\n"
            "```{note}\nA note with $x^2$.\n```\n\n```{exercise} Do it\n:label: ex-do\n\nWrite `f`.\n```")},
        {"cell_type": "code", "metadata": {"tags": ["exercise-stub"]}, "execution_count": None, "outputs": [],
         "source": "def f():\n    raise NotImplementedError\n"},
        {"cell_type": "markdown", "metadata": {}, "source": (
            "```{solution-start} ex-do\n:class: dropdown\n```\nBecause {cite}`a1999`.")},
        {"cell_type": "code", "metadata": {"tags": ["solution"]}, "execution_count": None, "outputs": [],
         "source": "def f_solution():\n    return 1\n"},
        {"cell_type": "markdown", "metadata": {}, "source": "```{solution-end}\n```\n\nText after."},
        {"cell_type": "code", "metadata": {"tags": ["remove-cell"]}, "execution_count": None, "outputs": [],
         "source": "assert True"},
    ]}
    cells = le.learner_edition(notebook, "book/x/page", site)["cells"]
    text = [source(c) for c in cells]
    assert "([A & B, 1999](https://example.org/book/appendix/bibliography.html#cite-a1999); " \
           "[C et al., 2000](https://example.org/book/appendix/bibliography.html#cite-c2000))" in text[0]
    assert "[Other page](https://example.org/book/x/other.html)" in text[0]
    assert "[the set-up](https://example.org/book/setup.html)" in text[0]
    assert "> **Note**\n>\n> A note with $x^2$." in text[0]
    assert "> **Exercise 1: Do it**\n>\n> Write `f`." in text[0]
    assert text[1].startswith("*The learner edition of [book/x/page](https://example.org/book/x/page.html)")
    assert text[3].startswith("**Solution to exercise 1**")
    assert text[4] == le.SOLUTION_TITLE + "\n# Because (A & B, 1999).\n\ndef f_solution():\n    return 1\n"
    assert text[5] == "Text after."
    assert len(cells) == 6 and "assert True" not in text


@pytest.mark.parametrize("markdown", ["```{margin}\nx\n```", "See {numref}`fig-1`.", "```{exercise}\nnot closed",
                                      "(my-target)=\n# Heading", "{cite}`nobody2000`"])
def test_unknown_myst_stops_the_conversion(markdown):
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                "cells": [{"cell_type": "markdown", "metadata": {}, "source": markdown}]}
    with pytest.raises(le.MystLeft):
        le.learner_edition(notebook, "book/x/page", le.Site(url="https://example.org/"))


def test_bibliography_labels_read_author_and_year():
    labels = le.bibliography_labels((ROOT / "book" / "references.bib").read_text())
    assert labels["mcculloch1943"] == "McCulloch & Pitts, 1943"
    assert labels["rosenblatt1958"] == "Rosenblatt, 1958"
    assert all(re.fullmatch(r".+, (\d{4}|n\.d\.)", label) for label in labels.values()), labels


def test_make_learner_writes_every_notebook(tmp_path):
    written = le.write_all(ROOT, tmp_path)
    assert sorted(p.relative_to(tmp_path).with_suffix("").as_posix() for p in written) == NOTEBOOKS


def test_the_site_buttons_give_the_learner_edition():
    sys.path.insert(0, str(ROOT / "_ext"))
    import course_site

    class App:
        class config:  # noqa: N801 - stands in for Sphinx's config object
            dlcourse_learner_branch = "learner"

    colab = "https://colab.research.google.com/github/dlcourse/dlcourse/blob/main/book/foundations/neuron.ipynb"
    context = {"page_source_suffix": ".ipynb", "pathto": lambda name, resource: f"../../{name}",
               "header_buttons": [
                   {"type": "group", "buttons": [{"label": "download-source-button", "url": "../../_sources/x"}]},
                   {"type": "group", "buttons": [{"type": "link", "text": "Colab", "url": colab}]}]}
    course_site._learner_buttons(App, "book/foundations/neuron", "page.html", context, None)
    download = context["header_buttons"][0]["buttons"][0]["url"]
    assert download == "../../learner/book/foundations/neuron.ipynb"
    assert context["header_buttons"][1]["buttons"][0]["url"] == (
        "https://colab.research.google.com/github/dlcourse/dlcourse/blob/learner/book/foundations/neuron.ipynb")



IPYTHON_NAMES = {"display", "get_ipython", "In", "Out", "exit", "quit"}


@pytest.mark.parametrize("docname", NOTEBOOKS)
def test_every_name_a_cell_reads_was_bound_before(docname):
    """No cell the learner runs needs a dropped one: each name it reads is bound by it or an earlier cell."""
    import builtins

    _, edition = edition_of(docname)
    bound_so_far = set(dir(builtins)) | IPYTHON_NAMES
    for i, cell in enumerate(c for c in edition["cells"] if c["cell_type"] == "code"):
        bound, read = le.names(source(cell))
        missing = read - bound - bound_so_far
        assert not missing, f"{docname}: code cell {i} of the learner edition reads {sorted(missing)}, never bound"
        bound_so_far |= bound


@pytest.mark.parametrize("docname", NOTEBOOKS)
def test_every_claim_of_the_page_reaches_the_learner_folded(docname):
    """The learner's run checks the page's claims (friendly outside the build) and lists them in its last box."""
    notebook, edition = edition_of(docname)
    claims = lambda cells: sorted(re.findall(r"\bclaim\(\s*[\"']([\w-]+)", "\n".join(map(source, cells))))
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    folded = [c for c in edition["cells"] if source(c).startswith(le.CLAIMS_TITLE)]
    assert claims(folded) == claims(code) and claims(code)
    assert all(c["metadata"]["jupyter"]["source_hidden"] for c in folded)
    measured = lambda cells: ["claims.measured()" in source(c) for c in cells].count(True)
    assert measured(edition["cells"]) == measured(notebook["cells"])


def cell(tags: list[str], text: str) -> dict:
    return {"cell_type": "code", "metadata": {"tags": tags}, "execution_count": None, "outputs": [], "source": text}


def learner_code(notebook_cells: list[dict]) -> list[dict]:
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": notebook_cells}
    return [c for c in le.learner_edition(notebook, "book/x", le.Site(url="https://x.org/"))["cells"]
            if c["cell_type"] == "code"]


def test_a_claims_cell_keeps_its_claims_and_what_they_read_without_asserts():
    code = [source(c) for c in learner_code([
        cell([], "x = 1"),
        cell(["remove-cell"], "hidden = x + 1\nassert hidden == 2"),
        cell(["remove-cell"], "assert x == 1\nunused = 3\ny = hidden * 2\nfor k in range(2):\n"
                              "    assert k < 2\n    claim(f'c{k}', y, at_least=k)\nclaim('d', y, at_most=9)"),
        cell([], "print(x)")])]
    assert code[1] == le.KEPT_TITLE + "\nhidden = x + 1\n"
    assert code[2] == (le.CLAIMS_TITLE + "\ny = hidden * 2\nfor k in range(2):\n    claim(f'c{k}', y, at_least=k)\n"
                       "claim('d', y, at_most=9)\n")
    assert len(code) == 4


def test_a_binding_that_only_a_hidden_cell_made_stays_folded():
    code = learner_code([
        cell([], "models = {'a': 1}"),
        cell(["remove-cell"], "a = models['a']\nassert a == 1\nunused = 2"),
        cell([], "print(a)")])
    assert source(code[1]) == le.KEPT_TITLE + "\na = models['a']\n"
    assert code[1]["metadata"]["jupyter"]["source_hidden"] is True and len(code) == 3


QUIZ_CHAPTERS = [doc for doc in NOTEBOOKS if (ROOT / f"{doc}{le.QUIZ_SUFFIX}").exists()]


@pytest.mark.parametrize("docname", QUIZ_CHAPTERS)
def test_the_questions_travel_inside_the_learner_edition_folded(docname):
    """On Colab the notebook opens alone: its questions' cell carries the chapter's question file, folded."""
    _, edition = edition_of(docname)
    [quiz] = [c for c in edition["cells"] if "dlcourse.quiz.show(" in source(c)]
    assert source(quiz).startswith(le.QUIZ_TITLE + "\n")
    assert quiz["metadata"]["cellView"] == "form" and quiz["metadata"]["jupyter"]["source_hidden"] is True
    call = ast.parse(source(quiz)).body[0].value
    questions = json.loads((ROOT / f"{docname}{le.QUIZ_SUFFIX}").read_text())
    assert ast.literal_eval(call.args[0]) == questions and len(call.args) == 1 and not call.keywords


def test_a_questions_cell_without_its_file_stops_the_conversion():
    with pytest.raises(FileNotFoundError, match=r"needs book/missing\.quiz\.json"):
        learner_code([cell(["remove-input"], 'dlcourse.quiz.show("missing")')])
