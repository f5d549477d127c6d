"""A small reverse-mode automatic differentiation engine on tensors (chapter "Forward propagation, loss and
backpropagation").

A `Variable` holds a torch tensor that never records gradients itself, and remembers the operation that made it
and that operation's local backward rule. `Variable.backward` orders the recorded graph topologically and applies
the rules from the output back to the leaves, summing the gradient of every operand that broadcasting stretched
back to its own shape (`unbroadcast`). It is micrograd's idea (Karpathy), on tensors instead of scalars.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import Tensor

Backward = Callable[[Tensor], Sequence[Tensor]]


def unbroadcast(grad: Tensor, shape: Sequence[int]) -> Tensor:
    """Sum `grad` down to `shape`: the gradient of an operand that broadcasting stretched to `grad.shape`.

    Broadcasting copies the operand along added leading axes and along its axes of length 1; each copy passes
    gradient back, so the copies' gradients add up.
    """
    shape = tuple(shape)
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(dim=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(dim=stretched, keepdim=True)
    return grad


class Variable:
    """A tensor in a recorded computation: `data`, and after `backward()` the gradient `grad` of the output."""

    def __init__(self, data: Tensor | float, name: str = "", parents: tuple[Variable, ...] = (), op: str = "",
                 backward: Backward | None = None):
        if isinstance(data, Variable):
            raise TypeError("Variable(Variable(...)): wrap tensors or numbers, not Variables")
        self.data = data.detach() if isinstance(data, Tensor) else torch.tensor(data, dtype=torch.get_default_dtype())
        self.grad: Tensor | None = None
        self.name = name
        self.parents = parents
        self.op = op
        self._backward = backward

    # ----------------------------------------------------------------------------------------------- plumbing
    @property
    def shape(self) -> torch.Size:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def __repr__(self) -> str:
        what = f"op={self.op!r}" if self.op else "leaf"
        name = f", name={self.name!r}" if self.name else ""
        return f"Variable(shape={tuple(self.shape)}, {what}{name})"

    def named(self, name: str) -> Variable:
        """Give this value a name (shown in graph drawings); returns self, so it chains."""
        self.name = name
        return self

    def _lift(self, other: Variable | Tensor | float) -> Variable:
        """Numbers and plain tensors join the graph as constants with our dtype and device."""
        if isinstance(other, Variable):
            return other
        constant = torch.as_tensor(other, dtype=self.data.dtype, device=self.data.device)
        return Variable(constant, name=f"{other:g}" if isinstance(other, (int, float)) else "const")

    def _child(self, data: Tensor, parents: tuple[Variable, ...], op: str, backward: Backward) -> Variable:
        return Variable(data, parents=parents, op=op, backward=backward)

    # ------------------------------------------------------------------------- arithmetic, with broadcasting
    def __add__(self, other) -> Variable:
        other = self._lift(other)
        return self._child(self.data + other.data, (self, other), "+", lambda g: (g, g))

    def __sub__(self, other) -> Variable:
        other = self._lift(other)
        return self._child(self.data - other.data, (self, other), "-", lambda g: (g, -g))

    def __mul__(self, other) -> Variable:
        other = self._lift(other)
        a, b = self.data, other.data
        return self._child(a * b, (self, other), "×", lambda g: (g * b, g * a))

    def __truediv__(self, other) -> Variable:
        other = self._lift(other)
        a, b = self.data, other.data
        return self._child(a / b, (self, other), "÷", lambda g: (g / b, -g * a / b ** 2))

    def __neg__(self) -> Variable:
        return self._child(-self.data, (self,), "neg", lambda g: (-g,))

    def __pow__(self, k: float) -> Variable:
        if not isinstance(k, (int, float)):
            raise TypeError("Variable ** k: the exponent must be a number (use exp and log for a Variable power)")
        a = self.data
        if k == 0:  # a ** 0 = 1 is constant; k a^(k-1) would be 0 * inf = NaN at a = 0 (torch gives 0)
            return self._child(torch.ones_like(a), (self,), "**0", lambda g: (torch.zeros_like(a),))
        return self._child(a ** k, (self,), f"**{k:g}", lambda g: (g * k * a ** (k - 1),))

    def __radd__(self, other) -> Variable:
        return self._lift(other) + self

    def __rsub__(self, other) -> Variable:
        return self._lift(other) - self

    def __rmul__(self, other) -> Variable:
        return self._lift(other) * self

    def __rtruediv__(self, other) -> Variable:
        return self._lift(other) / self

    def __matmul__(self, other) -> Variable:
        other = self._lift(other)
        if self.ndim == 0 or other.ndim == 0:
            raise RuntimeError("both arguments to matmul need to be at least 1D, as in torch")
        if self.ndim == 1 and other.ndim == 1:  # vector · vector; `*` would broadcast a length-1 vector
            if self.shape != other.shape:
                raise RuntimeError(f"inconsistent vector sizes for @: {self.shape[0]} and {other.shape[0]}")
            return (self * other).sum()
        if self.ndim == 1:  # a vector on the left is a one-row matrix
            out = self.reshape(1, -1) @ other
            return out.reshape(*other.shape[:-2], other.shape[-1])
        if other.ndim == 1:  # a vector on the right is a one-column matrix
            return (self @ other.reshape(-1, 1)).reshape(*self.shape[:-1])
        a, b = self.data, other.data
        # out = a b: dL/da = g bᵀ and dL/db = aᵀ g, each of its factor's shape
        return self._child(a @ b, (self, other), "@",
                           lambda g: (g @ b.mT, a.mT @ g))

    def __rmatmul__(self, other) -> Variable:
        return self._lift(other) @ self

    # ---------------------------------------------------------------------------------- element-wise functions
    def exp(self) -> Variable:
        out = self.data.exp()
        return self._child(out, (self,), "exp", lambda g: (g * out,))

    def log(self) -> Variable:
        a = self.data
        return self._child(a.log(), (self,), "log", lambda g: (g / a,))

    def tanh(self) -> Variable:
        out = self.data.tanh()
        return self._child(out, (self,), "tanh", lambda g: (g * (1 - out ** 2),))

    def sigmoid(self) -> Variable:
        out = torch.sigmoid(self.data)
        return self._child(out, (self,), "sigmoid", lambda g: (g * out * (1 - out),))

    def relu(self) -> Variable:
        positive = (self.data > 0).to(self.data.dtype)
        return self._child(self.data * positive, (self,), "relu", lambda g: (g * positive,))

    # ------------------------------------------------------------------------------ reductions and reshaping
    def _reduction(self, op: str, out: Tensor, dim: int | tuple[int, ...] | None, keepdim: bool) -> Variable:
        shape, scale = self.shape, out.numel() / max(self.data.numel(), 1)  # scale: 1 / (elements per result)

        def backward(g: Tensor) -> tuple[Tensor]:
            if dim is not None and not keepdim:  # put back the reduced axes, then copy the gradient along them
                for d in sorted(d % len(shape) for d in ((dim,) if isinstance(dim, int) else dim)):
                    g = g.unsqueeze(d)
            g = g.expand(shape)
            return (g if op == "sum" else g * scale,)

        return self._child(out, (self,), op, backward)

    def sum(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False) -> Variable:
        out = self.data.sum() if dim is None else self.data.sum(dim=dim, keepdim=keepdim)
        return self._reduction("sum", out, dim, keepdim)

    def mean(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False) -> Variable:
        out = self.data.mean() if dim is None else self.data.mean(dim=dim, keepdim=keepdim)
        return self._reduction("mean", out, dim, keepdim)

    def reshape(self, *shape: int) -> Variable:
        original = self.shape
        return self._child(self.data.reshape(*shape), (self,), "reshape", lambda g: (g.reshape(original),))

    def transpose(self, dim0: int = -2, dim1: int = -1) -> Variable:
        op = ".T" if self.ndim == 2 else "transpose"  # of a matrix, any transpose is .T
        return self._child(self.data.transpose(dim0, dim1), (self,), op,
                           lambda g: (g.transpose(dim0, dim1),))

    @property
    def T(self) -> Variable:  # noqa: N802 - the mathematical name, as in torch
        return self.transpose(-2, -1)

    # --------------------------------------------------------------------------------------------- backward
    def topological_order(self) -> list[Variable]:
        """Every value this one depends on, each after all of its parents (iterative: deep graphs are fine)."""
        order: list[Variable] = []
        seen: set[int] = set()
        stack: list[tuple[Variable, bool]] = [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node.parents if id(p) not in seen)
        return order

    def backward(self, grad: Tensor | None = None) -> None:
        """Set `.grad` of every value in the graph to d(self)/d(value).

        With `grad`, differentiate sum(grad * self) instead. Gradients of
        earlier calls are replaced, not accumulated.
        """
        if grad is None:
            if self.data.numel() != 1:
                raise RuntimeError(
                    "backward() without a gradient needs a single number, not "
                    f"shape {tuple(self.shape)}: reduce it or pass grad")
            grad = torch.ones_like(self.data)
        order = self.topological_order()
        for node in order:
            node.grad = None
        grad = torch.as_tensor(grad, dtype=self.data.dtype,
                               device=self.data.device)
        self.grad = grad.expand(self.shape)
        for node in reversed(order):  # a node's consumers come before it
            if node._backward is None or node.grad is None:
                continue
            for parent, g in zip(node.parents, node._backward(node.grad)):
                g = unbroadcast(g, parent.shape)
                # a value used twice gets gradient from both uses: add them
                parent.grad = g if parent.grad is None else parent.grad + g
