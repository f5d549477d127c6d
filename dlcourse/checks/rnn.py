"""Exercise checks of the chapters "Recurrent networks" and "A character-level language model": one RNN step, one
LSTM step (gate order, carried cell state), an LSTM's parameter count, bits per character, sampling temperature."""
from __future__ import annotations

import math
import numbers

import torch
import torch.nn.functional as F

from dlcourse import rnn
from dlcourse.checks import Incorrect, NotAttempted, _short, call, exercise, expect_close

_g = torch.Generator().manual_seed(5)
_D, _H, _N = 3, 4, 6
_X = torch.randn(_N, _D, generator=_g, dtype=torch.float64)
_Hs = torch.randn(_N, _H, generator=_g, dtype=torch.float64)
_C = torch.randn(_N, _H, generator=_g, dtype=torch.float64)


def _weights(gates: int) -> tuple[torch.Tensor, ...]:
    return (torch.randn(gates * _H, _D, generator=_g, dtype=torch.float64),
            torch.randn(gates * _H, _H, generator=_g, dtype=torch.float64),
            torch.randn(gates * _H, generator=_g, dtype=torch.float64),
            torch.randn(gates * _H, generator=_g, dtype=torch.float64))


_RNN_W = _weights(1)
_LSTM_W = _weights(4)


@exercise("one RNN step", hint="h' = tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh): both the input and the previous "
                              "state enter, each through its own matrix.")
def rnn_step(answer) -> str:
    """Check `answer(x, h, W_ih, W_hh, b_ih, b_hh)`: the next hidden state of an Elman RNN, shape (N, H)."""
    W_ih, W_hh, b_ih, b_hh = _RNN_W
    got = call(answer, _X, _Hs, *_RNN_W)
    pre = _X @ W_ih.T + b_ih + _Hs @ W_hh.T + b_hh
    expect_close(got, torch.tanh(pre), "your new state", mistakes={
        "the previous state h is not used: the hidden state must be carried (add h @ W_hh.T + b_hh)":
            torch.tanh(_X @ W_ih.T + b_ih + b_hh),
        "the activation is missing: apply tanh": pre,
        "that is a sigmoid; the Elman RNN (and nn.RNN) uses tanh": torch.sigmoid(pre),
        "that is ReLU; nn.RNN's default is tanh": torch.relu(pre),
        "a bias is missing (nn.RNN has two, b_ih and b_hh)": torch.tanh(pre - b_hh),
    })
    return "Your step equals nn.RNN's: the new state mixes the input with the carried state."


@exercise("one LSTM step", hint="Split the pre-activations into four chunks in the order i, f, g, o; "
                               "c' = f * c + i * g and h' = o * tanh(c').")
def lstm_step(answer) -> str:
    """Check `answer(x, (h, c), W_ih, W_hh, b_ih, b_hh)` -> (h', c'), with PyTorch's gate order i, f, g, o."""
    got = call(answer, _X, (_Hs, _C), *_LSTM_W)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Incorrect("return two tensors, the new hidden state and the new cell state: (h, c)")
    h_ref, c_ref = rnn.lstm_cell(_X, (_Hs, _C), *_LSTM_W)
    pre = _X @ _LSTM_W[0].T + _LSTM_W[2] + _Hs @ _LSTM_W[1].T + _LSTM_W[3]
    blocks = dict(zip("ifgo", pre.chunk(4, dim=-1)))

    def variant(order: str, carry: bool = True, squash: bool = True):
        parts = dict(zip(order, pre.chunk(4, dim=-1)))
        i, f, g, o = (torch.sigmoid(parts["i"]), torch.sigmoid(parts["f"]), torch.tanh(parts["g"]),
                      torch.sigmoid(parts["o"]))
        c = (f * _C if carry else 0) + i * g
        return o * (torch.tanh(c) if squash else c), c

    wrong_orders = {"i, f, o, g": "ifog", "f, i, g, o": "figo", "i, g, f, o": "igfo", "g, i, f, o": "gifo"}
    mistakes_c = {f"wrong gate order ({name}); PyTorch's order is i, f, g, o": variant(order)[1]
                  for name, order in wrong_orders.items()}
    mistakes_c["the old cell state is not carried: c' = f * c + i * g"] = variant("ifgo", carry=False)[1]
    mistakes_c["the input gate and the forget gate are swapped in c' = f * c + i * g"] = (
        torch.sigmoid(blocks["i"]) * _C + torch.sigmoid(blocks["f"]) * torch.tanh(blocks["g"]))
    expect_close(got[1], c_ref, "your new cell state c'", mistakes=mistakes_c)
    mistakes_h = {f"wrong gate order ({name}); PyTorch's order is i, f, g, o": variant(order)[0]
                  for name, order in wrong_orders.items()}
    mistakes_h["h' should squash the cell state: o * tanh(c'), not o * c'"] = variant("ifgo", squash=False)[0]
    mistakes_h["h' uses the old cell state c instead of the new c'"] = torch.sigmoid(blocks["o"]) * torch.tanh(_C)
    expect_close(got[0], h_ref, "your new hidden state h'", mistakes=mistakes_h)
    return "Your LSTM step equals nn.LSTM's, gate order included."


