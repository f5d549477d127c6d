"""Exercise checks of the chapters "Recurrent networks" and "A character-level language model": one RNN step, one
LSTM step (gate order, carried cell state), an LSTM's parameter count, bits per character, sampling temperature."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from dlcourse import rnn
from dlcourse.checks import Incorrect, NotAttempted, call, exercise, expect_close, expect_number, fresh_generator

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


def _inputs(gates: int, g: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
    """(x, h, c, W_ih, W_hh, b_ih, b_hh): the fixed input, or with `g` a fresh one of fresh sizes."""
    if g is None:
        return (_X, _Hs, _C) + (_RNN_W if gates == 1 else _LSTM_W)
    n, d, h = (int(v) for v in torch.randint(2, 6, (3,), generator=g))
    shapes = [(n, d), (n, h), (n, h), (gates * h, d), (gates * h, h), (gates * h,), (gates * h,)]
    return tuple(torch.randn(s, generator=g, dtype=torch.float64) for s in shapes)


@exercise("one RNN step", hint="h' = tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh): both the input and the previous "
                              "state enter, each through its own matrix.")
def rnn_step(answer) -> str:
    """Check `answer(x, h, W_ih, W_hh, b_ih, b_hh)`: the next hidden state of an Elman RNN, shape (N, H)."""
    for case, (x, h, _, W_ih, W_hh, b_ih, b_hh) in enumerate((_inputs(1), _inputs(1, fresh_generator()))):
        got = call(answer, x, h, W_ih, W_hh, b_ih, b_hh)
        pre = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
        expect_close(got, torch.tanh(pre), "your new state" + (" for a second, random input" if case else ""),
                     mistakes={
            "the previous state h is not used: the hidden state must be carried (add h @ W_hh.T + b_hh)":
                torch.tanh(x @ W_ih.T + b_ih + b_hh),
            "the activation is missing: apply tanh": pre,
            "that is a sigmoid; the Elman RNN (and nn.RNN) uses tanh": torch.sigmoid(pre),
            "that is ReLU; nn.RNN's default is tanh": torch.relu(pre),
            "a bias is missing (nn.RNN has two, b_ih and b_hh)": torch.tanh(pre - b_hh),
            "the input term is missing: x @ W_ih.T + b_ih enters too": torch.tanh(h @ W_hh.T + b_hh + b_ih),
            "you returned the old state h unchanged": h,
        })
    return "Your step equals nn.RNN's: the new state mixes the input with the carried state."


@exercise("one LSTM step", hint="Split the pre-activations into four chunks in the order i, f, g, o; "
                               "c' = f * c + i * g and h' = o * tanh(c').")
def lstm_step(answer) -> str:
    """Check `answer(x, (h, c), W_ih, W_hh, b_ih, b_hh)` -> (h', c'), with PyTorch's gate order i, f, g, o."""
    for case, (x, h0, c0, *W) in enumerate((_inputs(4), _inputs(4, fresh_generator()))):
        _lstm_case(answer, x, h0, c0, W, " for a second, random input" if case else "")
    return "Your LSTM step equals nn.LSTM's, gate order included."


def _lstm_case(answer, x, h0, c0, W, where: str) -> None:
    got = call(answer, x, (h0, c0), *W)
    h_ref, c_ref = rnn.lstm_cell(x, (h0, c0), *W)
    if isinstance(got, torch.Tensor) and tuple(got.shape) == tuple(h_ref.shape):
        if torch.allclose(got.double(), h_ref, atol=1e-5):
            raise Incorrect("you returned h' alone: return two tensors, the new hidden state and the new cell "
                            "state: (h, c)")
        raise Incorrect("return two tensors, the new hidden state and the new cell state: (h, c)")
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Incorrect("return two tensors, the new hidden state and the new cell state: (h, c)")
    pairs = [(t.detach().double() if isinstance(t, torch.Tensor) else None) for t in got]
    if all(t is not None and t.shape == h_ref.shape for t in pairs) and torch.allclose(pairs[0], c_ref, atol=1e-5) \
            and torch.allclose(pairs[1], h_ref, atol=1e-5):
        raise Incorrect("your two states are in the wrong order: you returned (c', h'); nn.LSTM's cell returns "
                        "(h', c'), the hidden state first")
    pre = x @ W[0].T + W[2] + h0 @ W[1].T + W[3]
    blocks = dict(zip("ifgo", pre.chunk(4, dim=-1)))

    def variant(order: str, carry: bool = True, squash: bool = True):
        parts = dict(zip(order, pre.chunk(4, dim=-1)))
        i, f, g, o = (torch.sigmoid(parts["i"]), torch.sigmoid(parts["f"]), torch.tanh(parts["g"]),
                      torch.sigmoid(parts["o"]))
        c = (f * c0 if carry else 0) + i * g
        return o * (torch.tanh(c) if squash else c), c

    wrong_orders = {"i, f, o, g": "ifog", "f, i, g, o": "figo", "i, g, f, o": "igfo", "g, i, f, o": "gifo"}
    mistakes_c = {f"wrong gate order ({name}); PyTorch's order is i, f, g, o": variant(order)[1]
                  for name, order in wrong_orders.items()}
    mistakes_c["the old cell state is not carried: c' = f * c + i * g"] = variant("ifgo", carry=False)[1]
    mistakes_c["the input gate and the forget gate are swapped in c' = f * c + i * g"] = (
        torch.sigmoid(blocks["i"]) * c0 + torch.sigmoid(blocks["f"]) * torch.tanh(blocks["g"]))
    mistakes_c["the candidate g went through a sigmoid; it uses tanh"] = (
        torch.sigmoid(blocks["f"]) * c0 + torch.sigmoid(blocks["i"]) * torch.sigmoid(blocks["g"]))
    expect_close(got[1], c_ref, "your new cell state c'" + where, mistakes=mistakes_c)
    mistakes_h = {f"wrong gate order ({name}); PyTorch's order is i, f, g, o": variant(order)[0]
                  for name, order in wrong_orders.items()}
    mistakes_h["h' should squash the cell state: o * tanh(c'), not o * c'"] = variant("ifgo", squash=False)[0]
    mistakes_h["h' uses the old cell state c instead of the new c'"] = torch.sigmoid(blocks["o"]) * torch.tanh(c0)
    mistakes_h["the output gate is missing: h' = o * tanh(c')"] = torch.tanh(c_ref)
    expect_close(got[0], h_ref, "your new hidden state h'" + where, mistakes=mistakes_h)


