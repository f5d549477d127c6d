"""dlcourse.autograd against torch.autograd: every operation, broadcasting, reused values, deep graphs."""
import pytest
import torch

from dlcourse.autograd import Variable, unbroadcast
from dlcourse.autograd_nn import engine_function
from dlcourse.compare import assert_same

D = torch.float64


def randn(*shape):
    return torch.randn(*shape, dtype=D)


def positive(*shape):
    return torch.rand(*shape, dtype=D) + 0.5


# Each expression runs unchanged on Variables and on torch tensors (same method names).
EXPRESSIONS = {
    "add, sub, mul with broadcasting": (lambda a, b, c: (a + b) * c - b, (randn(3, 4), randn(4), randn(3, 1))),
    "division both ways": (lambda a, b: a / b + 2 / b - b / 3, (randn(3, 4), positive(3, 4))),
    "negation and powers": (lambda a: -(a ** 3) + a ** 2 * 0.5, (randn(5),)),
    "fractional power": (lambda a: a ** 0.5 + a ** -1.5, (positive(2, 3),)),
    "matmul 2-D": (lambda a, b: a @ b, (randn(3, 4), randn(4, 2))),
    "matmul vector on the right": (lambda a, v: a @ v, (randn(3, 4), randn(4))),
    "matmul vector on the left": (lambda v, a: v @ a, (randn(3), randn(3, 4))),
    "matmul batched with broadcast": (lambda a, b: a @ b, (randn(2, 3, 4), randn(4, 5))),
    "vector dot vector": (lambda u, v: u @ v, (randn(4), randn(4))),
    "exp, log": (lambda a: (a.exp() + 1).log(), (randn(4, 3),)),
    "tanh, sigmoid, relu": (lambda a: a.tanh() * a.sigmoid() + a.relu(), (randn(6, 2),)),
    "reused value": (lambda a: a * a + a.tanh() * a, (randn(3, 3),)),
    "reused intermediate": (lambda a, b: (lambda h: h * h.exp() + h)(a @ b), (randn(2, 3), randn(3, 2))),
    "sum over all, axes, keepdim": (lambda a: a.sum() + a.sum(0) * a.sum(1, keepdim=True), (randn(3, 4),)),
    "sum over a tuple of axes": (lambda a: a.sum((0, 2)), (randn(2, 3, 4),)),
    "mean variants": (lambda a: a.mean() + a.mean(-1) + a.mean(0, keepdim=True), (randn(4, 4),)),
    "reshape and transpose": (lambda a: a.reshape(6, 2).T @ a.reshape(2, 6).transpose(0, 1), (randn(3, 4),)),
    "scalar and (1, 1) operands": (lambda a, s, t: a * s + t, (randn(3, 2), randn(()), randn(1, 1))),
    "two-layer network and loss": (
        lambda x, W1, b1, W2: ((x @ W1.T + b1).tanh() @ W2.T).sigmoid().mean(),
        (randn(5, 3), randn(4, 3), randn(4), randn(2, 4))),
}


@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_engine_equals_torch_autograd(name):
    expression, inputs = EXPRESSIONS[name]
    assert_same(engine_function(expression), expression, *inputs, atol=1e-10)


def test_variables_directly_and_gradients_replace_earlier_ones():
    a, b = randn(3, 4), randn(4)
    x, w = Variable(a, name="x"), Variable(b, name="w")
    out = ((x * w).tanh() + w).sum()
    out.backward()
    ta, tb = a.clone().requires_grad_(), b.clone().requires_grad_()
    ((ta * tb).tanh() + tb).sum().backward()
    assert torch.allclose(x.grad, ta.grad, atol=1e-12) and torch.allclose(w.grad, tb.grad, atol=1e-12)
    assert out.grad.item() == 1.0 and w.grad.shape == (4,)
    first = x.grad.clone()
    out.backward()  # a second call gives the same gradients, it does not add to them
    assert torch.equal(x.grad, first)


def test_backward_with_a_seed_gradient():
    a = randn(3)
    x = Variable(a)
    y = x * 2
    y.backward(torch.tensor([1.0, 0.0, -1.0], dtype=D))
    assert torch.equal(x.grad, torch.tensor([2.0, 0.0, -2.0], dtype=D))


def test_backward_of_a_non_scalar_needs_a_gradient():
    with pytest.raises(RuntimeError, match="single number"):
        (Variable(randn(3)) * 2).backward()


def test_deep_graphs_do_not_hit_the_recursion_limit():
    x = Variable(torch.tensor(0.5, dtype=D))
    y = x
    for _ in range(5000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 5000)


def test_topological_order_puts_parents_first():
    a, b = Variable(randn(2)), Variable(randn(2))
    c = a * b
    d = c + a
    e = (d * c).sum()
    order = e.topological_order()
    index = {id(v): i for i, v in enumerate(order)}
    assert len(order) == 6 and order[-1] is e
    for node in order:
        assert all(index[id(p)] < index[id(node)] for p in node.parents)


def test_constants_take_the_dtype_and_unused_leaves_get_no_gradient():
    x = Variable(torch.ones(2, dtype=D))
    unused = Variable(torch.ones(2, dtype=D))
    y = (3 * x + 1).sum()
    assert y.data.dtype == D
    y.backward()
    assert unused.grad is None and torch.equal(x.grad, torch.full((2,), 3.0, dtype=D))


def test_unbroadcast():
    g = torch.ones(2, 4, 3)
    assert unbroadcast(g, (4, 3)).shape == (4, 3) and unbroadcast(g, (4, 3))[0, 0] == 2
    assert unbroadcast(g, (1, 3)).shape == (1, 3) and unbroadcast(g, (1, 3))[0, 0] == 8
    assert unbroadcast(g, (4, 1)).shape == (4, 1) and unbroadcast(g, (4, 1))[0, 0] == 6
    assert unbroadcast(g, ()).shape == () and unbroadcast(g, ()).item() == 24
    assert torch.equal(unbroadcast(g, (2, 4, 3)), g)


def test_misuse_is_explained():
    x = Variable(randn(2))
    with pytest.raises(TypeError, match="exponent"):
        x ** x
    with pytest.raises(TypeError, match="not Variables"):
        Variable(x)
    assert "leaf" in repr(x) and "op='+'" in repr(x + 1)
    assert x.named("x") is x and x.name == "x" and x.ndim == 1


def test_power_zero_at_zero_has_torchs_zero_gradient():
    """Issue 17: k a^(k-1) is 0 * inf = NaN at a = 0 for k = 0; torch's gradient of a ** 0 is 0."""
    x = torch.tensor([0.0, -1.5, 2.0], dtype=D)
    assert_same(engine_function(lambda a: a ** 0 + a ** 0.0 * a), lambda a: a ** 0 + a ** 0.0 * a, x, atol=0)
    assert_same(engine_function(lambda a: a ** 1 + a ** 2), lambda a: a ** 1 + a ** 2, x, atol=1e-12)


@pytest.mark.parametrize("left, right", [((3,), (1,)), ((1,), (4,)), ((3,), (4,)), ((), (3,)), ((3,), ())])
def test_matmul_refuses_what_torch_refuses(left, right):
    """Issue 17: vectors of lengths 3 and 1 broadcast through `*` and multiplied; torch raises."""
    with pytest.raises(RuntimeError):
        torch.randn(left, dtype=D) @ torch.randn(right, dtype=D)
    with pytest.raises(RuntimeError):
        Variable(torch.randn(left, dtype=D)) @ Variable(torch.randn(right, dtype=D))
