"""Backpropagation by hand for a two-layer network, and a finite-difference gradient checker (chapter "Forward
propagation, loss and backpropagation").

The network is Linear -> activation -> Linear -> loss, with weights in nn.Linear's layout (W is (out, in)).
`forward` keeps every intermediate value; `backward` applies the chain rule to them without autograd.
`numerical_gradients` estimates the same gradients by central differences, `relative_error` compares them.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import Tensor

from dlcourse import seeding
from dlcourse import activations, losses

Params = dict[str, Tensor]


def init_params(n_in: int, n_hidden: int, n_out: int, seed: int = 0, dtype: torch.dtype = torch.float64) -> Params:
    """W1 (hidden, in), b1, W2 (out, hidden), b2, drawn like nn.Linear's: uniform in ±1/sqrt(fan_in)."""
    g = seeding.generator(seed)

    def uniform(*shape: int, fan_in: int) -> Tensor:
        return ((torch.rand(*shape, generator=g, dtype=dtype) * 2 - 1) / math.sqrt(fan_in))

    return {"W1": uniform(n_hidden, n_in, fan_in=n_in), "b1": uniform(n_hidden, fan_in=n_in),
            "W2": uniform(n_out, n_hidden, fan_in=n_hidden), "b2": uniform(n_out, fan_in=n_hidden)}


def forward(params: Params, X: Tensor, y: Tensor, activation: str = "tanh",
            loss: str = "cross_entropy") -> tuple[Tensor, dict]:
    """The loss, and a cache of everything the backward pass needs.

    loss "cross_entropy" takes integer classes y (N,); "mse" takes real targets y (N, out).
    """
    z1 = X @ params["W1"].T + params["b1"]  # (N, hidden)
    h = activations.get(activation).f(z1)  # (N, hidden)
    z2 = h @ params["W2"].T + params["b2"]  # (N, out)
    if loss == "cross_entropy":
        value = losses.cross_entropy(z2, y)
    elif loss == "mse":
        value = losses.mse(z2, y)
    else:
        raise ValueError(f"unknown loss {loss!r}: use 'cross_entropy' or 'mse'")
    return value, {"X": X, "y": y, "z1": z1, "h": h, "z2": z2, "activation": activation, "loss": loss}


def softmax_cross_entropy_backward(logits: Tensor, targets: Tensor) -> Tensor:
    """d(mean cross-entropy)/d(logits) = (softmax(logits) - one_hot(targets)) / N."""
    one_hot = torch.nn.functional.one_hot(targets.long(), logits.shape[1]).to(logits.dtype)
    return (losses.softmax(logits, dim=1) - one_hot) / len(logits)


def mse_backward(predictions: Tensor, targets: Tensor) -> Tensor:
    """d(mean squared error)/d(predictions) = 2 (predictions - targets) / (number of elements)."""
    return 2 * (predictions - targets) / predictions.numel()


def linear_backward(grad_out: Tensor, x: Tensor,
                    W: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Gradients of out = x Wᵀ + b, given grad_out = dL/d(out), shape (N, out).

    Returns dL/dx (N, in), dL/dW (out, in), dL/db (out,): each has the shape
    of its variable. dW and db sum over the batch, because every example used
    the same W and b (the 1/N of a mean is already inside grad_out).
    """
    return grad_out @ W, grad_out.T @ x, grad_out.sum(dim=0)


def backward(params: Params, cache: dict) -> Params:
    """Every parameter's gradient, by the chain rule from the loss back."""
    if cache["loss"] == "cross_entropy":
        dz2 = softmax_cross_entropy_backward(cache["z2"], cache["y"])
    else:
        dz2 = mse_backward(cache["z2"], cache["y"])
    dh, dW2, db2 = linear_backward(dz2, cache["h"], params["W2"])
    activation = activations.get(cache["activation"])
    dz1 = dh * activation.derivative(cache["z1"])  # element-wise, unit by unit
    _, dW1, db1 = linear_backward(dz1, cache["X"], params["W1"])
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def autograd_gradients(params: Params, X: Tensor, y: Tensor, activation: str = "tanh",
                       loss: str = "cross_entropy") -> Params:
    """The same gradients from PyTorch's autograd, on copies of the parameters."""
    leaves = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    value, _ = forward(leaves, X, y, activation, loss)
    # A step activation cuts the first layer from the graph (its derivative is 0 everywhere): its gradient is zero,
    # as `backward` says, not an error.
    grads = torch.autograd.grad(value, list(leaves.values()), allow_unused=True)
    return {k: torch.zeros_like(leaves[k]) if g is None else g for k, g in zip(leaves, grads)}


def numerical_gradient(f: Callable[[], Tensor], x: Tensor, eps: float = 1e-6, central: bool = True) -> Tensor:
    """Finite-difference gradient of f() with respect to every element of x (changed in place, then restored).

    Central: (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), whose error shrinks like eps²; one-sided:
    (f(x + eps e_i) - f(x)) / eps, whose error shrinks only like eps.
    """
    grad = torch.zeros_like(x)
    flat, flat_grad = x.view(-1), grad.view(-1)
    at_x = None if central else float(f())
    for i in range(flat.numel()):
        original = flat[i].item()
        flat[i] = original + eps
        plus = float(f())
        flat[i] = original - eps
        minus = float(f()) if central else at_x
        flat[i] = original
        flat_grad[i] = (plus - minus) / (2 * eps if central else eps)
    return grad


def numerical_gradients(params: Params, X: Tensor, y: Tensor, activation: str = "tanh",
                        loss: str = "cross_entropy", eps: float = 1e-6, central: bool = True) -> Params:
    """Finite-difference estimates of every parameter's gradient (on copies: `params` is left untouched)."""
    work = {k: v.detach().clone() for k, v in params.items()}
    loss_now = lambda: forward(work, X, y, activation, loss)[0]
    return {k: numerical_gradient(loss_now, work[k], eps, central) for k in work}


def relative_error(a: Tensor, b: Tensor) -> float:
    """‖a - b‖ / (‖a‖ + ‖b‖): scale-free, 0 for equal tensors (and 0 when both are zero)."""
    a, b = a.double(), b.double()
    denominator = (a.norm() + b.norm()).item()
    return 0.0 if denominator == 0 else (a - b).norm().item() / denominator