def _whole_number(value, what: str) -> int:
    """`value` as an int, or Incorrect saying why it is not a count (numpy integers and 1-element tensors are fine)."""
    return expect_number(value, what, whole=True)


@exercise("LSTM parameters", hint="Four gates; each has a (H, D) input matrix, an (H, H) recurrent matrix and "
                                 "two bias vectors of length H (PyTorch keeps b_ih and b_hh).")
def lstm_parameters(answer) -> str:
    """Check `answer(input_size, hidden_size)`: the number of parameters of nn.LSTM(input_size, hidden_size)."""
    fresh = tuple(int(v) for v in torch.randint(1, 200, (2,), generator=fresh_generator()))
    for d, h in [(10, 20), (3, 7), (1, 1), fresh]:
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


def _lm_inputs(g: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits (N, L, V) and padded targets (N, L): the fixed ones, or with `g` fresh ones of fresh sizes."""
    if g is None:
        return _LOGITS, _TARGETS
    n, length, vocab = (int(v) for v in torch.randint(2, 7, (3,), generator=g))
    logits = torch.randn(n, length, vocab, generator=g, dtype=torch.float64) * 2
    targets = torch.randint(0, vocab, (n, length), generator=g)
    lengths = torch.randint(1, length + 1, (n,), generator=g)
    lengths[0] = length  # one name fills the whole row, others are padded
    targets[torch.arange(length)[None, :] >= lengths[:, None]] = -100
    return logits, targets


@exercise("bits per character", hint="Sum the cross-entropy over the real characters only (ignore_index=-100, "
                                    "reduction='sum'), divide by their number, then by ln 2.")
def bits_per_character(answer) -> str:
    """Check `answer(logits, targets)`: bits per character, logits (N, L, V), targets (N, L) with -100 padding."""
    for case, (logits, targets) in enumerate((_lm_inputs(), _lm_inputs(fresh_generator()))):
        got = call(answer, logits, targets)
        n, vocab = logits.shape[0], logits.shape[-1]
        flat_logits, flat_targets = logits.reshape(-1, vocab), targets.reshape(-1)
        nats = F.cross_entropy(flat_logits, flat_targets, ignore_index=-100)
        total = F.cross_entropy(flat_logits, flat_targets, ignore_index=-100, reduction="sum")
        per_name = torch.stack([F.cross_entropy(logits[i], targets[i], ignore_index=-100) for i in range(n)]).mean()
        padded_as_zero = F.cross_entropy(flat_logits, flat_targets.clamp(min=0))
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.reshape(())  # a one-element tensor is a fine scalar
        mistakes = {
            "that is in nats: divide by ln 2 to get bits": nats,
            "that averages per name, then over names; average over all characters instead": per_name / math.log(2),
            "padding is counted as characters: ignore the -100 targets": padded_as_zero / math.log(2),
            "log base 10 instead of base 2": nats / math.log(10),
            "the bits are summed over the characters; bits per character is their average (divide by the number "
            "of real characters)": total / math.log(2),
            "that is the total in nats: average over the real characters and divide by ln 2": total,
            "the sum is divided by every position, padding included; divide by the real characters only":
                total / math.log(2) / flat_targets.numel(),
        }
        if per_name.item() == nats.item():
            del mistakes["that averages per name, then over names; average over all characters instead"]
        expect_close(got, nats / math.log(2), "your bits per character" + (" for a second, random batch" if case
                                                                           else ""), mistakes=mistakes)
    return "Correct: the mean cross-entropy over real characters, in bits."


@exercise("sampling temperature", hint="Divide the logits by the temperature, then apply the softmax over the last "
                                      "dimension.")
def sampling_probabilities(answer) -> str:
    """Check `answer(logits, temperature)`: the probabilities softmax(logits / temperature) over the last axis."""
    fresh = fresh_generator()
    cases = [(_LOGITS[0], 0.5), (_LOGITS[0], 1.0), (_LOGITS[0], 2.0),
             (torch.randn(4, 7, generator=fresh, dtype=torch.float64) * 3, 0.2 + 3 * torch.rand((), generator=fresh).item())]
    for logits, temperature in cases:
        got = call(answer, logits, temperature)
        mistakes = {"no softmax: return probabilities that sum to 1": logits / temperature,
                    "the softmax is taken over the wrong dimension": torch.softmax(logits / temperature, dim=0)}
        if temperature != 1.0:
            mistakes["the temperature is ignored: divide the logits by it before the softmax"] = torch.softmax(
                logits, -1)
            mistakes["the logits are multiplied by the temperature; divide them"] = torch.softmax(
                logits * temperature, -1)
            mistakes["the temperature is applied after the softmax; divide the logits before it"] = torch.softmax(
                logits, -1) / temperature
        expect_close(got, torch.softmax(logits / temperature, -1), f"your probabilities at temperature {temperature:.3g}",
                     mistakes=mistakes)
    return "Correct. Low temperatures sharpen the distribution towards the most likely character, high ones flatten it."
