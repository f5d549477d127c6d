"""Interactive experiments: `Playground` ties ipywidgets controls to a drawing function and never lets it throw.

The executed default state is what the static website shows; `Playground.sweep` drives every offered value
(used by the tests). Used from "The artificial neuron" onwards.
"""
from __future__ import annotations

import traceback
from typing import Any, Callable

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np

from dlcourse.plotting import in_notebook


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
        for control in controls.values():
            control.style = {"description_width": "initial"} if not isinstance(control, W.Checkbox) else control.style
            control.observe(self._refresh, names="value")
        rows = [W.HBox(list(controls.values())[i:i + columns]) for i in range(0, len(controls), columns)]
        super().__init__(rows + [self.output])
        self._refresh()

    @property
    def values(self) -> dict[str, Any]:
        return {name: control.value for name, control in self.controls.items()}

    def _refresh(self, change: dict | None = None) -> None:
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
            if in_notebook():
                plt.show()
            else:
                plt.close("all")

    def sweep(self) -> list[str]:
        """Set each control to each value it offers (the others at their defaults); return the errors seen."""
        defaults = self.values
        self.errors.clear()
        for name, control in self.controls.items():
            for value in offered_values(control):
                control.value = value
            control.value = defaults[name]
        return list(self.errors)
