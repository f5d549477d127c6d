"""Two-dimensional loss surfaces (an ill-conditioned bowl, Rosenbrock's valley, a saddle) and optimizer paths on them.

Chapter "Gradient descent and its variants" runs the optimizers of `dlcourse.optim` on a two-number parameter and
draws their paths. A path is training, so it goes through `fit`: the "model" is a point of the plane whose
output is its own coordinates, and the surface is its loss.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import Tensor, nn

__all__ = ["Surface", "SURFACES", "Point", "Trajectory", "trajectory", "draw", "steps_to", "quadratic", "rosenbrock",
           "saddle"]

CURVATURES = (1.0, 50.0)
"""The bowl's curvatures along x and y: condition number 50, so gradient descent needs lr < 2/50 = 0.04."""


def quadratic(p: Tensor) -> Tensor:
    """An elongated bowl, (x² + 50 y²) / 2, minimum 0 at the origin; p has shape (..., 2)."""
    return 0.5 * (CURVATURES[0] * p[..., 0] ** 2 + CURVATURES[1] * p[..., 1] ** 2)


def rosenbrock(p: Tensor) -> Tensor:
    """Rosenbrock's banana valley, (1 - x)² + 100 (y - x²)², minimum 0 at (1, 1)."""
    return (1 - p[..., 0]) ** 2 + 100 * (p[..., 1] - p[..., 0] ** 2) ** 2


def saddle(p: Tensor) -> Tensor:
    """x²/2 + y⁴/4 - y²/2: a saddle point at the origin between two minima, -1/4 at (0, ±1)."""
    return 0.5 * p[..., 0] ** 2 + 0.25 * p[..., 1] ** 4 - 0.5 * p[..., 1] ** 2


@dataclass(frozen=True)
class Surface:
    """A loss of two parameters with where to start, what to show and a rate that suits each optimizer."""

    name: str
    f: Callable[[Tensor], Tensor]
    start: tuple[float, float]
    minimum: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    rates: dict[str, float] = field(default_factory=dict)

    @property
    def best(self) -> float:
        """The lowest value of the loss."""
        return float(self.f(torch.tensor(self.minimum, dtype=torch.float64)))

    def far(self, points: Tensor) -> Tensor:
        """Which points lie more than ten view-widths from the view's centre: the path has run away."""
        centre = torch.tensor([sum(self.xlim) / 2, sum(self.ylim) / 2], dtype=points.dtype)
        size = torch.tensor([self.xlim[1] - self.xlim[0], self.ylim[1] - self.ylim[0]], dtype=points.dtype)
        return ((points - centre).abs() > 10 * size).any(-1)


SURFACES: dict[str, Surface] = {
    "ill-conditioned bowl": Surface("ill-conditioned bowl", quadratic, (-4.0, 1.5), (0.0, 0.0), (-4.5, 4.5),
                                    (-2.5, 2.5), {"SGD": 0.035, "momentum": 0.01, "Nesterov": 0.01,
                                                  "RMSProp": 0.1, "Adam": 0.2}),
    "Rosenbrock": Surface("Rosenbrock", rosenbrock, (-1.5, 2.0), (1.0, 1.0), (-2.0, 2.0), (-1.0, 3.0),
                          {"SGD": 1e-3, "momentum": 1e-3, "Nesterov": 1e-3, "RMSProp": 0.05, "Adam": 0.1}),
    "saddle": Surface("saddle", saddle, (-2.0, 1e-3), (0.0, 1.0), (-2.5, 2.5), (-1.6, 1.6),
                      {"SGD": 0.1, "momentum": 0.05, "Nesterov": 0.05, "RMSProp": 0.01, "Adam": 0.05}),
}
"""The chapter's surfaces by name; `rates` holds a learning rate that works for each optimizer of `optim.OPTIMIZERS`."""


