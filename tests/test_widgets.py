import ipywidgets as W

from dlcourse.widgets import Playground, offered_values


def test_offered_values_cover_each_kind_of_control():
    assert offered_values(W.Checkbox()) == [False, True]
    assert offered_values(W.Dropdown(options=[("a", 1), ("b", 2)])) == [1, 2]
    assert offered_values(W.IntSlider(min=0, max=4, value=1)) == [0, 1, 2, 3, 4]
    assert offered_values(W.FloatSlider(min=-1, max=1), steps=3) == [-1.0, 0.0, 1.0]
    assert offered_values(W.FloatLogSlider(min=-2, max=0), steps=3) == [0.01, 0.1, 1.0]


def test_playground_draws_and_reports_errors_without_raising():
    calls = []

    def draw(a, flag):
        calls.append((a, flag))
        if a == 3 and flag:
            raise ZeroDivisionError("boom")

    pg = Playground(draw, {"a": W.IntSlider(min=0, max=3, value=3), "flag": W.Checkbox(value=False)})
    assert calls == [(3, False)]
    pg.controls["flag"].value = True  # raises inside draw: shown, not thrown
    assert pg.errors and "ZeroDivisionError" in pg.errors[0]
    pg.controls["flag"].value = False
    errors = pg.sweep()
    assert any("boom" in e for e in errors)
    assert pg.values == {"a": 3, "flag": False}


def test_colabs_widget_manager_is_switched_on_only_for_ipywidgets_8_on_colab(monkeypatch):
    import sys
    import types

    from dlcourse import widgets

    calls = []
    colab = types.ModuleType("google.colab")
    colab.output = types.SimpleNamespace(enable_custom_widget_manager=lambda: calls.append(1))
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert widgets.enable_colab_widgets() is False  # not on Colab
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setattr(widgets.W, "__version__", "7.7.1")
    assert widgets.enable_colab_widgets() is False and not calls  # Colab renders ipywidgets 7 itself
    monkeypatch.setattr(widgets.W, "__version__", "8.1.9")
    assert widgets.enable_colab_widgets() is True and calls == [1]


def _recording(monkeypatch, draw, controls):
    monkeypatch.setenv("DLCOURSE_FRAMES", "1")
    return Playground(draw, controls)


def _figure_of(**values):
    import matplotlib.pyplot as plt

    from dlcourse.widgets import frame_png

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, values["a"] * (2 if values["double"] else 1)])
    ax.set_title(f"a = {values['a']}, {values['activation']}")
    return fig


def test_a_recording_sweep_keeps_the_figure_of_each_offered_value_as_the_kernel_draws_it(monkeypatch):
    import base64
    import html
    import json
    import re

    import matplotlib.pyplot as plt

    from dlcourse.widgets import frame_png

    controls = {"a": W.FloatSlider(value=0.3, min=-1, max=1, step=0.1, description="a"),
                "activation": W.Dropdown(options=[("ReLU", "relu"), ("tanh", "tanh")], description="f"),
                "double": W.Checkbox(value=False, description="double")}
    pg = _recording(monkeypatch, _figure_of, controls)
    assert set(pg.frames) == {"default"}
    assert pg.sweep() == []
    assert set(pg.frames) == {"default", "0:0", "0:1", "0:2", "0:3", "0:4", "1:1", "2:1"}  # 0.3: no grid
    manifest = json.loads(html.unescape(re.search(r"hidden>(.*)</div>", pg._frames_data.value, re.S)[1]))
    a, activation, double = manifest["controls"]
    assert manifest["mode"] == "single"
    assert [v["value"] for v in a["values"]] == [-1.0, -0.5, 0.0, 0.3, 0.5, 1.0]  # the default between notches
    assert [v["key"] for v in a["values"]] == ["0:0", "0:1", "0:2", "default", "0:3", "0:4"]
    assert a["kind"] == "number" and activation["kind"] == "label" and double["kind"] == "bool"
    assert activation["values"] == [{"key": "default", "value": "ReLU", "j": 0}, {"key": "1:1", "value": "tanh", "j": 1}]
    assert double["values"] == [{"key": "default", "value": False, "j": 0}, {"key": "2:1", "value": True, "j": 1}]
    for i, (name, control) in enumerate(controls.items()):  # each frame is what drawing that setting gives
        for j, value in enumerate(offered_values(control)):
            key = f"{i}:{j}"
            if key in pg.frames:
                values = {**pg.values, name: value}
                expected = frame_png(_figure_of(**values))
                plt.close("all")
                assert pg.frames[key] == expected, key
                assert base64.b64decode(manifest["frames"][key]) == expected
    assert pg.values == {"a": 0.3, "activation": "relu", "double": False}


