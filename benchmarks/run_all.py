"""Run every benchmark and refresh the tables that the book's page "Execution times and performance" shows.

Usage: make bench (or python benchmarks/run_all.py). Run it on a quiet machine: the numbers are wall times.
Benchmarks never run inside the test-suite (timing asserts are flaky on shared machines).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["machine.py", "training_loop.py", "reference.py", "notebooks.py", "site_build.py"]


def main() -> int:
    failed = []
    for script in SCRIPTS:
        print(f"== {script}", flush=True)
        if subprocess.run([sys.executable, str(HERE / script)], cwd=HERE).returncode != 0:
            failed.append(script)
    if failed:
        print(f"failed or over budget: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
