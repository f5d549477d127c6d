"""Copy the site's JavaScript from node_modules/ (installed by `npm ci`) to _vendor/, which Sphinx serves as static files.

Only what the pages load is copied: MathJax's es5 build, require.js, and the widget manager's AMD bundle with its
fonts. _vendor/ is not `_static/`, because Jupyter Book 1 adds a script tag for every .js under `_static/` to
every page. Run by `make assets`.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "node_modules"
VENDOR = ROOT / "_vendor" / "vendor"  # served as _static/vendor/...

COPIES = {
    MODULES / "mathjax" / "es5": VENDOR / "mathjax",
    MODULES / "requirejs" / "require.js": VENDOR / "require.js",
    MODULES / "@jupyter-widgets" / "html-manager" / "dist": VENDOR / "html-manager",
}


def main() -> int:
    missing = [str(src.relative_to(ROOT)) for src in COPIES if not src.exists()]
    if missing:
        print(f"missing {', '.join(missing)}: run `npm ci` first (or `make assets`)", file=sys.stderr)
        return 1
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for src, dst in COPIES.items():
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.map", "*.LICENSE.txt", "*.d.ts"))
        else:
            shutil.copy2(src, dst)
    size = sum(f.stat().st_size for f in VENDOR.rglob("*") if f.is_file())
    print(f"vendored site assets into {VENDOR.relative_to(ROOT)} ({size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
