"""The course's pictures: decision boundaries, training curves (live while `fit` runs), image grids, one style.

Used from "The artificial neuron" onwards; `fit` draws through `LivePlot`.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import Tensor

if TYPE_CHECKING:  # pragma: no cover
    from dlcourse.training import History

CLASS_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
"""One colour per class, used by every scatter plot and boundary in the course."""
CLASS_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
"""One marker per class beside its colour: colour is never the only thing that tells the classes apart."""


def use_course_style() -> None:
    """Readable defaults for every figure of the course."""
    matplotlib.rcParams.update({
        "figure.figsize": (6.4, 4.0),
        "figure.dpi": 100,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "font.size": 11,
        "legend.frameon": False,
    })


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where figures and widgets can be shown)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipywidgets
        return False
    shell = get_ipython()
    # Colab's shell is a subclass (google.colab._shell.Shell): look at the whole class hierarchy
    return shell is not None and any(c.__name__ == "ZMQInteractiveShell" for c in type(shell).__mro__)


def _numpy(values) -> np.ndarray:
    """matplotlib wants NumPy arrays; tensors may live on a GPU or record gradients."""
    if isinstance(values, Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


def scatter_classes(X: Tensor, y: Tensor, ax=None, **kwargs):
    """2-D points coloured by class."""
    ax = ax or plt.gca()
    X, y = _numpy(X), _numpy(y)
    size = kwargs.pop("s", 18)  # popped once: every class gets the same size
    for label in np.unique(y).tolist():
        mask = y == label
        ax.scatter(X[mask, 0], X[mask, 1], s=size, color=CLASS_COLORS[int(label) % len(CLASS_COLORS)],
                   marker=CLASS_MARKERS[int(label) % len(CLASS_MARKERS)], edgecolor="white", linewidth=0.5,
                   label=f"class {int(label)}", **kwargs)
    ax.set_aspect("equal", adjustable="box")
    return ax


def decision_boundary(predict: Callable[[Tensor], Tensor], X: Tensor, y: Tensor | None = None, ax=None,
                      resolution: int = 150, padding: float = 0.5):
    """Shade the plane by the class `predict` gives each point; overlay the data.

    `predict` maps an (N, 2) tensor to class scores (N, C), a single logit (N,) / (N, 1), or labels.
    A torch module is evaluated without gradients on its own device.
    """
    ax = ax or plt.gca()
    X = torch.as_tensor(X).detach().cpu().float()
    lo, hi = X.min(0).values - padding, X.max(0).values + padding
    xs, ys = torch.linspace(lo[0], hi[0], resolution), torch.linspace(lo[1], hi[1], resolution)
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1).reshape(-1, 2)
    if isinstance(predict, torch.nn.Module):
        params = list(predict.parameters())
        grid_in = grid.to(params[0].device) if params else grid
    else:
        grid_in = grid
    with torch.no_grad():
        out = torch.as_tensor(predict(grid_in)).detach().cpu()
    if out.ndim == 2 and out.shape[1] > 1:
        labels = out.argmax(1)
    elif out.dtype.is_floating_point:
        labels = (out.reshape(-1) > 0).long()
    else:
        labels = out.reshape(-1).long()
    n_classes = int(max(labels.max().item(), y.max().item() if y is not None else 0)) + 1
    cmap = matplotlib.colors.ListedColormap(CLASS_COLORS[:max(n_classes, 2)])
    ax.contourf(xs.numpy(), ys.numpy(), labels.reshape(resolution, resolution).numpy(), levels=np.arange(-0.5, max(n_classes, 2)),
                cmap=cmap, alpha=0.25)
    if y is not None:
        scatter_classes(X, y, ax=ax)
    ax.set_xlim(float(lo[0]), float(hi[0]))
    ax.set_ylim(float(lo[1]), float(hi[1]))
    return ax


def plot_history(history: "History", axes=None):
    """Loss (left) and, when recorded, the metric (right) against epochs."""
    panels = 2 if history.train_metric else 1
    if axes is None:
        _, axes = plt.subplots(1, panels, figsize=(4.8 * panels, 3.4), squeeze=False)
        axes = axes[0]
    axes = np.atleast_1d(axes)
    epochs = np.arange(1, history.epochs + 1)
    axes[0].plot(epochs, history.train_loss, label="train")
    if history.val_loss:
        axes[0].plot(epochs, history.val_loss, label="validation")
    axes[0].set(xlabel="epoch", ylabel="loss", title="loss")
    axes[0].legend()
    if panels == 2 and len(axes) > 1:
        axes[1].plot(epochs, history.train_metric, label="train")
        if history.val_metric:
            axes[1].plot(epochs, history.val_metric, label="validation")
        axes[1].set(xlabel="epoch", ylabel=history.metric_name, title=history.metric_name)
        axes[1].legend()
    return axes


class LivePlot:
    """Redraws the training curves in place while `fit` runs (notebooks only; at most twice a second)."""

    def __init__(self, history: "History", enabled: bool | None = None, interval: float = 0.5):
        self.history = history
        self.enabled = in_notebook() if enabled is None else enabled
        self.interval = interval
        self._last = 0.0
        self._handle = None
        self._figure = None

    def _draw(self) -> None:
        from IPython.display import display

        if self._figure is None:
            panels = 2 if self.history.metric_name else 1
            self._figure, axes = plt.subplots(1, panels, figsize=(4.8 * panels, 3.4), squeeze=False)
            self._axes = axes[0]
            plt.close(self._figure)  # shown through the display handle only, not again at the cell's end
        for ax in self._axes:
            ax.clear()
        plot_history(self.history, self._axes)
        self._figure.tight_layout()
        if self._handle is None:
            self._handle = display(self._figure, display_id=True)
        else:
            self._handle.update(self._figure)
        self._last = time.perf_counter()

    def update(self) -> None:
        if self.enabled and time.perf_counter() - self._last >= self.interval:
            self._draw()

    def finish(self) -> None:
        if self.enabled and self.history.epochs:
            self._draw()


def image_grid(images: Tensor, labels=None, ncols: int = 10, cmap: str = "gray_r", size: float = 0.9,
               titles: list[str] | None = None):
    """Show a batch of images (N, H, W), (N, 1, H, W) or flat squares (N, H*W) in a grid; returns the figure."""
    images = torch.as_tensor(images).detach().cpu().float()
    if images.ndim == 2:
        side = int(round(images.shape[1] ** 0.5))
        if side * side != images.shape[1]:
            raise ValueError(f"cannot show flat images of {images.shape[1]} pixels as squares")
        images = images.reshape(-1, side, side)
    if images.ndim == 4:
        images = images[:, 0]
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * 1.15), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i].numpy(), cmap=cmap)
            if titles is not None:
                ax.set_title(titles[i], fontsize=9)
            elif labels is not None:
                ax.set_title(str(int(labels[i])), fontsize=9)
    fig.tight_layout()
    return fig


def draw_network(weights: list[Tensor], signals: list[Tensor] | None = None, ax=None,
                 layer_names: list[str] | None = None):
    """A layered network diagram: units as circles (coloured by their signal), weights as lines.

    `weights[k]` is layer k's (out, in) matrix, as in `nn.Linear`; line width grows with |w|, a positive weight
    is a solid blue line and a negative one a dashed red line (the dashes say it without the colour). `signals[k]` (one value per unit) colours layer k's units and is written inside them.
    """
    ax = ax or plt.gca()
    sizes = [weights[0].shape[1]] + [W.shape[0] for W in weights]
    spacing = max(2.5, 0.8 * max(sizes))  # wide enough that the lines between layers can be told apart
    positions = [[(k * spacing, (n - 1) / 2 - i) for i in range(n)] for k, n in enumerate(sizes)]
    biggest = max(float(W.abs().max()) for W in weights) or 1.0
    for k, W in enumerate(weights):
        W = _numpy(W)
        for j in range(W.shape[0]):
            for i in range(W.shape[1]):
                (x0, y0), (x1, y1) = positions[k][i], positions[k + 1][j]
                ax.plot([x0, x1], [y0, y1], color="#1f77b4" if W[j, i] >= 0 else "#d62728",
                        linestyle="-" if W[j, i] >= 0 else "--", linewidth=0.5 + 3 * abs(W[j, i]) / biggest, alpha=0.6, zorder=1)
    cmap = plt.get_cmap("coolwarm")
    for k, layer in enumerate(positions):
        values = _numpy(signals[k]).reshape(-1) if signals is not None else None
        span = (float(np.abs(values).max()) or 1.0) if values is not None else 1.0
        for i, (x, y) in enumerate(layer):
            colour = cmap(0.5 + 0.5 * values[i] / span) if values is not None else "white"
            ax.add_patch(matplotlib.patches.Circle((x, y), 0.4, facecolor=colour, edgecolor="black", zorder=2))
            if values is not None:
                ax.text(x, y, f"{values[i]:.2f}", ha="center", va="center", fontsize=8, zorder=3)
    names = layer_names or ["input"] + [f"layer {k + 1}" for k in range(len(weights))]
    top = (max(sizes) - 1) / 2
    for k, name in enumerate(names):
        ax.text(k * spacing, top + 0.8, name, ha="center", fontsize=10)
    ax.set_xlim(-1, (len(sizes) - 1) * spacing + 1)
    ax.set_ylim(-top - 0.7, top + 1.3)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def neuron_response(weights: Tensor, bias: float, activation: str, X: Tensor | None = None,
                    y: Tensor | None = None, ax=None, limit: float = 4.0, resolution: int = 161):
    """Shade the plane by a 2-input neuron's output, draw its decision boundary z = 0, overlay labelled points.

    Returns the axes; with data, the title gives the fraction of points on the correct side of the boundary.
    """
    from dlcourse import neuron

    ax = ax or plt.gca()
    weights = torch.as_tensor(weights, dtype=torch.float32)
    grid = torch.linspace(-limit, limit, resolution)
    gx, gy = torch.meshgrid(grid, grid, indexing="xy")
    points = torch.stack([gx, gy], -1).reshape(-1, 2)
    out = neuron.neuron(points, weights, bias, activation).reshape(resolution, resolution)
    image = ax.pcolormesh(gx.numpy(), gy.numpy(), out.numpy(), cmap="coolwarm", shading="auto", alpha=0.6)
    ax.figure.colorbar(image, ax=ax, label=f"output a = {activation}(z)")
    z = neuron.pre_activation(points, weights, bias).reshape(resolution, resolution)
    if z.min() < 0 < z.max():
        ax.contour(gx.numpy(), gy.numpy(), z.numpy(), levels=[0], colors="black", linewidths=2)
    if X is not None and y is not None:
        scatter_classes(X, y, ax=ax)
        side = (neuron.pre_activation(torch.as_tensor(X).float(), weights, bias) > 0).long()
        ax.set_title(f"points on the correct side: {(side == torch.as_tensor(y)).float().mean().item():.0%}")
    ax.set(xlim=(-limit, limit), ylim=(-limit, limit), xlabel="x₁", ylabel="x₂")
    return ax
