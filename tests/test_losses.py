"""dlcourse.losses against PyTorch's losses: values and gradients, several shapes, extreme inputs."""
import math

import pytest
import torch
import torch.nn.functional as F

from dlcourse import losses
from dlcourse.compare import assert_same, compare

D = torch.float64


@pytest.mark.parametrize("shape", [(), (7,), (4, 3), (2, 3, 5)])
def test_mse_equals_torch(shape):
    assert_same(losses.mse, F.mse_loss, torch.randn(shape, dtype=D), torch.randn(shape, dtype=D), atol=1e-12)


@pytest.mark.parametrize("shape", [(1,), (9,), (4, 3)])
def test_binary_cross_entropy_from_probabilities_equals_torch(shape):
    p = torch.rand(shape, dtype=D) * 0.98 + 0.01
    y = torch.rand(shape, dtype=D)  # soft targets too; the gradient with respect to them is compared as well
    assert_same(losses.binary_cross_entropy, F.binary_cross_entropy, p, y, atol=1e-10)
    hard = (y > 0.5).to(D)
    assert_same(losses.binary_cross_entropy, F.binary_cross_entropy, p, hard, atol=1e-10)


def test_binary_cross_entropy_clamps_its_logs_like_torch():
    p = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.5], dtype=D)
    y = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0], dtype=D)
    ours, theirs = losses.binary_cross_entropy(p, y), F.binary_cross_entropy(p, y)
    assert torch.isfinite(ours) and torch.allclose(ours, theirs, atol=1e-12)


@pytest.mark.parametrize("shape", [(1,), (10,), (3, 4)])
def test_binary_cross_entropy_with_logits_equals_torch(shape):
    z = torch.randn(shape, dtype=D) * 4
    y = torch.rand(shape, dtype=D)
    assert_same(losses.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, z, y, atol=1e-12)


def test_binary_cross_entropy_with_logits_at_extremes_and_at_zero():
    z = torch.tensor([1000.0, -1000.0, 1000.0, -1000.0, 0.0, 0.0, 40.0, -40.0], dtype=D)
    y = torch.tensor([1.0, 1.0, 0.0, 0.0, 1.0, 0.3, 0.0, 1.0], dtype=D)
    result = compare(losses.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, z, y, atol=1e-12)
    assert result.equal, result
    assert not torch.isfinite(losses.naive_binary_cross_entropy_with_logits(z, y))
    # the gradient at z = 0 is sigmoid(0) - y = 0.5 - y (a kinked max(z, 0) would give 1 - y or -y)
    zero = torch.zeros(1, dtype=D, requires_grad=True)
    losses.binary_cross_entropy_with_logits(zero, torch.ones(1, dtype=D)).backward()
    assert zero.grad.item() == pytest.approx(-0.5)


def test_float32_logits_are_stable_too():
    z = torch.tensor([100.0, -100.0, 0.0])
    y = torch.tensor([0.0, 1.0, 1.0])
    assert torch.allclose(losses.binary_cross_entropy_with_logits(z, y), F.binary_cross_entropy_with_logits(z, y))


@pytest.mark.parametrize("n, c", [(1, 2), (8, 5), (16, 10)])
def test_cross_entropy_equals_torch(n, c):
    logits = torch.randn(n, c, dtype=D) * 3
    targets = torch.randint(0, c, (n,))
    assert_same(losses.cross_entropy, F.cross_entropy, logits, targets, atol=1e-12)


def test_cross_entropy_with_huge_logits_is_finite_and_equal_to_torch():
    logits = torch.tensor([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 999.0], [-1000.0, -1000.0, -1000.0]], dtype=D)
    targets = torch.tensor([2, 2, 1])
    assert not torch.isfinite(losses.naive_cross_entropy(logits, targets))
    result = compare(losses.cross_entropy, F.cross_entropy, logits, targets, atol=1e-9)
    assert result.equal, result
    # row by row: 2000, 1 + log(1 + e^-1), log 3
    expected = (2000 + 1 + math.log1p(math.exp(-1)) + math.log(3)) / 3
    assert losses.cross_entropy(logits, targets).item() == pytest.approx(expected, rel=1e-12)


