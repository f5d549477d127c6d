"""Recurrent cells from scratch (RNN, LSTM, GRU), unrolled over time, and a memory task with a growing delay.

Used by the chapter "Recurrent networks: cells, backpropagation through time and memory"; the cells follow
PyTorch's weight layout (gate order i, f, g, o for the LSTM and r, z, n for the GRU), so that the weights of an
`nn.RNN` / `nn.LSTM` / `nn.GRU` can be loaded unchanged and the results compared.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn

from dlcourse import seeding

Weights = tuple[Tensor, Tensor, Tensor, Tensor]
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
"""Number of weight blocks per cell: one for the plain RNN, four LSTM gates (i, f, g, o), three GRU ones (r, z, n)."""


def rnn_cell(x: Tensor, h: Tensor, W_ih: Tensor, W_hh: Tensor, b_ih: Tensor, b_hh: Tensor) -> Tensor:
    """One step of an Elman RNN: h' = tanh(W_ih x + b_ih + W_hh h + b_hh)."""
    return torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)


def lstm_cell(x: Tensor, state: tuple[Tensor, Tensor], W_ih: Tensor, W_hh: Tensor, b_ih: Tensor,
              b_hh: Tensor) -> tuple[Tensor, Tensor]:
    """One LSTM step on (h, c): input, forget and output gates decide what enters, stays in and leaves the cell."""
    h, c = state
    i, f, g, o = (x @ W_ih.T + b_ih + h @ W_hh.T + b_hh).chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * c + i * g
    return o * torch.tanh(c), c


def gru_cell(x: Tensor, h: Tensor, W_ih: Tensor, W_hh: Tensor, b_ih: Tensor, b_hh: Tensor) -> Tensor:
    """One GRU step: the update gate z mixes the old state with a candidate built from the reset-gated state."""
    x_r, x_z, x_n = (x @ W_ih.T + b_ih).chunk(3, dim=-1)
    h_r, h_z, h_n = (h @ W_hh.T + b_hh).chunk(3, dim=-1)
    r = torch.sigmoid(x_r + h_r)
    z = torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h


CELLS: dict[str, Callable] = {"rnn": rnn_cell, "lstm": lstm_cell, "gru": gru_cell}


def unroll(kind: str, x: Tensor, weights: Weights, state=None):
    """Run a cell over a batch of sequences x (N, T, D); return the outputs (N, T, H) and the final state.

    The same weights are applied at every step and the state is carried from one step to the next: this loop is
    the "unrolled graph" through which backpropagation through time sends its gradients.
    """
    cell = CELLS[kind]
    hidden = weights[1].shape[1]
    if state is None:
        zeros = x.new_zeros(x.shape[0], hidden)
        state = (zeros, zeros) if kind == "lstm" else zeros
    outputs = []
    for t in range(x.shape[1]):
        state = cell(x[:, t], state, *weights)
        outputs.append(state[0] if kind == "lstm" else state)
    return torch.stack(outputs, dim=1), state


def torch_layer(kind: str, input_size: int, hidden_size: int, **kwargs) -> nn.Module:
    """PyTorch's one-layer `nn.RNN` / `nn.LSTM` / `nn.GRU` with batch-first inputs."""
    layer = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind]
    return layer(input_size, hidden_size, batch_first=True, **kwargs)


def weights_of(layer: nn.Module) -> Weights:
    """The first layer's (W_ih, W_hh, b_ih, b_hh) of a PyTorch recurrent module, in the order the cells take them."""
    return layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0, layer.bias_hh_l0


def torch_unroll(kind: str, x: Tensor, weights: Weights, state=None):
    """The reference: PyTorch's fused layer run with the given weights (functional, so gradients reach them)."""
    W_ih, W_hh, b_ih, b_hh = weights
    layer = torch_layer(kind, W_ih.shape[1], W_hh.shape[1]).to(x.dtype)
    params = dict(zip(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"], weights))
    if state is not None:
        state = (state[0][None], state[1][None]) if kind == "lstm" else state[None]
    outputs, final = torch.func.functional_call(layer, params, (x, state))
    final = (final[0][0], final[1][0]) if kind == "lstm" else final[0]
    return outputs, final


def count_parameters(kind: str, input_size: int, hidden_size: int) -> int:
    """Weights and biases of one recurrent layer: each gate has an input matrix, a recurrent matrix, two biases."""
    return GATES[kind] * (hidden_size * input_size + hidden_size * hidden_size + 2 * hidden_size)


# --- A task that needs memory: recall the first symbol after a delay -------------------------------------------

def recall_task(n: int, delay: int, symbols: int = 4, noise_symbols: int = 4, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Sequences of length delay + 1: a symbol to remember, then `delay` random distractors; the label is the symbol.

    Tokens 0 .. symbols-1 are the symbols, the next `noise_symbols` tokens the distractors. Guessing gives 1/symbols.
    """
    g = seeding.generator(seed)
    first = torch.randint(symbols, (n,), generator=g)
    rest = torch.randint(symbols, symbols + noise_symbols, (n, delay), generator=g)
    return torch.cat([first[:, None], rest], dim=1), first


def remember_at_start(layer: nn.Module, kind: str, bias: float) -> None:
    """Start a gated layer in "keep the state" mode: add `bias` to the LSTM forget gate or the GRU update gate."""
    block = {"lstm": 1, "gru": 1}.get(kind)  # f is the 2nd LSTM block, z the 2nd GRU block
    if block is None:
        raise ValueError(f"a plain {kind} has no gate to bias")
    hidden = layer.weight_hh_l0.shape[1]
    with torch.no_grad():
        layer.bias_hh_l0[block * hidden:(block + 1) * hidden] += bias


class SequenceClassifier(nn.Module):
    """Tokens -> one-hot -> a recurrent layer -> a linear read-out of the last hidden state."""

    def __init__(self, kind: str, vocabulary: int, hidden: int, classes: int, remember_bias: float = 0.0):
        super().__init__()
        self.vocabulary = vocabulary
        self.recurrent = torch_layer(kind, vocabulary, hidden)
        self.readout = nn.Linear(hidden, classes)
        if remember_bias:
            remember_at_start(self.recurrent, kind, remember_bias)

    def forward(self, tokens: Tensor) -> Tensor:
        x = nn.functional.one_hot(tokens, self.vocabulary).float()
        outputs, _ = self.recurrent(x)
        return self.readout(outputs[:, -1])


def gradient_through_time(kind: str, delay: int, hidden: int = 32, remember_bias: float = 0.0,
                          seed: int = 0) -> Tensor:
    """Norm of d(loss)/d(input at step t) for every t, for a freshly initialised SequenceClassifier.

    It shows how much the first inputs can still influence the loss at the end: the quantity that decides whether
    a long delay can be learned at all.
    """
    seeding.seed(seed)
    model = SequenceClassifier(kind, 8, hidden, 4, remember_bias)
    tokens, labels = recall_task(64, delay, seed=seed)
    x = nn.functional.one_hot(tokens, 8).float().requires_grad_(True)
    outputs, _ = model.recurrent(x)
    loss = nn.functional.cross_entropy(model.readout(outputs[:, -1]), labels)
    (grad,) = torch.autograd.grad(loss, x)
    return grad.norm(dim=(0, 2))