def _whole_number(value, what: str) -> int:
    """`value` as an int, or Incorrect saying why it is not a count (a fraction, NaN, a string, a whole tensor)."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise Incorrect(f"{what} should be one whole number, got a tensor of shape {tuple(value.shape)}")
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise Incorrect(f"{what} should be a whole number, got {type(value).__name__} {_short(value)}")
    if not math.isfinite(value) or value != int(value):
        raise Incorrect(f"{what} should be a whole number, got {value!r}")
    return int(value)


@exercise("LSTM parameters", hint="Four gates; each has a (H, D) input matrix, an (H, H) recurrent matrix and "
                                 "two bias vectors of length H (PyTorch keeps b_ih and b_hh).")
def lstm_parameters(answer) -> str:
    """Check `answer(input_size, hidden_size)`: the number of parameters of nn.LSTM(input_size, hidden_size)."""
    for d, h in [(10, 20), (3, 7), (1, 1)]:
        got = call(answer, d, h)
        if got is None:
            raise NotAttempted("the function returns None")
        got = _whole_number(got, f"for input_size={d}, hidden_size={h} your count")
        expected = rnn.count_parameters("lstm", d, h)
        wrong = {4 * (h * d + h * h + h): "only one bias per gate counted: nn.LSTM has two (b_ih and b_hh)",
                 h * d + h * h + 2 * h: "that counts one gate; an LSTM has four (i, f, g, o)",
                 3 * (h * d + h * h + 2 * h): "that is a GRU's count (three gates); an LSTM has four",
                 4 * (h * d + h * h): "the biases are missing",
                 4 * (h * d + 2 * h): "the recurrent matrices W_hh (H x H per gate) are missing"}
        if got != expected:
            raise Incorrect(f"for input_size={d}, hidden_size={h} you give {got}, nn.LSTM has {expected}" +
                            (f": {wrong[got]}" if got in wrong else ""))
    return "Right: 4 (H·D + H² + 2H). Note the H² term: the hidden size dominates the cost."


_LOGITS = torch.randn(3, 5, 6, generator=_g, dtype=torch.float64)
_TARGETS = torch.tensor([[2, 4, 0, -100, -100], [1, 0, -100, -100, -100], [5, 5, 3, 1, 0]])


@exercise("bits per character", hint="Sum the cross-entropy over the real characters only (ignore_index=-100, "
                                    "reduction='sum'), divide by their number, then by ln 2.")
def bits_per_character(answer) -> str:
    """Check `answer(logits, targets)`: bits per character, logits (N, L, V), targets (N, L) with -100 padding."""
    got = call(answer, _LOGITS, _TARGETS)
    flat_logits, flat_targets = _LOGITS.reshape(-1, 6), _TARGETS.reshape(-1)
    nats = F.cross_entropy(flat_logits, flat_targets, ignore_index=-100)
    per_name = torch.stack([F.cross_entropy(_LOGITS[i], _TARGETS[i], ignore_index=-100) for i in range(3)]).mean()
    padded_as_zero = F.cross_entropy(flat_logits, flat_targets.clamp(min=0))
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.reshape(())  # a one-element tensor is a fine scalar
    expect_close(got, nats / math.log(2), "your bits per character", mistakes={
                     "that is in nats: divide by ln 2 to get bits": nats,
                     "that averages per name, then over names; average over all characters instead": per_name / math.log(2),
                     "padding is counted as characters: ignore the -100 targets": padded_as_zero / math.log(2),
                     "log base 10 instead of base 2": nats / math.log(10)})
    return "Correct: the mean cross-entropy over real characters, in bits."


@exercise("sampling temperature", hint="Divide the logits by the temperature, then apply the softmax over the last "
                                      "dimension.")
def sampling_probabilities(answer) -> str:
    """Check `answer(logits, temperature)`: the probabilities softmax(logits / temperature) over the last axis."""
    logits = _LOGITS[0]
    for temperature in (0.5, 1.0, 2.0):
        got = call(answer, logits, temperature)
        mistakes = {"no softmax: return probabilities that sum to 1": logits / temperature,
                    "the softmax is taken over the wrong dimension": torch.softmax(logits / temperature, dim=0)}
        if temperature != 1.0:
            mistakes["the logits are multiplied by the temperature; divide them"] = torch.softmax(
                logits * temperature, -1)
            mistakes["the temperature is applied after the softmax; divide the logits before it"] = torch.softmax(
                logits, -1) / temperature
        expect_close(got, torch.softmax(logits / temperature, -1), f"your probabilities at temperature {temperature}",
                     mistakes=mistakes)
    return "Correct. Low temperatures sharpen the distribution towards the most likely character, high ones flatten it."