def test_logsumexp_softmax_and_log_softmax_equal_torch():
    z = torch.randn(5, 4, dtype=D) * 10
    for dim in (0, 1, -1):
        assert_same(lambda t: losses.logsumexp(t, dim), lambda t: torch.logsumexp(t, dim), z, atol=1e-12)
        assert_same(lambda t: losses.log_softmax(t, dim), lambda t: F.log_softmax(t, dim), z, atol=1e-12)
        assert_same(lambda t: losses.softmax(t, dim), lambda t: F.softmax(t, dim), z, atol=1e-12)
    keep = losses.logsumexp(z, 1, keepdim=True)
    assert keep.shape == (5, 1)
    minus_infinity = torch.full((2, 3), float("-inf"), dtype=D)
    assert torch.equal(losses.logsumexp(minus_infinity), torch.logsumexp(minus_infinity, -1))


@pytest.mark.parametrize("name", list(losses.POINTWISE))
def test_pointwise_derivatives_equal_autograd(name):
    spec = losses.POINTWISE[name]
    a = torch.linspace(*spec.domain, 301, dtype=D, requires_grad=True)
    for y in (0.0, 0.3, 1.0):
        (grad,) = torch.autograd.grad(spec.loss(a, y).sum(), a)
        assert torch.allclose(spec.derivative(a.detach(), y), grad, atol=1e-10), (name, y)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_binary_cross_entropy_gradient_at_and_near_0_and_1_equals_torch(dtype):
    """Issue 17: NaN gradient at p = 0 or 1 exactly, and no 1e-12 floor on the denominator below it (torch's)."""
    p = torch.tensor([0.0, 1.0, 0.0, 1.0, 1e-13, 1e-30, 1 - 1e-7, 0.5, 1e-7], dtype=dtype)
    y = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0, 0.3, 0.0, 1.0, 0.6], dtype=dtype)
    for grad_of in ([True, False], [True, True]):
        mine = [p.clone().requires_grad_(grad_of[0]), y.clone().requires_grad_(grad_of[1])]
        theirs = [p.clone().requires_grad_(grad_of[0]), y.clone().requires_grad_(grad_of[1])]
        ours, ref = losses.binary_cross_entropy(*mine), F.binary_cross_entropy(*theirs)
        torch.testing.assert_close(ours, ref)
        ours.backward(), ref.backward()
        assert torch.isfinite(mine[0].grad).all()
        # torch's floor is float32(1e-12) = 9.99999996e-13: visible in float64 at p = 0 or 1, hence the rtol
        torch.testing.assert_close(mine[0].grad, theirs[0].grad, atol=0, rtol=1e-12 if dtype == torch.float64 else 1e-6)
        if grad_of[1]:
            torch.testing.assert_close(mine[1].grad, theirs[1].grad)


@pytest.mark.parametrize("shape, dim", [((0,), 0), ((3, 0), 1), ((0, 4), 0), ((2, 0, 3), -2)])
def test_logsumexp_and_softmax_of_zero_size_inputs_equal_torch(shape, dim):
    """Issue 17 (found by tests/test_properties.py): amax of an empty axis raised; torch's logsumexp gives -inf."""
    z = torch.randn(shape, dtype=D)
    for keepdim in (False, True):
        assert_same(lambda t: losses.logsumexp(t, dim, keepdim), lambda t: torch.logsumexp(t, dim, keepdim), z)
    assert_same(lambda t: losses.log_softmax(t, dim), lambda t: F.log_softmax(t, dim), z)
    assert_same(lambda t: losses.softmax(t, dim), lambda t: F.softmax(t, dim), z)
