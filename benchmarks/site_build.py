"""The website: a full build (executing every notebook) into a fresh folder, then a rebuild with nothing changed.

Usage: python benchmarks/site_build.py. Goal: the rebuild in <= 30 s.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import RESULTS, ROOT, write


def build(output: Path) -> float:
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--path-output", str(output),
               "-W", "-n", "--keep-going"]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"build failed:\n{result.stdout[-3000:]}")
    return elapsed


def main() -> None:
    table = RESULTS / "site_build.md"
    if not table.exists():  # the book's performance page includes this table, so it must exist to build the book
        table.write_text("Not measured yet: run `make bench`.\n")
    output = Path(tempfile.mkdtemp(prefix="dlcourse-site-"))
    try:
        full = build(output)
        again = build(output)
    finally:
        shutil.rmtree(output, ignore_errors=True)
    write("site_build", "Website build with `jupyter-book build -W -n --keep-going`.",
          ["build", "seconds", "goal"],
          [["full (fresh folder, every notebook executed)", f"{full:.1f}", "—"],
           ["rebuild, nothing changed", f"{again:.1f}", "<= 30 s"]],
          {"full_seconds": round(full, 2), "rebuild_seconds": round(again, 2)})


if __name__ == "__main__":
    main()
