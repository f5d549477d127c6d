"""The course's from-scratch implementations against PyTorch's built-ins, at the sizes the chapters use.

Each case times forward and backward together (median of repetitions); the ratio is ours / PyTorch's (goal:
within 3x). Usage: python benchmarks/reference.py
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from common import seconds, write
from dlcourse import activations, autograd, autograd_nn, conv, neuron, optim, rnn

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
    # the digits CNN (8x8 images, 16 then 32 channels) and the MNIST-1D 1-D CNN (length 40, 25 channels)
    image = lambda c, o: lambda: (torch.randn(64, c, 8, 8), torch.randn(o, c, 3, 3), torch.randn(o))
    listed.append(("conv.conv2d (unfold + matmul)", "64×1×8×8, 16 3×3 filters, pad 1",
                   lambda x, w, b: conv.conv2d(x, w, b, padding=1), lambda x, w, b: F.conv2d(x, w, b, padding=1),
                   image(1, 16)))
    listed.append(("conv.conv2d (unfold + matmul)", "64×16×8×8, 32 3×3 filters, pad 1",
                   lambda x, w, b: conv.conv2d(x, w, b, padding=1), lambda x, w, b: F.conv2d(x, w, b, padding=1),
                   image(16, 32)))
    listed.append(("conv.conv1d", "100×25×40, 25 filters of 5, pad 2",
                   lambda x, w, b: conv.conv1d(x, w, b, padding=2), lambda x, w, b: F.conv1d(x, w, b, padding=2),
                   lambda: (torch.randn(100, 25, 40), torch.randn(25, 25, 5), torch.randn(25))))
    listed.append(("conv.max_pool2d", "64×16×8×8, 2×2", lambda x: conv.max_pool2d(x, 2),
                   lambda x: F.max_pool2d(x, 2), lambda: (torch.randn(64, 16, 8, 8),)))
    # the language model's recurrent layer: batches of 64 names, 12 characters, 32-d embeddings, 128 units
    for kind in ("rnn", "lstm", "gru"):
        def sequence(kind=kind):
            torch.manual_seed(0)
            return (torch.randn(64, 12, 32), *(w.detach() for w in rnn.weights_of(rnn.torch_layer(kind, 32, 128))))
        listed.append((f"rnn.unroll ({kind}, a Python loop over time)", "64×12×32 → 128",
                       lambda x, *w, kind=kind: rnn.unroll(kind, x, w)[0],
                       lambda x, *w, kind=kind: rnn.torch_unroll(kind, x, w)[0], sequence))
    return listed


def engine_step() -> tuple[Callable[[], None], Callable[[], None]]:
    """One forward and backward pass of the chapter's 2-16-16-2 tanh MLP on 200 points: our engine, torch.autograd."""
    torch.manual_seed(0)
    x, y = torch.randn(200, 2), torch.randint(0, 2, (200,))
    shapes = [(16, 2), (16,), (16, 16), (16,), (2, 16), (2,)]
    tensors = [torch.randn(shape) * 0.5 for shape in shapes]

    def ours() -> None:
        params = [autograd.Variable(t) for t in tensors]
        autograd_nn.cross_entropy(autograd_nn.mlp_forward(autograd.Variable(x), params), y).backward()

    def theirs() -> None:
        params = [t.clone().requires_grad_(True) for t in tensors]
        h = x
        for k in range(0, len(params), 2):
            h = h @ params[k].T + params[k + 1]
            h = torch.tanh(h) if k < len(params) - 2 else h
        F.cross_entropy(h, y).backward()

    return ours, theirs


def optimizer_steps(name: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """100 steps of an optimizer on the parameters of a 64-128-10 MLP (the digits model), gradients fixed."""
    def make_run(build) -> Callable[[], None]:
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
        for p in model.parameters():
            p.grad = torch.randn_like(p) * 1e-3
        optimizer = build(model.parameters())

        def run() -> None:
            for _ in range(100):
                optimizer.step()
        return run

    cls, defaults = optim.OPTIMIZERS[name]
    return (make_run(lambda params: cls(params, lr=1e-3, **defaults)),
            make_run(lambda params: optim.TORCH[cls](params, lr=1e-3, **defaults)))


def whole_cases() -> list[tuple[str, str, Callable[[], None], Callable[[], None]]]:
    listed = [("autograd engine: MLP forward + backward", "200×2, 2-16-16-2", *engine_step())]
    for name in optim.OPTIMIZERS:
        listed.append((f"optimizer: {name}, 100 steps", "64-128-10 MLP", *optimizer_steps(name)))
    return listed


def main() -> None:
    rows, data = [], {}
    timed = [(name, size, forward_backward(ours, make_inputs), forward_backward(theirs, make_inputs))
             for name, size, ours, theirs, make_inputs in cases()] + whole_cases()
    for name, size, ours, theirs in timed:
        torch.manual_seed(0)
        t_ours = seconds(ours, repeat=7, number=20)
        t_torch = seconds(theirs, repeat=7, number=20)
        ratio = t_ours / t_torch
        rows.append([name, size, f"{t_ours * 1e6:.0f}", f"{t_torch * 1e6:.0f}", f"{ratio:.2f}",
                     "yes" if ratio <= 3 else "NO"])
        data[name] = {"ours_us": round(t_ours * 1e6, 1), "torch_us": round(t_torch * 1e6, 1), "ratio": round(ratio, 3)}
    write("reference", "From-scratch code against PyTorch's built-ins (functions: forward + backward), median of 7×20 calls.",
          ["implementation", "size", "ours (µs)", "PyTorch (µs)", "ratio", "within 3x"], rows, {"cases": data})


if __name__ == "__main__":
    main()
