"""dlcourse.alt_text: every figure says what it shows, in words, and carries that in its PNG."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from dlcourse import alt_text, plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _description(png: bytes) -> str:
    with Image.open(io.BytesIO(png)) as image:
        return image.info["Description"]


def test_a_labelled_plot_is_told_by_its_title_axes_and_labels():
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [3, 1, 0], label="train")
    ax.plot([0, 1, 2], [3, 2, 1], label="validation")
    ax.set(title="loss", xlabel="epoch", ylabel="cross-entropy", yscale="log")
    ax.legend()
    text = alt_text.describe(fig)
    for words in ("“loss”", "x axis “epoch” from", "y axis “cross-entropy” from", "logarithmic", "2 lines (train, validation)"):
        assert words in text, (words, text)


def test_panels_are_numbered_and_colour_scales_named():
    X = torch.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5]])
    y = torch.tensor([0, 1, 1])
    fig, axes = plt.subplots(1, 2)
    plotting.neuron_response(torch.tensor([1.0, -1.0]), 0.0, "sigmoid", X, y, ax=axes[0])
    axes[1].imshow(np.zeros((4, 6)))
    text = alt_text.describe(fig)
    assert "with 2 panels" in text and "Panel 1: “points on the correct side" in text, text
    assert "x axis “x₁”" in text and "2 sets of points (class 0, class 1)" in text, text
    assert "Panel 2:" in text and "an image of 4×6 pixels" in text, text
    assert "Colour scale: output a = sigmoid(z)." in text, text


def test_a_grid_of_images_is_told_as_one_and_a_chapters_sentence_comes_first():
    fig = plotting.image_grid(torch.rand(12, 5, 5), ncols=6)
    alt_text.set_alt(fig, "Twelve   random\nimages")
    text = alt_text.describe(fig)
    assert text.startswith("Twelve random images. Figure: a grid of 12 images."), text


def test_an_unlabelled_figure_still_says_something():
    fig, ax = plt.subplots()
    ax.bar([0, 1, 2], [1, 2, 3])
    text = alt_text.describe(fig)
    assert text.startswith("Figure with 1 panel.") and "3 bars" in text, text


def test_the_png_carries_its_description_in_unicode():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set(title="σ(z) against z", xlabel="x₁")
    png = alt_text.figure_png(fig)
    assert png.startswith(b"\x89PNG") and _description(png) == alt_text.describe(fig)
    assert "σ(z)" in _description(png)
    assert alt_text.figure_png(plt.figure()) is None  # as IPython: an empty figure is not shown


def test_install_makes_the_kernel_show_described_figures():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        assert alt_text.install()
        fig, ax = plt.subplots()
        ax.plot([0, 1], [1, 0])
        ax.set_title("a falling line")
        data, _ = shell.display_formatter.format(fig)
        assert "“a falling line”" in _description(data["image/png"])
    finally:
        shell.display_formatter.formatters["image/png"].pop(matplotlib.figure.Figure, None)
        InteractiveShell.clear_instance()


def test_outside_a_kernel_install_does_nothing():
    assert alt_text.install() is False


def test_classes_differ_by_marker_as_well_as_colour():
    fig, ax = plt.subplots()
    plotting.scatter_classes(torch.rand(30, 2), torch.arange(30) % 3, ax=ax)
    markers = [c.get_paths()[0].vertices.tobytes() for c in ax.collections]
    assert len(set(markers)) == 3
