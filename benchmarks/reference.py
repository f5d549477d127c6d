"""The course's from-scratch implementations against PyTorch's built-ins, at the sizes the chapters use.

Each case times forward and backward together (median of repetitions); the ratio is ours / PyTorch's (goal:
within 3x). Usage: python benchmarks/reference.py
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from common import seconds, write
from dlcourse import activations, neuron

Case = tuple[str, str, Callable, Callable, Callable[[], tuple]]


def forward_backward(fn: Callable, make_inputs: Callable[[], tuple]) -> Callable[[], None]:
    inputs = make_inputs()

    def run() -> None:
        leaves = [x.detach().requires_grad_(x.is_floating_point()) for x in inputs]
        fn(*leaves).sum().backward()

    return run


def cases() -> list[Case]:
    batch = lambda: (torch.randn(1347, 64),)  # the digits training set, 64 pixels
    layer = lambda: (torch.randn(1347, 64), torch.randn(128, 64), torch.randn(128))
    listed: list[Case] = []
    for name in ("sigmoid", "tanh", "relu", "gelu", "softplus"):
        act = activations.get(name)
        listed.append((f"activation: {name}", "1347×64", act.f, act.reference, batch))
    listed.append(("neuron.layer (sigmoid)", "1347×64 → 128", lambda x, W, b: neuron.layer(x, W, b, "sigmoid"),
                   lambda x, W, b: torch.sigmoid(F.linear(x, W, b)), layer))
    return listed


def main() -> None:
    rows, data = [], {}
    for name, size, ours, theirs, make_inputs in cases():
        torch.manual_seed(0)
        t_ours = seconds(forward_backward(ours, make_inputs), repeat=7, number=20)
        t_torch = seconds(forward_backward(theirs, make_inputs), repeat=7, number=20)
        ratio = t_ours / t_torch
        rows.append([name, size, f"{t_ours * 1e6:.0f}", f"{t_torch * 1e6:.0f}", f"{ratio:.2f}",
                     "yes" if ratio <= 3 else "NO"])
        data[name] = {"ours_us": round(t_ours * 1e6, 1), "torch_us": round(t_torch * 1e6, 1), "ratio": round(ratio, 3)}
    write("reference", "From-scratch code against PyTorch's built-ins, forward + backward, median of 7×20 calls.",
          ["implementation", "size", "ours (µs)", "PyTorch (µs)", "ratio", "within 3x"], rows, {"cases": data})


if __name__ == "__main__":
    main()
