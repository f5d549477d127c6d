"""The website: a full build (executing every notebook) into a fresh folder, then incremental rebuilds as `make book`
does them: with nothing changed, after an edit of one chapter (its notebook's modification time, which is what the
build looks at), and after an edit of one chapter module of dlcourse (conv.py, which the two CNN chapters run); and the
weight of each page a reader downloads (its HTML, with the widgets' state and the precomputed figures the
widgets swap in, plus the images it links; the scripts and styles every page shares are counted once, apart).

Usage: python benchmarks/site_build.py, or python benchmarks/site_build.py --weights <site>/_build/html to weigh a
site built before. Goals: the rebuild with nothing changed in <= 30 s, after a chapter edit in <= 60 s; every page
at most a few MB.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import RESULTS, ROOT, write


EDITED_CHAPTER = ROOT / "book" / "foundations" / "neuron.ipynb"
EDITED_MODULE = ROOT / "dlcourse" / "conv.py"


def build(output: Path) -> float:
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--path-output", str(output),
               "-W", "-n", "--keep-going"]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"build failed:\n{result.stdout[-3000:]}")
    return elapsed


def page_weights(html: Path) -> tuple[list[list[str]], dict]:
    """Rows (page, HTML MB, images MB, total MB) for every page of the book, heaviest first, and the shared assets."""
    rows, data = [], {}
    for page in sorted(html.glob("book/**/*.html")):
        text = page.read_text(encoding="utf-8", errors="replace")
        images = {m for m in re.findall(r'src="([^"]+\.(?:png|jpe?g|svg|gif))"', text) if not m.startswith("data:")}
        image_bytes = sum((page.parent / m).stat().st_size for m in images if (page.parent / m).is_file())
        name = page.relative_to(html).with_suffix("").as_posix()
        data[name] = {"html_bytes": page.stat().st_size, "image_bytes": image_bytes}
    shared = sum(f.stat().st_size for f in (html / "_static").rglob("*") if f.is_file())
    for name, w in sorted(data.items(), key=lambda item: -sum(item[1].values())):
        rows.append([name, f"{w['html_bytes'] / 1e6:.2f}", f"{w['image_bytes'] / 1e6:.2f}",
                     f"{(w['html_bytes'] + w['image_bytes']) / 1e6:.2f}"])
    return rows, {"pages": data, "shared_static_bytes": shared}


def write_weights(html: Path) -> None:
    rows, data = page_weights(html)
    write("page_weight", "What a reader downloads per page: its HTML (widget state and precomputed widget figures "
          f"included) and the images it links, in MB; the scripts, styles and fonts all pages share add "
          f"{data['shared_static_bytes'] / 1e6:.1f} MB once.", ["page", "HTML", "images", "total"], rows, data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, help="only weigh the pages of this built site (its _build/html)")
    weights = parser.parse_args().weights
    if weights:
        write_weights(weights)
        return
    table = RESULTS / "site_build.md"
    if not table.exists():  # the book's performance page includes this table, so it must exist to build the book
        table.write_text("Not measured yet: run `make bench`.\n")
    output = Path(tempfile.mkdtemp(prefix="dlcourse-site-"))
    try:
        full = build(output)
        again = build(output)
        write_weights(output / "_build" / "html")
        EDITED_CHAPTER.touch()  # an edit, as far as the build can tell: it compares modification times
        chapter = build(output)
        EDITED_MODULE.touch()
        module = build(output)
    finally:
        shutil.rmtree(output, ignore_errors=True)
    write("site_build", "Website build with `jupyter-book build -W -n --keep-going`.",
          ["build", "seconds", "goal"],
          [["full (fresh folder, every notebook executed)", f"{full:.1f}", "—"],
           ["rebuild, nothing changed", f"{again:.1f}", "<= 30 s"],
           [f"rebuild after editing {EDITED_CHAPTER.relative_to(ROOT)}", f"{chapter:.1f}", "<= 60 s"],
           [f"rebuild after editing {EDITED_MODULE.relative_to(ROOT)} (re-executes the two CNN chapters)",
            f"{module:.1f}", "—"]],
          {"full_seconds": round(full, 2), "rebuild_seconds": round(again, 2),
           "chapter_edit_seconds": round(chapter, 2), "module_edit_seconds": round(module, 2)})


if __name__ == "__main__":
    main()
