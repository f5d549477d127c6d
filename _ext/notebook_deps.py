"""Which files of the `dlcourse` package a notebook's code runs: the modules its code cells import or name
(`import dlcourse.conv`, `from dlcourse import gan`, `dlcourse.claims.claim(...)`), and every module those import in
turn, read from the source without importing anything.

The site build (`_ext/course_site.py`) notes these files as the page's dependencies, so an incremental `make book`
re-executes a chapter when its notebook or any package file it uses changed, and leaves the others alone. The walk is
deliberately generous (an import inside a function counts, `from dlcourse import x` counts module x if there is one):
a page re-executed for nothing costs seconds, a page not re-executed after a change shows a stale result.
"""
from __future__ import annotations

import ast
import json
import re
from functools import lru_cache
from pathlib import Path

PACKAGE = "dlcourse"
# `dlcourse.name` in code (an attribute use with no import of its own, e.g. `dlcourse.claims.claim`).
_ATTRIBUTE = re.compile(rf"\b{PACKAGE}((?:\.[A-Za-z_]\w*)+)")


def _module_file(root: Path, dotted: str) -> Path | None:
    """The file of module `dotted` ("dlcourse.checks.conv") under `root` (the folder holding the package)."""
    base = root.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _names_in(source: str, package_of: str | None) -> set[str]:
    """Dotted names of the package's modules (or of names inside them) that `source` imports or mentions;
    `package_of` is the dotted package a module lives in, for its relative imports."""
    names = {PACKAGE + m.group(1) for m in _ATTRIBUTE.finditer(source)}
    # IPython syntax (magics, shell escapes) is not Python: blank those lines so the rest still parses.
    text = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return names | {PACKAGE} if re.search(rf"\b{PACKAGE}\b", source) else names
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level and package_of:
                base = ".".join(package_of.split(".")[: len(package_of.split(".")) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names.add(module)
            names |= {f"{module}.{alias.name}" for alias in node.names}
    return {n for n in names if n == PACKAGE or n.startswith(PACKAGE + ".")}


def _files_named(root: Path, names: set[str]) -> set[Path]:
    """The module files behind dotted names: the longest prefix that is a module, and every package above it."""
    files = set()
    for name in names:
        parts = name.split(".")
        for end in range(1, len(parts) + 1):
            found = _module_file(root, ".".join(parts[:end]))
            if found:
                files.add(found)
    return files


@lru_cache(maxsize=None)
def _imports_of(path: Path, root: Path) -> frozenset[Path]:
    dotted = path.relative_to(root).with_suffix("").as_posix().replace("/", ".")
    package = dotted[: -len(".__init__")] if dotted.endswith(".__init__") else dotted.rpartition(".")[0]
    return frozenset(_files_named(root, _names_in(path.read_text(encoding="utf-8"), package)))


def package_files(code: str, root: Path) -> list[Path]:
    """Every file of the package under `root` that running `code` may execute, sorted."""
    root = root.resolve()
    todo = list(_files_named(root, _names_in(code, None)))
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo += _imports_of(path, root) - seen
    return sorted(seen)


def notebook_code(source: str) -> str:
    """The code cells of a notebook (its JSON text), one after another."""
    cells = json.loads(source).get("cells", [])
    return "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                     for c in cells if c.get("cell_type") == "code")
