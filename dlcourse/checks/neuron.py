"""Exercise checks of the chapter "The artificial neuron": a neuron's output, the sigmoid's derivative, XOR by hand."""
from __future__ import annotations

import torch

from dlcourse.activations import sigmoid, sigmoid_derivative as _sigmoid_derivative, step
from dlcourse.checks import Incorrect, NotAttempted, call, exercise, expect_close, expect_tensor, fresh_generator

_g = torch.Generator().manual_seed(1)
_X = torch.randn(5, 3, generator=_g, dtype=torch.float64)
_W = torch.randn(3, generator=_g, dtype=torch.float64)
_B = 0.7


@exercise("neuron output", hint="z = x @ w + b is one number per row of x; then apply the sigmoid 1 / (1 + exp(-z)).")
def neuron_output(answer) -> str:
    """Check `answer(x, w, b)`: the outputs (N,) of one sigmoid neuron for the N rows of x (N, d)."""
    g = fresh_generator()
    n, d = int(torch.randint(2, 9, (), generator=g)), int(torch.randint(2, 6, (), generator=g))
    fresh = (torch.randn(n, d, generator=g, dtype=torch.float64), torch.randn(d, generator=g, dtype=torch.float64),
             (torch.rand((), generator=g) * 2 - 1).item())
    for case, (x, w, b) in enumerate(((_X, _W, _B), fresh)):
        got = call(answer, x, w, b)
        if isinstance(got, torch.Tensor) and got.shape == (len(x), 1):
            raise Incorrect(f"your result has shape ({len(x)}, 1); one number per input row is expected, shape "
                            f"({len(x)},). Is w a column (d, 1) in your computation?")
        z = x @ w + b
        expect_close(got, sigmoid(z), "your output" + (" for a second, random input" if case else ""), mistakes={
            "the bias is missing (x @ w without + b)": sigmoid(x @ w),
            "the activation is missing: that is z = x @ w + b, not sigmoid(z)": z,
            "the bias is subtracted instead of added": sigmoid(x @ w - b),
            "that is tanh, not the sigmoid": torch.tanh(z),
            "the sign of z is flipped: sigmoid(z) = 1 / (1 + exp(-z))": sigmoid(-z),
            "that is ReLU, not the sigmoid": torch.relu(z),
        })
    one = call(answer, _X[0], _W, _B)
    expect_tensor(one, (), "your output for a single input x of shape (d,)")
    return "Your neuron matches sigmoid(x @ w + b), for a batch and for a single input."


@exercise("sigmoid derivative", hint="Write s = sigmoid(z); the derivative is s * (1 - s).")
def sigmoid_derivative(answer) -> str:
    """Check `answer(z)`: the derivative of the sigmoid at every element of z."""
    fresh = torch.randn(int(torch.randint(3, 30, (), generator=fresh_generator())), dtype=torch.float64) * 4
    for z in (torch.linspace(-6, 6, 25, dtype=torch.float64), fresh):
        _sigmoid_derivative_case(answer, z)
    big = call(answer, torch.tensor([-800.0, 800.0], dtype=torch.float64))
    big = expect_tensor(big, (2,), "your derivative at z = ±800")
    if not torch.allclose(big.double(), torch.zeros(2, dtype=torch.float64), atol=1e-12):
        raise Incorrect(f"at z = ±800 the derivative should be (almost) 0, got {big.tolist()}")
    return "Correct, and stable for large |z|. Note its maximum: 1/4 at z = 0."


def _sigmoid_derivative_case(answer, z: torch.Tensor) -> None:
    got = call(answer, z)
    s = sigmoid(z)
    expect_close(got, _sigmoid_derivative(z), "your derivative", mistakes={
        "that is the sigmoid itself, not its derivative": s,
        "z * (1 - z) uses z where the sigmoid's value s belongs: s * (1 - s)": z * (1 - z),
        "s * (1 + s) has the wrong sign inside: s * (1 - s)": s * (1 + s),
        "1 - s is only half of it: multiply by s": 1 - s,
        "that is the derivative of tanh": 1 - torch.tanh(z) ** 2,
    })


_CORNERS = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_TRUTH_TABLES = {(0, 0, 0, 1): "AND", (0, 1, 1, 1): "OR", (1, 1, 1, 0): "NAND", (1, 0, 0, 0): "NOR",
                 (0, 0, 0, 0): "a constant 0", (1, 1, 1, 1): "a constant 1", (1, 0, 0, 1): "XNOR (XOR inverted)"}


@exercise("XOR by hand", hint="Let one hidden unit compute OR and the other AND (or NAND); the output fires for "
                              "'OR and not AND'. Step units fire when their weighted sum is > 0.")
def xor_weights(answer) -> str:
    """Check `answer()` -> (W1, b1, W2, b2): a 2-2-1 network of step units that computes XOR on {0, 1}^2."""
    params = call(answer)
    if params is None:
        raise NotAttempted("the function returns None")
    if not isinstance(params, (tuple, list)) or len(params) != 4:
        raise Incorrect("return four things: W1 (2, 2), b1 (2,), W2 (1, 2), b2 (1,)")
    W1, b1, W2, b2 = (expect_tensor(p, shape, name).double() for p, shape, name in
                      zip(params, [(2, 2), (2,), (1, 2), (1,)], ["W1", "b1", "W2", "b2"]))
    hidden = step(_CORNERS.double() @ W1.T + b1)
    out = step(hidden @ W2.T + b2).reshape(-1)
    table = tuple(int(v) for v in out.tolist())
    if table == (0, 1, 1, 0):
        return f"Your network computes XOR. Hidden units on the four corners: {hidden.int().tolist()}."
    name = _TRUTH_TABLES.get(table)
    outputs = ", ".join(f"{tuple(int(c) for c in corner.tolist())} -> {v}" for corner, v in zip(_CORNERS, table))
    raise Incorrect(f"your network gives {outputs}" + (f", which is {name}" if name else "") +
                    "; XOR gives 0, 1, 1, 0.")
