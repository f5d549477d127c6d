"""The learner edition of a chapter: the notebook a learner opens in JupyterLab or on Colab (or downloads).

The source notebook (book/) is written for the site build: MyST directives and roles, cells tagged for Sphinx,
hidden cells that test the page. Plain Jupyter and Colab render none of that, so the learner edition is derived
from the source, never edited by hand:

- MyST becomes Markdown both render: an `{exercise}` is a quoted box headed "Exercise N: title", a `{note}` a
  quoted note, `{cite}` a link to the entry in the site's bibliography, `{doc}` a link to the site's page;
  `$...$` and `$$...$$` math stays as it is (both render it).
- A solution (`{solution-start}` ... `{solution-end}`: its explanation and its code cell) becomes one folded code
  cell in place (its explanation as comments above the code): collapsed in JupyterLab
  (`metadata.jupyter.source_hidden`), a form cell on Colab (`cellView: form` and a `#@title` line), announced
  by a one-line Markdown cell. It stays where it was, so the notebook runs exactly as the tests ran it.
- Cells tagged `remove-cell` (the tests' plumbing: asserts, stub-status checks, widget sweeps) are dropped; where a
  later cell reads a name only such a cell binds, that binding alone stays, folded. Their claims
  (`dlcourse.claims.claim`) stay, folded, with what they measure and without the asserts: outside the build a claim
  never raises, it says so when the learner's run differs from the page, and the chapter's closing
  "What this page measured" box lists the learner's own numbers. The set-up cell and `hide-input` /
  `remove-input` cells are collapsed (their output shows).
- The self-check questions' cell, `dlcourse.quiz.show("<slug>")`, which reads `<slug>.quiz.json` next to the
  notebook, carries the questions inline instead (folded, like a solution), so that the notebook works alone, as on
  Colab.
- Anything else that looks like MyST raises `MystLeft`, so that new syntax is converted here, not shown raw.

`python _ext/learner_edition.py OUT` (what `make learner` runs) writes every chapter's learner edition under
OUT/<path in the repository>.ipynb; the site build writes them into the site (`_ext/course_site.py`).
"""
from __future__ import annotations

import ast
import copy
import json
import pprint
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from posixpath import normpath

DIRECTIVE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<argument>.*)$")
ROLE = re.compile(r"\{(?P<name>[\w:-]+)\}`(?P<content>[^`]*)`")
SETUP_TITLE = "#@title Set-up"
SOLUTION_TITLE = "#@title Solution (double-click to show)"
KEPT_TITLE = "#@title Names the next cells use (from the page's hidden checks)"
CLAIMS_TITLE = "#@title The page's claims, checked on your run (a note appears only where your run differs)"
QUIZ_TITLE = "#@title Check your understanding (run the cell; the questions are folded here)"
QUIZ_CALL = re.compile(r'dlcourse\.quiz\.show\("([\w.-]+)"\)')
QUIZ_SUFFIX = ".quiz.json"
HIDDEN_TAGS = {"setup", "hide-input", "remove-input"}
# What may not survive into a learner edition: a directive fence, a role, a MyST target or comment line.
LEFTOVER = re.compile(r"^(`{3,}|:{3,})\{|\{[\w:-]+\}`|^\([\w-]+\)=\s*$|^%\s", re.M)


class MystLeft(ValueError):
    """The source uses MyST syntax the learner edition cannot express yet."""


@dataclass
class Site:
    """What the links need: the published site's address and, per key, how a citation reads ("Author, year")."""

    url: str
    citations: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # docname -> title, for {doc} links
    quizzes: dict[str, list] = field(default_factory=dict)  # docname -> its questions (book/<part>/<slug>.quiz.json)

    def page(self, docname: str, anchor: str = "") -> str:
        return f"{self.url.rstrip('/')}/{docname}.html" + (f"#{anchor}" if anchor else "")


def cite_anchor(key: str) -> str:
    """The id of a bibliography entry on the site (`bibtex_cite_id: "cite-{key}"`, made an id as docutils does)."""
    return "cite-" + re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")


