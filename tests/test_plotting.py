import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

from dlcourse import data, plotting
from dlcourse.training import History


def test_decision_boundary_accepts_models_logits_and_labels():
    X, y = data.blobs(40)
    for predict in (nn.Linear(2, 3), lambda g: g[:, 0], lambda g: (g[:, 1] > 0).long()):
        fig, ax = plt.subplots()
        plotting.decision_boundary(predict, X, y, ax=ax, resolution=20)
        assert ax.collections, "the boundary and the points are drawn"
        plt.close(fig)


def test_image_grid_shapes_and_titles():
    images = torch.rand(12, 64)
    fig = plotting.image_grid(images, labels=torch.arange(12), ncols=5)
    assert len(fig.axes) == 15
    assert fig.axes[3].get_title() == "3"
    plt.close(fig)
    with pytest.raises(ValueError, match="squares"):
        plotting.image_grid(torch.rand(2, 10))


def test_live_plot_is_silent_outside_notebooks():
    live = plotting.LivePlot(History(train_loss=[1.0]))
    assert not live.enabled
    live.update()
    live.finish()  # nothing to show, nothing raised


def test_course_style_applies():
    plotting.use_course_style()
    assert plt.rcParams["axes.spines.top"] is False


def test_draw_network_places_every_unit_and_weight():
    fig, ax = plt.subplots()
    weights = [torch.randn(8, 2), torch.randn(2, 8)]
    plotting.draw_network(weights, [torch.randn(2), torch.randn(8), torch.randn(2)], ax=ax)
    assert len(ax.patches) == 2 + 8 + 2
    assert len(ax.lines) == 2 * 8 + 8 * 2
    plt.close(fig)


def test_neuron_response_reports_the_fraction_on_the_correct_side():
    X = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [2.0, 1.0]])
    y = torch.tensor([1, 0, 0])
    fig, ax = plt.subplots()
    plotting.neuron_response(torch.tensor([1.0, 0.0]), 0.0, "sigmoid", X, y, ax=ax)
    assert ax.get_title() == "points on the correct side: 67%"
    assert ax.collections, "shading, boundary and points are drawn"
    plt.close("all")


def test_plots_emit_no_warnings():
    import warnings

    X, y = data.blobs(30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig, ax = plt.subplots()
        plotting.decision_boundary(nn.Linear(2, 2), X, y, ax=ax, resolution=10)
        fig.canvas.draw()
    plt.close(fig)


def test_scatter_classes_gives_every_class_the_requested_size():
    fig, ax = plt.subplots()
    X, y = data.blobs(n=30, centers=torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]]))
    plotting.scatter_classes(X, y, ax=ax, s=5)
    sizes = [collection.get_sizes()[0] for collection in ax.collections]
    plt.close(fig)
    assert sizes == [5, 5, 5]


def test_in_notebook_recognises_colabs_shell(monkeypatch):
    """Colab's kernel shell subclasses ipykernel's (google.colab._shell.Shell): figures must show there too."""
    import IPython
    from ipykernel.zmqshell import ZMQInteractiveShell

    from dlcourse.plotting import in_notebook

    class Shell(ZMQInteractiveShell):  # noqa: D401 - the name Colab's has
        pass

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell.__new__(Shell))
    assert in_notebook()
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert not in_notebook()
