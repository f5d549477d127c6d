"""Execute every notebook of the book in a fresh kernel; report seconds per notebook, the total and peak memory.

Usage: `python benchmarks/notebooks.py [notebooks...]` (part of `make bench`). Writes benchmarks/results/notebooks.md
and notebooks.json. Budgets (course plan): each notebook <= 45 s, the whole book <= 6 min on a 2-core CPU.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient

from common import ROOT, write

PER_NOTEBOOK, WHOLE_BOOK = 45.0, 360.0
PEAK_MEMORY_CELL = ("import resource, sys\n"
                    "_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
                    "print('PEAK_RSS_MIB', _peak / (2**20 if sys.platform == 'darwin' else 2**10))")


def book_notebooks() -> list[Path]:
    """The notebooks in _toc.yml, in book order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc.get("parts", []) for c in part.get("chapters", [])]
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def run(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_MEMORY_CELL))
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    peak = float(text.split("PEAK_RSS_MIB")[1]) if "PEAK_RSS_MIB" in text else float("nan")
    return {"notebook": path.relative_to(ROOT).as_posix(), "seconds": round(seconds, 2), "peak_mib": round(peak)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in _toc.yml")
    args = parser.parse_args()
    paths = [p.resolve() for p in args.notebooks] or book_notebooks()
    rows = []
    for path in paths:
        row = run(path)
        row["within_budget"] = row["seconds"] <= PER_NOTEBOOK
        rows.append(row)
        print(f"{row['notebook']:<45} {row['seconds']:7.1f} s  {row['peak_mib']:6.0f} MiB"
              f"{'' if row['within_budget'] else '  OVER BUDGET'}", flush=True)
    total = sum(r["seconds"] for r in rows)
    print(f"{'total':<45} {total:7.1f} s  (budget {WHOLE_BOOK:.0f} s)")
    table = [[r["notebook"], f"{r['seconds']:.1f}", f"{r['peak_mib']:.0f}", "yes" if r["within_budget"] else "NO"]
             for r in rows]
    table.append(["**total**", f"**{total:.1f}**", "", f"{'yes' if total <= WHOLE_BOOK else 'NO'} (6 min)"])
    write("notebooks", "Each notebook executed in a fresh kernel, kernel start-up included.",
          ["notebook", "seconds", "peak memory (MiB)", "within 45 s"], table,
          {"total_seconds": round(total, 2), "notebooks": rows})
    ok = all(r["within_budget"] for r in rows) and total <= WHOLE_BOOK
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
