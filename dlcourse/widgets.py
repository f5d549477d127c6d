"""Interactive experiments: `Playground` ties ipywidgets controls to a drawing function and never lets it throw.

`Playground.sweep` drives every value each control offers, one control at a time from the defaults (a hidden
cell of each chapter runs it, so no offered value can raise). On the website's build (`DLCOURSE_FRAMES=1`, set by
`_ext/course_site.py`) the sweep also keeps each figure it draws as a frame, embedded in the page with the
widget's state, and where the grid of all combinations is small (at most `GRID_LIMIT` figures, every default one
of the offered values) it draws every combination; there the site's script (`_ext/static/course_site.js`) swaps
in the frame for the setting the reader picks, so the widgets respond without a kernel. With a kernel
(JupyterLab, Colab) nothing changes.
Used from "The artificial neuron" onwards.
"""
from __future__ import annotations

import base64
import html
import io
import itertools
import json
import math
import os
import traceback
from typing import Any, Callable

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np

from dlcourse.alt_text import figure_png
from dlcourse.plotting import in_notebook

FRAMES_ENV = "DLCOURSE_FRAMES"
"""Set to 1 by the website's build: playgrounds keep the figures their sweep draws, for the static page."""
FRAME_COLOURS = 256
"""A frame is the kernel's PNG reduced to this many colours: about a fifth of the bytes, so pages stay light."""
GRID_LIMIT = 40
"""At most this many figures, the static page gets every combination of the controls' values (else one at a time)."""


def offered_values(control: W.ValueWidget, steps: int = 5) -> list[Any]:
    """Values a control lets the learner pick: every option of a choice, ends and inner points of a slider."""
    if isinstance(control, (W.Checkbox, W.ToggleButton)):
        return [False, True]
    if hasattr(control, "_options_values"):
        return list(control._options_values)
    if isinstance(control, W.FloatLogSlider):
        exponents = np.linspace(control.min, control.max, steps)
        return [float(control.base ** e) for e in exponents]
    if isinstance(control, (W.IntSlider, W.BoundedIntText)):
        return sorted({int(v) for v in np.linspace(control.min, control.max, steps).round()})
    if isinstance(control, (W.FloatSlider, W.BoundedFloatText)):
        return [float(v) for v in np.linspace(control.min, control.max, steps)]
    return [control.value]


def enable_colab_widgets() -> bool:
    """On Colab with ipywidgets 8, switch on Colab's custom widget manager (its own front end renders only
    ipywidgets 7, which Colab ships); anywhere else do nothing. True when it was switched on."""
    import sys

    if "google.colab" not in sys.modules or int(W.__version__.split(".")[0]) < 8:
        return False
    from google.colab import output

    output.enable_custom_widget_manager()
    return True


def frame_png(fig) -> bytes | None:
    """The figure as the static page shows it: the PNG a notebook shows (`alt_text.figure_png`, its description
    in the Description chunk), reduced to `FRAME_COLOURS` colours (a palette PNG; a plot has few colours anyway)."""
    from PIL import Image, PngImagePlugin

    png = figure_png(fig)
    if png is None:
        return None
    with Image.open(io.BytesIO(png)) as image:
        description = image.info.get("Description", "")
        reduced = image.convert("RGB").quantize(colors=FRAME_COLOURS, method=Image.Quantize.FASTOCTREE)
    info = PngImagePlugin.PngInfo()
    info.add_itxt("Description", description)
    buffer = io.BytesIO()
    reduced.save(buffer, format="PNG", optimize=True, pnginfo=info)
    return buffer.getvalue()


def _label_kind(control: W.ValueWidget) -> str:
    """How the page shows a control's value: "bool" (a check box, a toggle), "label" (an option's label) or
    "number" (a slider's readout, a number box); "log" for a logarithmic slider (snapped on a log scale)."""
    if isinstance(control, (W.Checkbox, W.ToggleButton)):
        return "bool"
    if hasattr(control, "_options_labels"):
        return "label"
    return "log" if isinstance(control, W.FloatLogSlider) else "number"