def bibliography_labels(bib_text: str) -> dict[str, str]:
    """key -> "McCulloch & Pitts, 1943" for every entry of a BibTeX file (author-year, as the site cites)."""
    labels = {}
    for match in re.finditer(r"@\w+\s*\{\s*([^,\s]+)\s*,(.*?)\n\}", bib_text, re.S):
        key, body = match.groups()
        fields = dict((k.lower(), v) for k, v in re.findall(r"(\w+)\s*=\s*\{((?:[^{}]|\{[^{}]*\})*)\}", body))
        people = [p.strip() for p in re.split(r"\s+and\s+", fields.get("author", fields.get("editor", key)))]
        surnames = [p.split(",")[0].strip() if "," in p else p.split()[-1] for p in people if p]
        surnames = [s.replace("{", "").replace("}", "") for s in surnames]
        who = (" & ".join(surnames) if len(surnames) <= 2 else f"{surnames[0]} et al.") if surnames else key
        labels[key] = f"{who}, {fields.get('year', 'n.d.')}"
    return labels


def _roles(text: str, docname: str, site: Site, *, links: bool = True) -> str:
    def replace(match: re.Match) -> str:
        name, content = match.group("name"), match.group("content")
        if name in {"cite", "cite:p", "cite:t"}:
            keys = [k.strip() for k in content.split(",") if k.strip()]
            unknown = [k for k in keys if k not in site.citations]
            if unknown:
                raise MystLeft(f"{docname}: no bibliography entry for {unknown}")
            bibliography = "book/appendix/bibliography"
            parts = [f"[{site.citations[k]}]({site.page(bibliography, cite_anchor(k))})" if links
                     else site.citations[k] for k in keys]
            return "(" + "; ".join(parts) + ")"
        if name == "doc":
            explicit = re.fullmatch(r"(.*?)\s*<([^>]+)>", content)
            label, target = explicit.groups() if explicit else (None, content)
            target = target if target.startswith("/") else normpath(f"{Path(docname).parent.as_posix()}/{target}")
            target = target.lstrip("/")
            label = label or site.titles.get(target, target.rsplit("/", 1)[-1].replace("-", " ").capitalize())
            return f"[{label}]({site.page(target)})" if links else f"{label} ({site.page(target)})"
        raise MystLeft(f"{docname}: the role {{{name}}} has no learner-edition form yet: {match.group(0)}")

    return ROLE.sub(replace, text)


def _quote(title: str, body: list[str]) -> list[str]:
    while body and not body[-1].strip():
        body.pop()
    while body and not body[0].strip():
        body.pop(0)
    return [f"> **{title}**", ">"] + [f"> {line}".rstrip() for line in body]


def _directives(text: str, docname: str, counter: list[int]) -> str:
    """Turn the exercise and note directives of one Markdown cell into quoted boxes."""
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        match = DIRECTIVE.match(lines[i])
        if not match:
            out.append(lines[i])
            i += 1
            continue
        fence, name, argument = match.group("fence"), match.group("name"), match.group("argument").strip()
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == fence), None)
        if end is None:
            raise MystLeft(f"{docname}: the {{{name}}} directive is not closed")
        body = lines[i + 1:end]
        options = {}
        while body and re.match(r"^:[\w-]+:", body[0]):
            key, _, value = body.pop(0)[1:].partition(":")
            options[key] = value.strip()
        if name == "exercise":
            counter[0] += 1
            title = f"Exercise {counter[0]}" + (f": {argument}" if argument else "")
            out += _quote(title, body)
        elif name in {"note", "tip", "important", "warning", "hint"}:
            out += _quote(name.capitalize() + (f": {argument}" if argument else ""), body)
        else:
            raise MystLeft(f"{docname}: the {{{name}}} directive has no learner-edition form yet")
        i = end + 1
    return "\n".join(out)


