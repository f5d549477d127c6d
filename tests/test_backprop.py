"""dlcourse.backprop: hand-written gradients equal autograd's and finite differences."""
import pytest
import torch
import torch.nn.functional as F

from dlcourse import backprop
from dlcourse.compare import assert_same

D = torch.float64


def problem(loss, n=9, n_in=3, n_out=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, n_in, generator=g, dtype=D)
    y = torch.randint(0, n_out, (n,), generator=g) if loss == "cross_entropy" else torch.randn(n, n_out, dtype=D)
    return backprop.init_params(n_in, 5, n_out, seed=seed), X, y


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "gelu"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_backward_equals_autograd_and_finite_differences(activation, loss):
    params, X, y = problem(loss)
    _, cache = backprop.forward(params, X, y, activation, loss)
    by_hand = backprop.backward(params, cache)
    by_autograd = backprop.autograd_gradients(params, X, y, activation, loss)
    numerical = backprop.numerical_gradients(params, X, y, activation, loss)
    for name in params:
        assert by_hand[name].shape == params[name].shape
        assert backprop.relative_error(by_hand[name], by_autograd[name]) < 1e-12
        assert backprop.relative_error(by_hand[name], numerical[name]) < 1e-6


def test_forward_equals_torch_modules():
    params, X, y = problem("cross_entropy")
    loss, cache = backprop.forward(params, X, y)
    logits = F.linear(torch.tanh(F.linear(X, params["W1"], params["b1"])), params["W2"], params["b2"])
    assert torch.allclose(cache["z2"], logits) and torch.allclose(loss, F.cross_entropy(logits, y))
    with pytest.raises(ValueError, match="unknown loss"):
        backprop.forward(params, X, y, loss="hinge")


class HandWritten(torch.autograd.Function):
    """The two-layer network's loss, with backprop.backward as its backward pass (so `compare` can test it)."""

    @staticmethod
    def forward(ctx, W1, b1, W2, b2, X, y, activation, loss):
        params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
        value, ctx.cache = backprop.forward(params, X, y, activation, loss)
        ctx.params = params
        return value

    @staticmethod
    def backward(ctx, grad):
        grads = backprop.backward(ctx.params, ctx.cache)
        return (*(grad * grads[k] for k in ["W1", "b1", "W2", "b2"]), None, None, None, None)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("loss, n, n_out", [("cross_entropy", 7, 3), ("cross_entropy", 1, 2), ("mse", 5, 4)])
def test_backward_through_compare(activation, loss, n, n_out):
    params, X, y = problem(loss, n=n, n_out=n_out, seed=3)

    def reference(W1, b1, W2, b2, X, y, activation, loss):
        act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[activation]
        out = F.linear(act(F.linear(X, W1, b1)), W2, b2)
        return F.cross_entropy(out, y) if loss == "cross_entropy" else F.mse_loss(out, y)

    inputs = [params[k] for k in ["W1", "b1", "W2", "b2"]]
    # X and y are passed as plain values (not compared): only the parameters' gradients are hand-written
    assert_same(lambda *ps: HandWritten.apply(*ps, X, y, activation, loss),
                lambda *ps: reference(*ps, X, y, activation, loss), *inputs, atol=1e-12)


