"""Exercise checks of the chapter "Feedforward networks": counting an MLP's parameters, its forward pass."""
from __future__ import annotations

import torch

from dlcourse.checks import Incorrect, call, exercise, expect_close
from dlcourse.mlp import forward, parameter_count

_SIZES = [[64, 128, 10], [2, 3, 1], [1, 64, 64, 1], [784, 256, 128, 10]]


@exercise("counting parameters", hint="A layer from n_in to n_out units has an (n_out, n_in) weight matrix and "
                                      "n_out biases; add the layers up.")
def mlp_parameters(answer) -> str:
    """Check `answer(sizes)`: the number of weights and biases of a fully connected net with these widths."""
    for sizes in _SIZES:
        got = call(answer, list(sizes))
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        if not isinstance(got, int) or isinstance(got, bool):
            raise Incorrect(f"for sizes {sizes} you return {got!r:.80}; a count is a whole number (int)")
        if abs(got) > 10**15:
            raise Incorrect(f"for sizes {sizes} you return a number with {len(str(abs(got)))} digits: far too "
                            "large for a count of parameters")
        right = parameter_count(sizes)
        if got == right:
            continue
        pairs = list(zip(sizes[:-1], sizes[1:]))
        weights = sum(a * b for a, b in pairs)
        mistakes = {"only the weights are counted: every unit after the input also has a bias": weights,
                    "the input units have no biases (they are not neurons): add biases for layers 2..L only":
                        weights + sum(sizes),
                    "the layer widths were multiplied together instead of layer by layer":
                        int(torch.tensor(sizes).prod().item()),
                    "each layer's bias count uses its input width; biases belong to the output units":
                        weights + sum(a for a, _ in pairs)}
        case = f"for sizes {sizes} you give {got}, expected {right}"
        for diagnosis, wrong in mistakes.items():
            if got == wrong:
                raise Incorrect(f"{case}: {diagnosis}.")
        raise Incorrect(case + ".")
    return "Right. The digits MLP 64-128-10 has 9,610 parameters; remember the number for the next chapter."


def _network(sizes: list[int], seed: int) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    weights = [torch.randn(b, a, generator=g, dtype=torch.float64) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [torch.randn(b, generator=g, dtype=torch.float64) for b in sizes[1:]]
    return weights, biases


@exercise("an MLP's forward pass", hint="h = x; for each layer h = h @ W.T + b, then ReLU, except after the last "
                                        "layer, which returns raw scores.")
def mlp_forward(answer) -> str:
    """Check `answer(x, weights, biases)`: a ReLU MLP's outputs; weights are (out, in) as in nn.Linear."""
    weights, biases = _network([4, 4, 4, 4], seed=1)  # square layers: a missing transpose still runs
    x = torch.randn(6, 4, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    got = call(answer, x, weights, biases)
    relu = lambda h: h.clamp(min=0)
    after_last = relu(forward(x, weights, biases, "relu"))
    expect_close(got, forward(x, weights, biases, "relu"), "your output", mistakes={
        "there is a ReLU after the last layer: the output layer gives raw scores (logits)": after_last,
        "there is no activation between the layers: the network collapses to one linear map":
            forward(x, weights, biases, "identity"),
        "W is used untransposed: nn.Linear's weight is (out, in), so compute h @ W.T":
            forward(x, [w.T for w in weights], biases, "relu"),
        "the biases are missing": forward(x, weights, [torch.zeros_like(b) for b in biases], "relu"),
        "that is tanh, not ReLU": forward(x, weights, biases, "tanh"),
    })
    weights, biases = _network([5, 7, 3], seed=3)
    x = torch.randn(2, 5, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    expect_close(call(answer, x, weights, biases), forward(x, weights, biases, "relu"),
                 "your output for a 5-7-3 network")
    return "Your forward pass equals nn.Sequential(Linear, ReLU, ..., Linear)."