class Point(nn.Module):
    """A model that is nothing but a point of the plane: whatever the input, its output is its coordinates."""

    def __init__(self, start: tuple[float, float]):
        super().__init__()
        self.xy = nn.Parameter(torch.tensor(start, dtype=torch.float64))

    def forward(self, x: Tensor) -> Tensor:
        return self.xy


@dataclass
class Trajectory:
    """The points an optimizer visited (start included), their losses, and where (if anywhere) it ran away."""

    label: str
    points: Tensor
    losses: Tensor
    diverged_at: int | None

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def shown(self) -> Tensor:
        """The points before it ran away: these are drawn."""
        return self.points if self.diverged_at is None else self.points[:self.diverged_at]

    def summary(self) -> str:
        steps = len(self.points) - 1
        if self.diverged:
            return f"{self.label}: diverged after {self.diverged_at} steps"
        return f"{self.label}: loss {self.losses[-1].item():.3g} after {steps} steps"


def trajectory(surface: Surface | str, optimizer: str, lr: float | None = None, steps: int = 100,
               start: tuple[float, float] | None = None, **hyper) -> Trajectory:
    """Run `optim.make(optimizer, ..., lr)` for `steps` steps on the surface, from its start, with `fit`."""
    from dlcourse import optim
    from dlcourse.training import fit

    surface = SURFACES[surface] if isinstance(surface, str) else surface
    lr = surface.rates[optimizer] if lr is None else lr
    point = Point(start or surface.start)
    visited = [point.xy.detach().clone()]
    nothing = (torch.zeros(1, 1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64))
    fit(point, nothing, epochs=steps, loss=lambda xy, target: surface.f(xy), batch_size=None, device="cpu",
        optimizer=optim.make(optimizer, point.parameters(), lr, **hyper), progress=False, live_plot=False,
        callback=lambda epoch, history: visited.append(point.xy.detach().clone()))
    points = torch.stack(visited)
    losses = surface.f(points)
    bad = ~torch.isfinite(points).all(-1) | ~torch.isfinite(losses) | surface.far(points)
    diverged_at = int(bad.nonzero()[0, 0]) if bad.any() else None
    return Trajectory(f"{optimizer}, lr {lr:.3g}", points, losses, diverged_at)


def draw(surface: Surface | str, paths: list[Trajectory], ax=None, resolution: int = 150, legend: bool = True):
    """Contours of the surface (log-spaced above its minimum), each path on top, the start and the minimum marked.

    Paths are drawn up to the point where they ran away; the axes clip whatever leaves the view. The legend, if
    wanted, goes to the right of the axes, where it hides no path.
    """
    surface = SURFACES[surface] if isinstance(surface, str) else surface
    ax = ax or plt.gca()
    xs = torch.linspace(*surface.xlim, resolution, dtype=torch.float64)
    ys = torch.linspace(*surface.ylim, resolution, dtype=torch.float64)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    z = (surface.f(torch.stack([gx, gy], -1)) - surface.best).numpy()
    top = float(z.max())
    levels = np.geomspace(top * 1e-4, top, 16) if top > 0 else 8
    ax.contour(gx.numpy(), gy.numpy(), z, levels=levels, cmap="viridis", linewidths=0.8, alpha=0.8)
    ax.plot(*surface.start, "o", color="black", markersize=6, label="start", zorder=4)
    ax.plot(*surface.minimum, "*", color="gold", markeredgecolor="black", markersize=14, label="minimum", zorder=4)
    for path in paths:
        shown = path.shown.numpy()
        label = path.label + (" (diverged)" if path.diverged else "")
        ax.plot(shown[:, 0], shown[:, 1], ".-", markersize=3, linewidth=1.2, label=label, zorder=3)
    ax.set(xlim=surface.xlim, ylim=surface.ylim, xlabel="x", ylabel="y")
    ax.set_aspect("equal", adjustable="box")
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9)
    return ax


def steps_to(path: Trajectory, loss: float) -> float:
    """The first step at which the path's loss is at most `loss` (infinity if never)."""
    reached = (path.losses <= loss).nonzero()
    return float(reached[0, 0]) if len(reached) else math.inf