def _markdown(source: str, docname: str, site: Site, counter: list[int]) -> dict:
    text = _roles(_directives(source, docname, counter), docname, site)
    left = LEFTOVER.search(text)
    if left:
        raise MystLeft(f"{docname}: MyST left in a Markdown cell: {text[max(0, left.start() - 40):left.end() + 40]!r}")
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _split_solution(source: str, docname: str) -> tuple[str, str, str]:
    """(text before, the solution's explanation, text after) of a cell that opens or closes a solution."""
    start = re.search(r"^```\{solution-start\}[^\n]*\n(?::[\w-]+:[^\n]*\n)*```[ \t]*\n?", source, re.M)
    end = re.search(r"^```\{solution-end\}[^\n]*\n```[ \t]*\n?", source, re.M)
    if start is None and end is None:
        return source, "", ""
    if start and end:
        return source[:start.start()], source[start.end():end.start()], source[end.end():]
    if start:
        return source[:start.start()], source[start.end():], ""
    return "", source[:end.start()], source[end.end():]


def _code(cell: dict, source: str, hidden: bool = False) -> dict:
    metadata = {k: v for k, v in cell.get("metadata", {}).items() if k != "jupyter"}
    if hidden:
        metadata["jupyter"] = {"source_hidden": True}
        metadata["cellView"] = "form"
    new = {"cell_type": "code", "execution_count": None, "metadata": metadata, "outputs": [], "source": source}
    if "id" in cell:
        new["id"] = cell["id"]
    return new


def _as_comment(text: str) -> list[str]:
    return [f"# {line}".rstrip() for line in text.strip().splitlines()]


def _quiz_cell(cell: dict, source: str, docname: str, site: Site) -> dict | None:
    """The questions' cell with its questions inline and folded; None for any other cell."""
    call = QUIZ_CALL.fullmatch(source.strip())
    if call is None:
        return None
    target = normpath(f"{Path(docname).parent.as_posix()}/{call.group(1)}")
    if target not in site.quizzes:
        raise FileNotFoundError(f"{docname}: its cell {source.strip()} needs {target}{QUIZ_SUFFIX}, which is missing")
    questions = pprint.pformat(site.quizzes[target], width=110, sort_dicts=False)
    return _code(cell, f"{QUIZ_TITLE}\ndlcourse.quiz.show({questions})\n", hidden=True)


def names(code: str) -> tuple[set[str], set[str]]:
    """(names a cell binds, names it reads), at any depth; IPython's magics and shell lines left out."""
    tree = ast.parse(re.sub(r"^\s*[%!].*$", "", code, flags=re.M))
    bound, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, (ast.Store, ast.Del)) else read).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return bound, read


def kept_bindings(code: str, needed: set[str], docname: str) -> str:
    """The top-level statements of a dropped cell that bind `needed` (names later cells read): only those stay."""
    tree = ast.parse(code)
    kept = []
    for statement in tree.body:
        bound, _ = names(ast.unparse(statement))
        if not bound & needed:
            continue
        if not isinstance(statement, (ast.Assign, ast.AnnAssign, ast.Import, ast.ImportFrom, ast.FunctionDef)):
            raise MystLeft(f"{docname}: a later cell reads {sorted(bound & needed)}, bound in a hidden cell by a "
                           f"{type(statement).__name__}: bind it in a cell the learner runs")
        kept.append(ast.get_source_segment(code, statement))
    return "\n".join(kept)


def _calls_claim(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "claim"
               for n in ast.walk(node))


class _NoAsserts(ast.NodeTransformer):
    """Takes the asserts (and `...assert_close(...)`-style calls) out of a statement kept for its claims."""

    def visit_Assert(self, node):
        return None

    def visit_Expr(self, node):
        return None if _is_check(node) else node

    def generic_visit(self, node):
        super().generic_visit(node)
        if isinstance(getattr(node, "body", None), list) and not node.body:
            node.body = [ast.Pass()]
        return node


def _called(statement: ast.stmt) -> str:
    """The name a statement that is a bare call calls (`print`, `assert_close`, ...); "" for any other statement."""
    call = statement.value if isinstance(statement, ast.Expr) else None
    func = call.func if isinstance(call, ast.Call) else None
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _is_check(statement: ast.stmt) -> bool:
    return _called(statement).startswith("assert")


