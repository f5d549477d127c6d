"""Exercise checks of the chapter "Feedforward networks": counting an MLP's parameters, its forward pass."""
from __future__ import annotations

import torch

from dlcourse.checks import Incorrect, call, exercise, expect_close, expect_number, fresh_generator
from dlcourse.mlp import forward, parameter_count

_SIZES = [[64, 128, 10], [2, 3, 1], [1, 64, 64, 1], [784, 256, 128, 10]]


@exercise("counting parameters", hint="A layer from n_in to n_out units has an (n_out, n_in) weight matrix and "
                                      "n_out biases; add the layers up.")
def mlp_parameters(answer) -> str:
    """Check `answer(sizes)`: the number of weights and biases of a fully connected net with these widths."""
    g = fresh_generator()
    fresh = [int(v) for v in torch.randint(1, 300, (int(torch.randint(2, 6, (), generator=g)),), generator=g)]
    for sizes in _SIZES + [fresh]:
        got = call(answer, list(sizes))
        if isinstance(got, float) or isinstance(got, torch.Tensor) and got.is_floating_point():
            raise Incorrect(f"for sizes {sizes} you return {got!r:.80}; a count is a whole number (int)")
        try:  # ints, numpy integers (np.int64 from np.prod) and one-element tensors are all counts
            got = expect_number(got, f"for sizes {sizes} your count", whole=True)
        except Incorrect:
            raise Incorrect(f"for sizes {sizes} you return {got!r:.80}; a count is a whole number (int)") from None
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
    fresh = int(torch.randint(0, 2 ** 31, (), generator=fresh_generator()))
    width = 3 + fresh % 4
    cases = [([4, 4, 4, 4], 1, 2, 6), ([5, 7, 3], 3, 4, 2), ([width] * (3 + fresh % 2), fresh, fresh + 1, 5)]
    for sizes, seed, x_seed, n in cases:  # square layers first: a missing transpose still runs there
        weights, biases = _network(sizes, seed=seed)
        x = torch.randn(n, sizes[0], generator=torch.Generator().manual_seed(x_seed), dtype=torch.float64)
        got = call(answer, x, weights, biases)
        relu = lambda h: h.clamp(min=0)  # noqa: E731
        mistakes = {
            "there is a ReLU after the last layer: the output layer gives raw scores (logits)":
                relu(forward(x, weights, biases, "relu")),
            "there is no activation between the layers: the network collapses to one linear map":
                forward(x, weights, biases, "identity"),
            **({"W is used untransposed: nn.Linear's weight is (out, in), so compute h @ W.T":
                forward(x, [w.T for w in weights], biases, "relu")} if len(set(sizes)) == 1 else {}),
            "the biases are missing": forward(x, weights, [torch.zeros_like(b) for b in biases], "relu"),
            "that is tanh, not ReLU": forward(x, weights, biases, "tanh"),
            "that is a sigmoid between the layers, not ReLU": forward(x, weights, biases, "sigmoid"),
            "the last layer is skipped: apply every (W, b) pair, the last one without ReLU":
                relu(forward(x, weights[:-1], biases[:-1], "relu")),
            "the last layer is skipped, and so is the ReLU before it": forward(x, weights[:-1], biases[:-1], "relu"),
            "the first layer is skipped: start from h = x and apply every layer": forward(
                x @ weights[0].T + biases[0], weights[1:], biases[1:], "relu"),
        }
        where = "" if seed == 1 else f" for a {'-'.join(map(str, sizes))} network" + (
            " with fresh random weights" if seed == fresh else "")
        expect_close(got, forward(x, weights, biases, "relu"), "your output" + where, mistakes=mistakes)
    return "Your forward pass equals nn.Sequential(Linear, ReLU, ..., Linear)."