class Playground(W.VBox):
    """Controls above, a figure below; `draw(**values)` makes the figure with pyplot.

    An exception in `draw` is shown as a short message in place of the figure and kept in `errors`;
    it never reaches the learner as a traceback.
    """

    def __init__(self, draw: Callable[..., Any], controls: dict[str, W.ValueWidget], columns: int = 3):
        self.draw = draw
        self.controls = controls
        self.output = W.Output()
        self.errors: list[str] = []
        self.recording = os.environ.get(FRAMES_ENV) == "1"
        self.frames: dict[str, bytes] = {}  # "default", or "<control index>:<offered value index>"
        self._frame_key: str | None = "default"
        self._holding = False  # while the grid sweep sets several controls, only the last setting draws
        self._defaults = {name: control.value for name, control in controls.items()}
        self._frames_data = W.HTML(layout=W.Layout(display="none"))
        self._frames_data.add_class("dlcourse-frames")
        for i, control in enumerate(controls.values()):
            control.style = {"description_width": "initial"} if not isinstance(control, W.Checkbox) else control.style
            control.observe(self._refresh, names="value")
            control.add_class(f"dlcourse-control-{i}")
        rows = [W.HBox(list(controls.values())[i:i + columns]) for i in range(0, len(controls), columns)]
        super().__init__(rows + [self.output, self._frames_data])
        self.add_class("dlcourse-playground")
        self._refresh()

    @property
    def values(self) -> dict[str, Any]:
        return {name: control.value for name, control in self.controls.items()}

    def _refresh(self, change: dict | None = None) -> None:
        if self._holding:
            return
        self.output.clear_output(wait=True)
        with self.output:
            plt.close("all")
            try:
                self.draw(**self.values)
            except Exception as exc:  # a widget must never throw at the learner
                detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                self.errors.append(f"{self.values}: {detail}")
                plt.close("all")
                print(f"This setting could not be drawn ({detail}). Try another value.")
                return
            png = frame_png(plt.gcf()) if self.recording and plt.get_fignums() else None
            key = self._current_frame_key()
            if png is not None and key is not None:
                self.frames[key] = png
            if in_notebook() and png is not None:
                from IPython.display import Image, display

                display(Image(data=png))  # the very bytes of the frame (plt.show would draw it again)
                plt.close("all")
            elif in_notebook():
                plt.show()
            else:
                plt.close("all")

    def _current_frame_key(self) -> str | None:
        """The frame this setting is: the defaults, the sweep's one changed control or its grid point, or none."""
        changed = [name for name, control in self.controls.items() if control.value != self._defaults[name]]
        if not changed:
            return "default"
        key = self._frame_key
        if key is not None and key.startswith("g:"):
            return key
        return key if len(changed) == 1 and key != "default" else None

    def _grid(self) -> bool:
        """Whether the static page gets every combination: few enough, and each default one of the values."""
        offered = [offered_values(control) for control in self.controls.values()]
        return (len(offered) > 1 and math.prod(map(len, offered)) <= GRID_LIMIT
                and all(control.value in values for control, values in zip(self.controls.values(), offered)))

    def sweep(self) -> list[str]:
        """Set each control to each value it offers (the others at their defaults); return the errors seen.
        When recording (the website's build), every figure drawn becomes a frame of the static page."""
        defaults = self.values
        self.errors.clear()
        for i, (name, control) in enumerate(self.controls.items()):
            for j, value in enumerate(offered_values(control)):
                self._frame_key = f"{i}:{j}"
                control.value = value
            self._frame_key = "default"
            control.value = defaults[name]
        if self.recording and self._grid():
            for point in itertools.product(*[list(enumerate(offered_values(c))) for c in self.controls.values()]):
                self._holding = True
                try:
                    for control, (_, value) in zip(self.controls.values(), point):
                        control.value = value
                finally:
                    self._holding = False
                self._frame_key = "g:" + ",".join(str(j) for j, _ in point)
                self._refresh()
            self._holding = True
            try:
                for name, control in self.controls.items():
                    control.value = defaults[name]
            finally:
                self._holding = False
            self._frame_key = "default"
            self._refresh()
        if self.recording:
            self._frames_data.value = ('<div class="dlcourse-frames-data" hidden>'
                                       f"{html.escape(json.dumps(self.frames_manifest()))}</div>")
        return list(self.errors)

    def frames_manifest(self) -> dict:
        """What the static page needs to swap figures: each control's offered values (how the page shows them, the
        frame of that value alone, its place `j` among the offered values), whether every combination was drawn
        ("grid", frames keyed "g:<j>,<j>,...") or one control at a time ("single"), and the frames, base64 PNGs
        keyed "default", "<control>:<j>" or "g:..."."""
        grid = any(key.startswith("g:") for key in self.frames)
        controls = []
        for i, (name, control) in enumerate(self.controls.items()):
            kind = _label_kind(control)
            offered = offered_values(control)
            labels = list(control._options_labels) if kind == "label" else None
            values = []
            for j, value in enumerate(offered):
                shown = labels[list(control._options_values).index(value)] if labels else value
                is_default = value == self._defaults[name]
                if is_default or f"{i}:{j}" in self.frames:
                    values.append({"key": "default" if is_default else f"{i}:{j}", "value": shown, "j": j})
            if kind in ("number", "log") and not any(v["key"] == "default" for v in values):
                values.append({"key": "default", "value": self._defaults[name], "j": None})  # between the notches
            if kind in ("number", "log"):
                values.sort(key=lambda v: float(v["value"]))
                values = [v for v in values if math.isfinite(float(v["value"]))]
            controls.append({"index": i, "name": name, "label": control.description or name, "kind": kind,
                             "values": values if len(values) > 1 else []})
        return {"controls": controls, "mode": "grid" if grid else "single",
                "frames": {key: base64.b64encode(png).decode("ascii") for key, png in self.frames.items()}}
