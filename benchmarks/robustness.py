"""Robustness of the book's claims: execute every notebook under a grid of seeds x thread counts, collect the value
of every measured claim (`dlcourse.claims`) in every run, and write one table row per claim: its bound, the
minimum / median / maximum over the runs and the smallest margin.

Usage (one documented command, `make robustness`):

    python benchmarks/robustness.py                          # every notebook, seeds 0-4, 1 and 2 threads
    python benchmarks/robustness.py book/architectures/rnn.ipynb --seeds 0-9 --threads 1

Each run is a fresh kernel with `DLCOURSE_SEED`, `DLCOURSE_THREADS` (and OMP_NUM_THREADS) set and claims
non-strict, so that one failed claim does not hide the others (and OMP_WAIT_POLICY=PASSIVE: two runs of two threads on
two cores otherwise spin-wait for each other, up to 90 times slower, without changing a number). Runs go two at a time (`--jobs`): with one thread
each they fill the two cores of the course's reference machine. Writes benchmarks/results/claims.json and
claims.md (the appendix page "Claims" shows them); with notebooks named, only the runs made are replaced.
Exit status 1 when a claim failed in some run or a notebook raised.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import ROOT, write
from notebooks import book_notebooks

RESULTS = ROOT / "benchmarks" / "results" / "claims.json"


def seed_list(text: str) -> list[int]:
    seeds: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds += list(range(int(lo), int(hi) + 1)) if hi else [int(lo)]
    return seeds


def execute(path: Path, seed: int, threads: int) -> dict:
    """One run of one notebook in a fresh kernel (in a child process); its claims and how it ended."""
    with tempfile.TemporaryDirectory() as tmp:
        claims_file = Path(tmp) / "claims.jsonl"
        env = dict(os.environ, DLCOURSE_SEED=str(seed), DLCOURSE_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads), DLCOURSE_STRICT="0", DLCOURSE_CLAIMS_FILE=str(claims_file),
                   MPLBACKEND="Agg", OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"))
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--execute-one", str(path)], env=env, cwd=ROOT,
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
        claims = [json.loads(line) for line in claims_file.read_text().splitlines()] if claims_file.exists() else []
    error = None if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["(no message)"])[-1][:500]
    return {"notebook": path.relative_to(ROOT).as_posix(), "seed": seed, "threads": threads,
            "seconds": round(seconds, 1), "error": error, "claims": claims}


def execute_one(path: Path) -> int:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return 0


def summarise(runs: list[dict]) -> list[dict]:
    """One row per (notebook, claim): bound, values over the runs, min / median / max, smallest margin."""
    rows: dict[tuple[str, str], dict] = {}
    for run in runs:
        for c in run["claims"]:
            row = rows.setdefault((run["notebook"], c["name"]), {
                "notebook": run["notebook"], "claim": c["name"], "bound": c["bound"], "at_least": c["at_least"],
                "at_most": c["at_most"], "backs": c["backs"], "values": []})
            row["values"].append({"seed": run["seed"], "threads": run["threads"], "value": c["value"],
                                  "margin": c["margin"], "holds": c["holds"]})
    out = []
    for row in rows.values():
        values = [v["value"] for v in row["values"]]
        margins = [v["margin"] for v in row["values"]]
        scale = max(abs(b) for b in (row["at_least"], row["at_most"]) if b is not None) or 1.0
        row |= {"runs": len(values), "failed_runs": sum(not v["holds"] for v in row["values"]),
                "min": min(values), "median": statistics.median(values), "max": max(values),
                "smallest_margin": min(margins), "relative_margin": min(margins) / scale}
        out.append(row)
    return out


def span(values: set[int]) -> str:
    ordered = sorted(values)
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{ordered[0]}-{ordered[-1]}"
    return ",".join(map(str, ordered))


def describe(runs: list[dict]) -> str:
    """The grid the runs cover, e.g. "seeds 0-4 x threads 1,2" (per group of notebooks where they differ)."""
    grids: dict[str, set] = {}
    for r in runs:
        grids.setdefault(r["notebook"], set()).add((r["seed"], r["threads"]))
    groups: dict[str, int] = {}
    for pairs in grids.values():
        seeds, threads = {s for s, _ in pairs}, {t for _, t in pairs}
        text = (f"seeds {span(seeds)} x threads {span(threads)}" if len(pairs) == len(seeds) * len(threads)
                else f"{len(pairs)} (seed, threads) runs")
        groups[text] = groups.get(text, 0) + 1
    if len(groups) == 1:
        return next(iter(groups))
    return "; ".join(f"{text} ({n} notebooks)" for text, n in sorted(groups.items(), key=lambda kv: -kv[1]))


def table(rows: list[dict], runs: list[dict], grid: str) -> tuple[str, list[str], list[list[str]]]:
    """The intro line, header and rows of the claims table."""
    from dlcourse.claims import number

    failed = [r for r in rows if r["failed_runs"]]
    errors = [r for r in runs if r["error"]]
    intro = (f"{len(rows)} claims in {len({r['notebook'] for r in rows})} notebooks, {grid}: "
             f"{len(rows) - len(failed)} hold in every run" + (f", {len(failed)} fail in some run" if failed else "")
             + (f"; {len(errors)} runs raised an error" if errors else "") + ".")
    header = ["notebook", "claim", "bound", "min", "median", "max", "smallest margin", "runs failed"]
    body = [[Path(r["notebook"]).stem, f"`{r['claim']}`", r["bound"], number(r["min"]), number(r["median"]),
             number(r["max"]), number(r["smallest_margin"]), f"{r['failed_runs']} of {r['runs']}"] for r in rows]
    return intro, header, body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in _toc.yml")
    parser.add_argument("--seeds", default="0-4", help="e.g. 0-4 or 0,3,7 (default 0-4)")
    parser.add_argument("--threads", default="1,2", help="thread counts, e.g. 1,2 (default)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time (default 2)")
    parser.add_argument("--no-write", action="store_true", help="print the table, keep the committed results")
    parser.add_argument("--tabulate", action="store_true", help="only rewrite the tables from the committed runs")
    parser.add_argument("--execute-one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.execute_one:
        return execute_one(args.execute_one)
    if args.tabulate:
        runs = json.loads(RESULTS.read_text())["runs"]
        rows = summarise(runs)
        order = {p.relative_to(ROOT).as_posix(): i for i, p in enumerate(book_notebooks())}
        rows.sort(key=lambda r: order.get(r["notebook"], 99))
        grid = describe(runs)
        compact = [{k: v for k, v in r.items() if k != "values"} for r in rows]
        write("claims", *table(rows, runs, grid), {"grid": grid, "runs": runs, "claims": compact})
        return 1 if any(r["failed_runs"] for r in rows) else 0
    paths = [p.resolve() for p in args.notebooks] or book_notebooks()
    seeds, threads = seed_list(args.seeds), [int(t) for t in args.threads.split(",")]
    jobs = [(p, s, t) for p in paths for t in threads for s in seeds]
    runs = []
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for run in pool.map(lambda job: execute(*job), jobs):
            bad = [c["name"] for c in run["claims"] if not c["holds"]]
            print(f"{run['notebook']:<45} seed {run['seed']:>3} threads {run['threads']}  {run['seconds']:6.1f} s"
                  f"  {len(run['claims']):3d} claims" + (f"  FAILED: {', '.join(bad)}" if bad else "")
                  + (f"  ERROR: {run['error']}" if run["error"] else ""), flush=True)
            runs.append(run)
    rows = summarise(runs)
    grid = f"seeds {args.seeds} x threads {args.threads}"
    if not args.no_write:
        with open(RESULTS.with_suffix(".lock"), "w") as lock:  # several runners may finish at once
            fcntl.flock(lock, fcntl.LOCK_EX)
            previous = (json.loads(RESULTS.read_text()) if RESULTS.exists() and args.notebooks
                        else {"runs": [], "grid": grid})
            done = {(r["notebook"], r["seed"], r["threads"]) for r in runs}
            kept = [r for r in previous["runs"] if (r["notebook"], r["seed"], r["threads"]) not in done]
            all_runs = sorted(kept + runs, key=lambda r: (r["notebook"], r["threads"], r["seed"]))
            all_rows = summarise(all_runs)
            order = {p.relative_to(ROOT).as_posix(): i for i, p in enumerate(book_notebooks())}
            all_rows.sort(key=lambda r: order.get(r["notebook"], 99))
            grid = describe(all_runs)
            compact = [{k: v for k, v in r.items() if k != "values"} for r in all_rows]  # the runs hold the values
            write("claims", *table(all_rows, all_runs, grid), {"grid": grid, "runs": all_runs, "claims": compact})
    else:
        intro, header, body = table(rows, runs, grid)
        print(intro)
        for line in body:
            print(" | ".join(line))
    smallest = sorted(rows, key=lambda r: r["relative_margin"])[:5]
    print("smallest relative margins:", ", ".join(f"{r['claim']} {r['relative_margin']:.3f}" for r in smallest))
    return 1 if any(r["failed_runs"] for r in rows) or any(r["error"] for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
