"""Neural networks on the course's autograd engine (chapter "Forward propagation, loss and backpropagation").

`cross_entropy` and `mlp_forward` are built only from `dlcourse.autograd.Variable` operations. `engine_function`
turns any such computation into a function of torch tensors whose gradients our engine computes (a
`torch.autograd.Function` whose backward calls `Variable.backward`), so `EngineMLP` is an `nn.Module` that the
course's one training loop, `dlcourse.training.fit`, trains with `torch.optim`, while every gradient comes from us.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import Tensor, nn

from dlcourse import seeding
from dlcourse.autograd import Variable


def log_softmax(logits: Variable, dim: int = -1) -> Variable:
    """z - log Σ exp(z), with the largest entry subtracted first (a constant: it cancels in value and gradient)."""
    shift = logits.data.amax(dim=dim, keepdim=True)
    shifted = logits - shift
    return shifted - shifted.exp().sum(dim, keepdim=True).log()


def cross_entropy(logits: Variable, targets: Tensor) -> Variable:
    """Mean over the batch of -log softmax(logits)[target], for logits (N, C) and integer class targets (N,)."""
    one_hot = torch.nn.functional.one_hot(targets.long(), logits.shape[-1]).to(logits.data.dtype)
    picked = (log_softmax(logits) * one_hot).sum(-1)  # the target class's log-probability, row by row
    return -picked.mean()


def mse(predictions: Variable, targets: Tensor | Variable) -> Variable:
    """Mean squared error."""
    return ((predictions - targets) ** 2).mean()


ACTIVATIONS: dict[str, Callable[[Variable], Variable]] = {
    "tanh": Variable.tanh, "relu": Variable.relu, "sigmoid": Variable.sigmoid}


def mlp_forward(x: Variable, params: list[Variable], activation: str = "tanh") -> Variable:
    """A multi-layer perceptron: params = [W1, b1, W2, b2, ...] in nn.Linear's layout (W is (out, in))."""
    act = ACTIVATIONS[activation]
    h = x
    pairs = list(zip(params[0::2], params[1::2]))
    for k, (W, b) in enumerate(pairs):
        h = h @ W.T + b
        if k < len(pairs) - 1:
            h = act(h)
    return h


class _Engine(torch.autograd.Function):
    """Forward: build the graph with Variables. Backward: our engine's `backward`, seeded with PyTorch's gradient."""

    @staticmethod
    def forward(ctx, build: Callable[..., Variable], *tensors: Tensor) -> Tensor:
        inputs = [Variable(t) for t in tensors]
        output = build(*inputs)
        ctx.graph = (inputs, output)
        return output.data.clone()

    @staticmethod
    def backward(ctx, grad_output: Tensor):
        inputs, output = ctx.graph
        output.backward(grad_output)
        del ctx.graph  # free the recorded graph, as PyTorch frees its own
        grads = [v.grad if v.grad is not None and v.data.is_floating_point() else None for v in inputs]
        return (None, *grads)


def engine_function(build: Callable[..., Variable]) -> Callable[..., Tensor]:
    """`build(*Variables) -> Variable` as a function of tensors that PyTorch can differentiate through our engine."""
    return lambda *tensors: _Engine.apply(build, *tensors)


def engine_cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    """Cross-entropy whose gradient our engine computes; a loss function for `fit`."""
    return engine_function(lambda z: cross_entropy(z, targets))(logits)


class EngineMLP(nn.Module):
    """An MLP whose parameters are torch Parameters but whose gradients come from our engine.

    `sizes` = [inputs, hidden..., outputs]; initialised like nn.Linear (uniform in ±1/sqrt(fan_in)).
    """

    def __init__(self, sizes: list[int], activation: str = "tanh", seed: int = 0):
        super().__init__()
        g = seeding.generator(seed)
        self.activation = activation
        self.params = nn.ParameterList()
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            bound = 1 / math.sqrt(n_in)
            self.params.append(nn.Parameter((torch.rand(n_out, n_in, generator=g) * 2 - 1) * bound))
            self.params.append(nn.Parameter((torch.rand(n_out, generator=g) * 2 - 1) * bound))
        self._function = engine_function(lambda x, *ps: mlp_forward(x, list(ps), self.activation))

    def forward(self, x: Tensor) -> Tensor:
        return self._function(x, *self.params)

    def torch_twin(self) -> nn.Sequential:
        """The same network as an ordinary nn.Sequential with copies of our parameters (for comparisons)."""
        act = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}[self.activation]
        layers: list[nn.Module] = []
        for k in range(0, len(self.params), 2):
            W, b = self.params[k], self.params[k + 1]
            linear = nn.Linear(W.shape[1], W.shape[0]).to(W.device, W.dtype)
            with torch.no_grad():
                linear.weight.copy_(W)
                linear.bias.copy_(b)
            layers += [linear, act()]
        return nn.Sequential(*layers[:-1])