def claim_statements(code: str, needed: set[str]) -> str:
    """What a learner keeps of a hidden cell that makes claims: its `claim(...)` statements and every statement that
    binds or updates what they (or later cells: `needed`) read, in their order, with the asserts taken out."""
    wanted, kept = set(needed), []
    for statement in reversed(ast.parse(code).body):
        bound, read = names(ast.unparse(statement))
        if isinstance(statement, ast.Assert) or _is_check(statement) or _called(statement) in {"print", "display"}:
            continue
        if not (_calls_claim(statement) or (bound | read) & wanted):  # (reading covers `kept.append(...)`)
            continue
        text, before = ast.get_source_segment(code, statement), ast.dump(statement)
        statement = _NoAsserts().visit(statement)
        if ast.dump(statement) != before:
            text = ast.unparse(statement)
        wanted = (wanted - bound) | read
        kept.append(text)
    return "\n".join(reversed(kept))


def _needed_from_dropped(notebook: dict) -> dict[int, set[str]]:
    """For each dropped (remove-cell) code cell, by index: the names it alone binds that a later kept cell (or a kept
    cell's claims) reads."""
    bound_by_kept, last_dropped, needed = set(), {}, {}
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        bound, read = names(source)
        if "remove-cell" in cell.get("metadata", {}).get("tags", []):
            if not _calls_claim(ast.parse(source)):
                last_dropped.update({name: index for name in bound})
                continue
            every = bound
            bound, read = names(claim_statements(source, set()))  # what the learner keeps of it
            last_dropped.update({name: index for name in every - bound})
        for name in read - bound - bound_by_kept:
            if name in last_dropped:
                needed.setdefault(last_dropped[name], set()).add(name)
        bound_by_kept |= bound
        for name in bound:
            last_dropped.pop(name, None)
    return needed


def learner_edition(notebook: dict, docname: str, site: Site) -> dict:
    """The learner edition of `notebook` (the source notebook of page `docname`, e.g. book/foundations/neuron)."""
    cells, counter = [], [0]
    needed = _needed_from_dropped(notebook)
    in_solution, explanation, solution_cells = False, [], []

    def close_solution() -> None:
        code = "\n\n".join(solution_cells)
        comment = _as_comment(_roles("\n".join(explanation), docname, site, links=False))
        source = "\n".join([SOLUTION_TITLE, *comment, *([""] if comment else []), code]).rstrip() + "\n"
        cells.append({"cell_type": "markdown", "metadata": {}, "source": (
            f"**Solution to exercise {counter[0]}**, folded: click the cell below (JupyterLab: the three dots; "
            "Colab: double-click the form) when you want to see it.")})
        cells.append(_code(template, source, hidden=True))
        explanation.clear()
        solution_cells.clear()

    template: dict = {}
    for index, cell in enumerate(notebook["cells"]):
        source = "".join(cell["source"])
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell["cell_type"] == "markdown":
            before, inside, after = _split_solution(source, docname)
            opens, closes = "{solution-start}" in source, "{solution-end}" in source
            if not (opens or closes):
                if in_solution:
                    explanation.append(source)
                else:
                    cells.append(_markdown(source, docname, site, counter))
                continue
            if before.strip():
                cells.append(_markdown(before.rstrip("\n"), docname, site, counter))
            if opens and in_solution:
                raise MystLeft(f"{docname}: a solution starts inside another")
            in_solution = in_solution or opens
            explanation.append(inside)
            if closes:
                if not in_solution:
                    raise MystLeft(f"{docname}: {{solution-end}} without {{solution-start}}")
                if not solution_cells:
                    raise MystLeft(f"{docname}: a solution without a code cell")
                close_solution()
                in_solution = False
            if after.strip():
                cells.append(_markdown(after.lstrip("\n"), docname, site, counter))
        elif cell["cell_type"] == "code":
            if "remove-cell" in tags:
                if _calls_claim(ast.parse(source)):
                    kept = claim_statements(source, needed.get(index, set()))
                    cells.append(_code({"metadata": {}}, f"{CLAIMS_TITLE}\n{kept}\n", hidden=True))
                elif index in needed:  # a later cell reads a name only this hidden cell binds: keep that binding
                    kept = kept_bindings(source, needed[index], docname)
                    cells.append(_code({"metadata": {}}, f"{KEPT_TITLE}\n{kept}\n", hidden=True))
                continue
            if in_solution:
                template = cell
                solution_cells.append(source.rstrip())
            elif quiz := _quiz_cell(cell, source, docname, site):
                cells.append(quiz)
            elif "setup" in tags:
                first, _, rest = source.partition("\n")
                title = f"#@title {first[2:].strip()}" if first.startswith("# ") else SETUP_TITLE
                cells.append(_code(cell, f"{title}\n{rest}" if first.startswith("# ") else f"{title}\n{source}",
                                   hidden=True))
            else:
                cells.append(_code(cell, source, hidden=bool(HIDDEN_TAGS & tags)))
        else:  # raw cells are for other output formats
            continue
    if in_solution:
        raise MystLeft(f"{docname}: a solution is not closed ({{solution-end}} missing)")
    title = site.titles.get(docname, docname)
    banner = (f"*The learner edition of [{title}]({site.page(docname)}): run it, move the widgets, solve the "
              "exercises. The website shows the same page executed.*")
    for cell in cells:
        cell["source"] = _lines(cell["source"])
    heading = next((i for i, c in enumerate(cells) if c["cell_type"] == "markdown"), None)
    cells.insert(0 if heading is None else heading + 1, {"cell_type": "markdown", "metadata": {}, "source": [banner]})
    metadata = copy.deepcopy(notebook.get("metadata", {}))
    metadata["colab"] = {"provenance": [], "toc_visible": True}
    metadata.setdefault("kernelspec", {"display_name": "Python 3", "language": "python", "name": "python3"})
    if notebook.get("nbformat_minor", 0) >= 5:
        for i, cell in enumerate(cells):
            cell.setdefault("id", f"learner-{i}")
    return {"cells": cells, "metadata": metadata, "nbformat": notebook.get("nbformat", 4),
            "nbformat_minor": notebook.get("nbformat_minor", 5)}