def test_a_setting_outside_the_sweep_never_overwrites_a_frame(monkeypatch):
    controls = {"a": W.IntSlider(value=1, min=0, max=2), "b": W.IntSlider(value=0, min=0, max=2)}
    pg = _recording(monkeypatch, lambda a, b: _figure_of(a=a + b, activation="", double=False), controls)
    pg.sweep()
    frames = dict(pg.frames)
    controls["a"].value = 2
    controls["b"].value = 2  # a combination: no frame is one
    controls["a"].value, controls["b"].value = 1, 0
    assert pg.frames == frames
    assert "dlcourse-control-1" in controls["b"]._dom_classes and "dlcourse-playground" in pg._dom_classes


def test_without_the_build_nothing_is_recorded(monkeypatch):
    monkeypatch.delenv("DLCOURSE_FRAMES", raising=False)
    pg = Playground(lambda a: _figure_of(a=a, activation="", double=False), {"a": W.IntSlider(value=1, max=2)})
    pg.sweep()
    assert pg.frames == {} and pg._frames_data.value == ""


def test_a_small_grid_gets_every_combination_each_drawn_once(monkeypatch):
    import matplotlib.pyplot as plt

    from dlcourse.widgets import frame_png

    drawn = []

    def draw(a, b):
        drawn.append((a, b))
        return _figure_of(a=a, activation=b, double=False)

    controls = {"a": W.IntSlider(value=1, min=0, max=2), "b": W.Dropdown(options=["x", "y"])}
    pg = _recording(monkeypatch, draw, controls)
    drawn.clear()
    assert pg.sweep() == []
    grid = {key for key in pg.frames if key.startswith("g:")}
    assert grid == {f"g:{i},{j}" for i in range(3) for j in range(2)} - {"g:1,0"}  # the defaults' is "default"
    # one at a time (a: 0, 1, 2 and back to 1; b: y and back to x), then the grid's six points once each, the reset
    assert len(drawn) == 6 + 6 + 1
    for i, a in enumerate([0, 1, 2]):
        for j, b in enumerate(["x", "y"]):
            expected = frame_png(_figure_of(a=a, activation=b, double=False))
            plt.close("all")
            assert pg.frames["default" if (a, b) == (1, "x") else f"g:{i},{j}"] == expected
    assert pg.frames_manifest()["mode"] == "grid" and pg.values == {"a": 1, "b": "x"}


def test_a_frame_is_the_kernels_figure_in_fewer_colours_and_keeps_its_description():
    import io

    import matplotlib.pyplot as plt
    import numpy as np
    from PIL import Image

    from dlcourse.alt_text import describe, figure_png
    from dlcourse.widgets import frame_png

    fig, ax = plt.subplots()
    ax.imshow(np.random.default_rng(0).random((40, 40)), cmap="coolwarm")
    ax.set_title("σ of a random field")
    full, frame = figure_png(fig), frame_png(fig)
    with Image.open(io.BytesIO(frame)) as image:
        assert image.mode == "P" and image.info["Description"] == describe(fig)
        assert image.size == Image.open(io.BytesIO(full)).size
    assert len(frame) < len(full)
    plt.close("all")