def test_layer_backward_rules_equal_autograd():
    x, W, b = torch.randn(6, 3, dtype=D), torch.randn(2, 3, dtype=D), torch.randn(2, dtype=D)

    class Linear(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, W, b):
            ctx.save_for_backward(x, W)
            return x @ W.T + b

        @staticmethod
        def backward(ctx, grad_out):
            return backprop.linear_backward(grad_out, *ctx.saved_tensors)

    assert_same(Linear.apply, F.linear, x, W, b, atol=1e-12)
    assert_same(Linear.apply, F.linear, torch.randn(1, 5, dtype=D), torch.randn(5, 5, dtype=D),
                torch.randn(5, dtype=D), atol=1e-12)

    class CrossEntropy(torch.autograd.Function):
        @staticmethod
        def forward(ctx, logits, targets):
            ctx.save_for_backward(logits, targets)
            return F.cross_entropy(logits, targets)

        @staticmethod
        def backward(ctx, grad):
            return grad * backprop.softmax_cross_entropy_backward(*ctx.saved_tensors), None

    class SquaredError(torch.autograd.Function):
        @staticmethod
        def forward(ctx, predictions, targets):
            ctx.save_for_backward(predictions, targets)
            return F.mse_loss(predictions, targets)

        @staticmethod
        def backward(ctx, grad):
            predictions, targets = ctx.saved_tensors
            gradient = backprop.mse_backward(predictions, targets)
            return grad * gradient, -grad * gradient

    for n, c in [(5, 4), (1, 3), (8, 10)]:
        logits = torch.randn(n, c, dtype=D) * 5
        assert_same(CrossEntropy.apply, F.cross_entropy, logits, torch.randint(0, c, (n,)), atol=1e-12)
    huge = torch.tensor([[1000.0, -1000.0], [0.0, 1000.0]], dtype=D)
    assert_same(CrossEntropy.apply, F.cross_entropy, huge, torch.tensor([1, 0]), atol=1e-12)
    for shape in [(3, 2), (7,), ()]:
        assert_same(SquaredError.apply, F.mse_loss, torch.randn(shape, dtype=D), torch.randn(shape, dtype=D),
                    atol=1e-12)


def test_central_differences_beat_one_sided_ones():
    x = torch.tensor([0.3, -1.2, 2.0], dtype=D)
    f = lambda: (x.sin() * x).sum()
    exact = x.sin() + x * x.cos()
    central = backprop.numerical_gradient(f, x, eps=1e-4)
    one_sided = backprop.numerical_gradient(f, x, eps=1e-4, central=False)
    assert (central - exact).abs().max() < 1e-7 < (one_sided - exact).abs().max() < 1e-3
    assert torch.equal(x, torch.tensor([0.3, -1.2, 2.0], dtype=D))  # restored


def test_relative_error():
    a = torch.tensor([1.0, 2.0])
    assert backprop.relative_error(a, a) == 0.0
    assert backprop.relative_error(torch.zeros(2), torch.zeros(2)) == 0.0
    assert backprop.relative_error(a, -a) == pytest.approx(1.0)


def test_init_params_shapes_and_scale():
    params = backprop.init_params(4, 6, 3, seed=1)
    assert {k: tuple(v.shape) for k, v in params.items()} == {"W1": (6, 4), "b1": (6,), "W2": (3, 6), "b2": (3,)}
    assert params["W1"].abs().max() <= 0.5 and params["W2"].dtype == D


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "elu", "relu", "leaky_relu", "softplus", "gelu"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_backward_equals_autograd_with_a_zero_initialised_first_layer(activation, loss):
    """Issue 17: every z1 is exactly 0, where sigmoid / tanh / elu's autograd gradient used to be wrong."""
    params, X, y = problem(loss)
    params["W1"].zero_(), params["b1"].zero_()
    _, cache = backprop.forward(params, X, y, activation, loss)
    by_hand = backprop.backward(params, cache)
    by_autograd = backprop.autograd_gradients(params, X, y, activation, loss)
    for name in params:
        torch.testing.assert_close(by_hand[name], by_autograd[name], atol=1e-12, rtol=1e-10)


@pytest.mark.parametrize("activation", ["step", "identity"])
def test_autograd_gradients_of_every_activation_the_forward_accepts(activation):
    """Issue 17: a step unit cuts the first layer from the graph; autograd_gradients raised instead of giving 0."""
    params, X, y = problem("cross_entropy")
    _, cache = backprop.forward(params, X, y, activation)
    by_hand = backprop.backward(params, cache)
    by_autograd = backprop.autograd_gradients(params, X, y, activation)
    for name in params:
        torch.testing.assert_close(by_hand[name], by_autograd[name], atol=1e-12, rtol=1e-10)
    if activation == "step":
        assert not by_autograd["W1"].any() and not by_autograd["b1"].any()
