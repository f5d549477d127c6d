"""The 2-D loss surfaces of dlcourse.surfaces have the minima and saddle they claim; paths through `fit` follow the
closed form of gradient descent; runaway paths are detected and drawn without warnings."""
import warnings

import matplotlib.pyplot as plt
import pytest
import torch

from dlcourse import optim, surfaces


def grad_and_hessian(f, point):
    p = torch.tensor(point, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(f(p), p)
    return g, torch.autograd.functional.hessian(f, p.detach())


def test_each_minimum_is_a_minimum():
    for surface in surfaces.SURFACES.values():
        g, H = grad_and_hessian(surface.f, surface.minimum)
        assert g.abs().max() < 1e-12, surface.name
        assert (torch.linalg.eigvalsh(H) > 0).all(), surface.name
    assert surfaces.SURFACES["Rosenbrock"].best == 0.0 and surfaces.SURFACES["saddle"].best == -0.25


def test_the_bowl_has_the_stated_curvatures_and_the_saddle_is_a_saddle():
    _, H = grad_and_hessian(surfaces.quadratic, (0.3, -0.2))
    assert torch.allclose(H, torch.diag(torch.tensor(surfaces.CURVATURES, dtype=torch.float64)))
    g, H = grad_and_hessian(surfaces.saddle, (0.0, 0.0))
    assert g.abs().max() == 0 and torch.allclose(torch.linalg.eigvalsh(H), torch.tensor([-1.0, 1.0]).double())


def test_surfaces_evaluate_batches_of_points():
    grid = torch.randn(7, 5, 2, dtype=torch.float64)
    for surface in surfaces.SURFACES.values():
        values = surface.f(grid)
        assert values.shape == (7, 5)
        assert torch.allclose(values[3, 2], surface.f(grid[3, 2]))


def test_sgd_path_follows_the_closed_form_on_the_bowl():
    lr, steps = 0.03, 40
    path = surfaces.trajectory("ill-conditioned bowl", "SGD", lr=lr, steps=steps)
    t = torch.arange(steps + 1, dtype=torch.float64)
    x0, y0 = surfaces.SURFACES["ill-conditioned bowl"].start
    a, b = surfaces.CURVATURES
    expected = torch.stack([x0 * (1 - lr * a) ** t, y0 * (1 - lr * b) ** t], 1)
    assert path.points.shape == (steps + 1, 2)
    assert torch.allclose(path.points, expected, atol=1e-12)
    assert torch.allclose(path.losses, surfaces.quadratic(expected))
    assert not path.diverged and "after 40 steps" in path.summary()


def test_paths_equal_the_same_optimizer_run_by_hand_with_torch():
    for name in optim.OPTIMIZERS:
        path = surfaces.trajectory("Rosenbrock", name, steps=30)
        cls, hyper = optim.OPTIMIZERS[name]
        w = torch.nn.Parameter(torch.tensor(surfaces.SURFACES["Rosenbrock"].start, dtype=torch.float64))
        reference = optim.TORCH[cls]([w], lr=surfaces.SURFACES["Rosenbrock"].rates[name], **hyper)
        for _ in range(30):
            reference.zero_grad()
            surfaces.rosenbrock(w).backward()
            reference.step()
        assert torch.allclose(path.points[-1], w.detach(), atol=1e-10), name


def test_runaway_paths_are_detected_and_cut():
    path = surfaces.trajectory("ill-conditioned bowl", "SGD", lr=0.05, steps=100)  # above 2 / 50
    assert path.diverged and 0 < path.diverged_at < 100
    assert "diverged after" in path.summary()
    assert len(path.shown) == path.diverged_at and torch.isfinite(path.shown).all()
    assert not surfaces.SURFACES["ill-conditioned bowl"].far(path.shown).any()
    blown = surfaces.trajectory("Rosenbrock", "SGD", lr=1.0, steps=50)  # overflows to inf, then nan
    assert blown.diverged and not torch.isfinite(blown.points[-1]).all()


def test_every_optimizer_converges_on_every_surface_at_its_listed_rate():
    for surface in surfaces.SURFACES.values():
        assert set(surface.rates) == set(optim.OPTIMIZERS)
        for name in optim.OPTIMIZERS:
            path = surfaces.trajectory(surface, name, steps=300)
            assert not path.diverged and path.losses[-1] < path.losses[0], (surface.name, name)


def test_steps_to():
    path = surfaces.trajectory("ill-conditioned bowl", "SGD", lr=0.03, steps=200)
    k = surfaces.steps_to(path, 1e-2)
    assert path.losses[int(k)] <= 1e-2 < path.losses[int(k) - 1]
    assert surfaces.steps_to(path, -1.0) == float("inf")


@pytest.mark.parametrize("name", list(surfaces.SURFACES))
def test_drawing_is_quiet_even_for_runaway_paths(name):
    paths = [surfaces.trajectory(name, "SGD", lr=lr, steps=60) for lr in (1e-3, 5.0)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig, ax = plt.subplots()
        surfaces.draw(name, paths, ax=ax)
        fig.canvas.draw()
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels[:2] == ["start", "minimum"] and labels[-1].endswith("(diverged)")
    plt.close(fig)
