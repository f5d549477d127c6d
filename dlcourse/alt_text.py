"""Text alternatives for the course's figures: what a screen-reader user hears instead of the picture.

`describe(fig)` says what a matplotlib figure shows, from what the figure itself knows: its title, each panel's
title and axes (label and range), and how many lines, point sets, bars and images it draws, with their labels.
A chapter can say it better in a sentence of its own: `set_alt(fig, "...")`, or `alt="..."` to `plotting` helpers
that take it; that sentence comes first and the description follows.

`install()` (run by `dlcourse.setup()` in a kernel) makes every figure a notebook shows carry its description in
the PNG itself, as its `Description` text chunk. The website reads it there: the build (`_ext/course_site.py`)
makes it the alt text of every static figure, and the site's script (`_ext/static/course_site.js`) does the same
for figures inside widgets, whose images the widget manager draws in the browser from the embedded widget state.
"""
from __future__ import annotations

import io
import math

import matplotlib
from matplotlib.figure import Figure

_ALT = "_dlcourse_alt"


def set_alt(fig: Figure, text: str) -> Figure:
    """Give `fig` a sentence of the chapter's own that says what it shows (said before the description)."""
    setattr(fig, _ALT, " ".join(str(text).split()))
    return fig


def _number(value: float) -> str:
    return f"{value:.3g}"


def _axis(ax, which: str) -> str | None:
    label = getattr(ax, f"get_{which}label")().strip()
    lo, hi = getattr(ax, f"get_{which}lim")()
    data = getattr(ax.dataLim, f"interval{which}")  # the data's range reads better than the padded view's
    if all(map(math.isfinite, data)) and data[0] != data[1] and min(lo, hi) <= min(data) <= max(data) <= max(lo, hi):
        lo, hi = sorted(data) if lo <= hi else sorted(data, reverse=True)
    if not getattr(ax, f"{which}axis").get_visible() or not ax.axison:
        return f"{which} axis “{label}”" if label else None
    name = f"{which} axis “{label}”" if label else f"{which} axis"
    scale = getattr(ax, f"get_{which}scale")()
    return f"{name} from {_number(lo)} to {_number(hi)}{', logarithmic' if scale == 'log' else ''}"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {plural or word + 's'}"


def _named(artists: list, word: str, plural: str | None = None) -> str:
    """"2 lines (train, validation)": how many, and the labels a legend would show."""
    labels = [a.get_label() for a in artists if a.get_label() and not a.get_label().startswith("_")]
    return _plural(len(artists), word, plural) + (f" ({', '.join(labels)})" if labels else "")


def _contents(ax) -> list[str]:
    lines = [line for line in ax.get_lines() if line.get_visible() and len(line.get_xdata()) > 1]
    points = [c for c in ax.collections if isinstance(c, matplotlib.collections.PathCollection) and c.get_visible()]
    meshes = [c for c in ax.collections
              if isinstance(c, (matplotlib.collections.QuadMesh, matplotlib.collections.PolyCollection))
              and not isinstance(c, matplotlib.collections.PathCollection)]
    contours = [c for c in ax.collections if type(c).__name__ in ("ContourSet", "QuadContourSet")]
    bars = [p for p in ax.patches if isinstance(p, matplotlib.patches.Rectangle)]
    parts = []
    if lines:
        parts.append(_named(lines, "line"))
    if points:
        parts.append(_named(points, "set of points", "sets of points"))
    if bars:
        parts.append(_plural(len(bars), "bar"))
    for image in ax.get_images():
        shape = image.get_array().shape
        parts.append(f"an image of {shape[0]}×{shape[1]} pixels" if len(shape) >= 2 else "an image")
    if meshes or contours:
        parts.append("shaded regions")
    texts = [t.get_text().strip() for t in ax.texts if t.get_text().strip()]
    if texts:
        parts.append(_plural(len(texts), "text label"))
    return parts


def _is_colorbar(ax) -> bool:
    return hasattr(ax, "_colorbar") or getattr(ax, "get_label", lambda: "")() == "<colorbar>"


def describe(fig: Figure) -> str:
    """One paragraph that says what `fig` shows; never empty."""
    panels = [ax for ax in fig.get_axes() if ax.get_visible() and not _is_colorbar(ax)]
    colorbars = [ax for ax in fig.get_axes() if ax.get_visible() and _is_colorbar(ax)]
    said = []
    own = getattr(fig, _ALT, "")
    if own:
        said.append(own.rstrip(".") + ".")
    title = fig._suptitle.get_text().strip() if getattr(fig, "_suptitle", None) is not None else ""
    head = f"Figure “{title}”" if title else "Figure"
    # Many small panels without titles or axes (a grid of images) are told as one.
    bare = [ax for ax in panels if not ax.axison and not ax.get_title().strip()]
    if len(panels) > 4 and len(bare) == len(panels):
        images = sum(len(ax.get_images()) for ax in panels)
        said.append(f"{head}: a grid of {_plural(images, 'image')}.")
    else:
        said.append(f"{head} with {_plural(len(panels), 'panel')}." if panels else f"{head}, empty.")
        for i, ax in enumerate(panels, 1):
            bits = []
            if ax.get_title().strip():
                bits.append(f"“{ax.get_title().strip()}”")
            bits += [text for text in (_axis(ax, "x"), _axis(ax, "y")) if text]
            contents = _contents(ax)
            if contents:
                bits.append("shows " + ", ".join(contents))
            prefix = f"Panel {i}: " if len(panels) > 1 else ""
            said.append(prefix + ("; ".join(bits) if bits else "no labels") + ".")
        titled = [ax.get_ylabel().strip() for ax in colorbars if ax.get_ylabel().strip()]
        if titled:
            said.append(f"Colour scale: {', '.join(titled)}.")
    return " ".join(said)


def figure_png(fig: Figure) -> bytes | None:
    """The PNG a notebook shows for `fig` (as IPython's inline backend draws it), its description in the PNG's
    Description chunk."""
    if not fig.axes and not fig.lines:  # as IPython: an empty figure is not shown
        return None
    text = describe(fig)
    buffer = io.BytesIO()
    fig.canvas.print_figure(buffer, format="png", dpi=fig.dpi, bbox_inches="tight", facecolor=fig.get_facecolor(),
                            edgecolor=fig.get_edgecolor(), metadata={"Description": text})
    return buffer.getvalue()


def install() -> bool:
    """In a Jupyter kernel, draw every displayed figure through `figure_png`; True when installed."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipywidgets
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return False
    try:  # the inline backend sets its own PNG formatter when it is first loaded: let it do so before us
        import matplotlib_inline.backend_inline  # noqa: F401
    except ImportError:  # pragma: no cover - ipykernel depends on it
        pass
    shell.display_formatter.formatters["image/png"].for_type(Figure, figure_png)
    return True
