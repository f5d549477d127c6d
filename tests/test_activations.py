"""Every activation equals PyTorch's, and every hand-derived derivative equals autograd's."""
import pytest
import torch

from dlcourse import activations
from dlcourse.compare import compare

Z = torch.linspace(-8, 8, 1601, dtype=torch.float64)
Z = Z[Z.abs() > 1e-3]  # away from the kinks, where derivatives are not defined
WITH_REFERENCE = [name for name, act in activations.ACTIVATIONS.items() if act.reference is not None]


@pytest.mark.parametrize("name", WITH_REFERENCE)
def test_values_and_gradients_equal_torch(name):
    act = activations.ACTIVATIONS[name]
    assert compare(act.f, act.reference, Z, atol=1e-12).equal


@pytest.mark.parametrize("name", [n for n in activations.ACTIVATIONS if n != "step"])
def test_hand_derivative_equals_autograd_of_our_function(name):
    act = activations.ACTIVATIONS[name]
    z = Z.clone().requires_grad_(True)
    (auto,) = torch.autograd.grad(act.f(z).sum(), z)
    torch.testing.assert_close(act.derivative(Z), auto, atol=1e-12, rtol=1e-10)


@pytest.mark.parametrize("name", ["leaky_relu", "elu"])
@pytest.mark.parametrize("parameter", [0.05, 0.3, 1.7])
def test_parameterised_activations(name, parameter):
    act = activations.ACTIVATIONS[name]
    kw = {"slope": parameter} if name == "leaky_relu" else {"alpha": parameter}
    ref_kw = {"negative_slope": parameter} if name == "leaky_relu" else {"alpha": parameter}
    z = Z.clone().requires_grad_(True)
    (auto,) = torch.autograd.grad(act.reference(z, **ref_kw).sum(), z)
    torch.testing.assert_close(act.f(Z, **kw), act.reference(Z, **ref_kw))
    torch.testing.assert_close(act.derivative(Z, **kw), auto)


def test_step_has_no_useful_derivative():
    assert torch.equal(activations.step(torch.tensor([-1.0, 0.0, 2.0])), torch.tensor([0.0, 0.0, 1.0]))
    assert not activations.step_derivative(Z).any()


def test_relu_derivative_at_zero_matches_torch_convention():
    z = torch.zeros(1, requires_grad=True)
    torch.relu(z).backward()
    assert activations.relu_derivative(torch.zeros(1)).item() == z.grad.item() == 0


def test_no_overflow_at_extremes():
    z = torch.tensor([-1000.0, 1000.0])
    for name in ["sigmoid", "tanh", "softplus", "elu", "gelu"]:
        act = activations.ACTIVATIONS[name]
        assert torch.isfinite(act.f(z)).all() and torch.isfinite(act.derivative(z)).all(), name


def test_sigmoid_slope_is_at_most_a_quarter():
    z = torch.linspace(-8, 8, 1601, dtype=torch.float64)  # includes 0, where the maximum is reached
    assert activations.sigmoid_derivative(z).max().item() == pytest.approx(0.25, abs=1e-12)


def test_unknown_activation_lists_the_choices():
    with pytest.raises(ValueError, match="sigmoid"):
        activations.get("swish2")


def test_softplus_gradient_is_the_sigmoid_everywhere():
    z = torch.tensor([-1000.0, -1.0, 0.0, 1.0, 1000.0], dtype=torch.float64, requires_grad=True)
    activations.softplus(z).sum().backward()
    torch.testing.assert_close(z.grad, torch.sigmoid(z.detach()))
    assert torch.isfinite(activations.softplus(z.detach())).all()


@pytest.mark.parametrize("name, parameter", [("sigmoid", None), ("tanh", None), ("elu", 1.0), ("elu", 0.3),
                                             ("elu", 2.5), ("softplus", None), ("gelu", None)])
def test_autograd_of_our_function_at_exactly_zero_equals_torch(name, parameter):
    """Issue 17: the stable formulas went through |z| and minimum(z, 0), whose gradients at 0 are 0 or split."""
    act = activations.ACTIVATIONS[name]
    kw = {} if parameter is None else {"alpha": parameter}
    for dtype in (torch.float32, torch.float64):
        z = torch.zeros(3, dtype=dtype, requires_grad=True)
        (ours,) = torch.autograd.grad(act.f(z, **kw).sum(), z)
        (theirs,) = torch.autograd.grad(act.reference(z, **kw).sum(), z)
        torch.testing.assert_close(ours, theirs, atol=0, rtol=0)
        torch.testing.assert_close(act.derivative(z.detach(), **kw), theirs, atol=0, rtol=0)