def _lines(text: str | list[str]) -> list[str]:
    text = "".join(text)
    return [line for line in re.split(r"(?<=\n)", text) if line]


def page_title(path: Path) -> str:
    """The first `# ` heading of a notebook or Markdown page."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    match = re.search(r"^# (.+)$", text, re.M)
    return match.group(1).strip() if match else path.stem


def book_site(root: Path, url: str) -> Site:
    """The Site of the book in `root`: its pages' titles, its bibliography's labels and its chapters' questions."""
    titles = {}
    for path in list((root / "book").rglob("*.ipynb")) + list((root / "book").rglob("*.md")):
        if ".ipynb_checkpoints" not in path.parts:
            titles[path.relative_to(root).with_suffix("").as_posix()] = page_title(path)
    citations = {}
    for bib in (root / "book").rglob("*.bib"):
        citations.update(bibliography_labels(bib.read_text(encoding="utf-8")))
    quizzes = {path.relative_to(root).as_posix().removesuffix(QUIZ_SUFFIX): json.loads(path.read_text(encoding="utf-8"))
               for path in (root / "book").rglob(f"*{QUIZ_SUFFIX}") if ".ipynb_checkpoints" not in path.parts}
    return Site(url=url, citations=citations, titles=titles, quizzes=quizzes)


def site_url(root: Path) -> str:
    """The published site's address, from _config.yml (`html.baseurl`)."""
    import yaml

    url = (yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")).get("html") or {}).get("baseurl")
    if not url:
        raise LookupError("_config.yml names no html.baseurl: the learner editions link to the site there")
    return url


def write_all(root: Path, out: Path) -> list[Path]:
    """Write the learner edition of every notebook under root/book to out/<its path>; return the paths written."""
    site = book_site(root, site_url(root))
    written = []
    for path in sorted((root / "book").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        docname = path.relative_to(root).with_suffix("").as_posix()
        edition = learner_edition(json.loads(path.read_text(encoding="utf-8")), docname, site)
        target = out / f"{docname}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(edition, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python _ext/learner_edition.py OUT   (writes OUT/book/**/*.ipynb)")
    root = Path(__file__).resolve().parent.parent
    for written in write_all(root, Path(sys.argv[1])):
        print(written)
