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
