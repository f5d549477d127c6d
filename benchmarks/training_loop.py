"""Training-loop overhead: dlcourse's `fit` against a minimal hand-written PyTorch loop and a d2l-style loop.

Same model (MLP 64-128-10), data (sklearn digits, 1,348 training images), batch size 64, Adam 1e-3, 20 epochs
(440 steps) and initial weights for all; runs alternate, the median of the repetitions is reported. `fit` also
records the training loss and accuracy of every batch (on the device, read once per epoch); the hand-written loop
records nothing, so `fit` is also timed with `metric=None` to separate the loop's cost from the accuracy's.

The d2l-style loop reproduces the inner loop of d2l's training functions (`train_epoch_ch3` in d2l 0.17, and
`train_ch6` in d2l 1.0.3, the current release, less its plotting): DataLoader batches, per-batch loss and
accuracy accumulated with `float(...)`, i.e. a device synchronisation per batch. It is rewritten here rather than
imported because `d2l.torch` imports torchvision, pandas and PIL at module level (for its data loaders), which this
project does not install; `pip install d2l --no-deps` alone cannot import it.
Usage: python benchmarks/training_loop.py [--repeats 7]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from common import write
from dlcourse import data
from dlcourse.training import fit

EPOCHS, BATCH = 20, 64


def make_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def raw_loop(model, X, y) -> None:
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    for _ in range(EPOCHS):
        for index in torch.randperm(len(X), generator=generator).split(BATCH):
            loss = F.cross_entropy(model(X[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def d2l_style_loop(model, X, y) -> None:
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=BATCH, shuffle=True)
    loss_fn = nn.CrossEntropyLoss(reduction="none")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(EPOCHS):
        model.train()
        totals = [0.0, 0.0, 0.0]  # loss sum, correct, examples
        for xb, yb in loader:
            y_hat = model(xb)
            losses = loss_fn(y_hat, yb)
            optimizer.zero_grad()
            losses.mean().backward()
            optimizer.step()
            correct = float((y_hat.argmax(axis=1).type(yb.dtype) == yb).type(yb.dtype).sum())
            totals = [totals[0] + float(losses.sum().detach()), totals[1] + correct, totals[2] + yb.numel()]


def fit_loop(model, X, y) -> None:
    fit(model, (X, y), epochs=EPOCHS, batch_size=BATCH, lr=1e-3, device="cpu", progress=False, live_plot=False)


def fit_loss_only(model, X, y) -> None:
    fit(model, (X, y), epochs=EPOCHS, batch_size=BATCH, lr=1e-3, device="cpu", progress=False, live_plot=False,
        metric=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    X, y, _, _ = data.digits()
    loops = {"hand-written loop": raw_loop, "d2l-style loop": d2l_style_loop, "dlcourse fit": fit_loop,
             "dlcourse fit, metric=None": fit_loss_only}
    times: dict[str, list[float]] = {name: [] for name in loops}
    names = list(loops)
    for repeat in range(args.repeats + 1):
        shift = repeat % len(names)
        order = names[shift:] + names[:shift]  # alternate which loop runs first
        for name in order:
            model = make_model()
            start = time.perf_counter()
            loops[name](model, X, y)
            if repeat:  # the first round warms up caches and allocators
                times[name].append(time.perf_counter() - start)
    steps = EPOCHS * -(-len(X) // BATCH)
    median = {name: statistics.median(t) for name, t in times.items()}
    rows = []
    for name in names:
        rows.append([name, f"{median[name]:.3f}", f"{steps / median[name]:.0f}",
                     f"{median['hand-written loop'] / median[name]:.2f}x",
                     f"{median['d2l-style loop'] / median[name]:.2f}x"])
    write("training_loop", f"Training-loop throughput, {steps} steps, median of {args.repeats} alternating runs.",
          ["loop", "seconds", "steps/s", "vs hand-written", "vs d2l-style"], rows,
          {"steps": steps, "median_seconds": median,
           "fit_vs_raw": median["hand-written loop"] / median["dlcourse fit"],
           "fit_without_metric_vs_raw": median["hand-written loop"] / median["dlcourse fit, metric=None"],
           "fit_vs_d2l": median["d2l-style loop"] / median["dlcourse fit"]})


if __name__ == "__main__":
    main()
