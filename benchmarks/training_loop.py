"""Training-loop overhead: dlcourse's `fit` against a minimal hand-written PyTorch loop and a d2l-style loop.

Two models, each with the same data (sklearn digits, 1,348 training images), batch size 64, Adam 1e-3, 20 epochs
(440 steps) and initial weights for all loops: the MLP 64-128-10 of "Feedforward networks", so small that a step
takes about 0.2 ms and any per-step bookkeeping shows, and the digits CNN of "Convolutional networks". Runs
alternate; the median of the repetitions is reported. `fit` also
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
from dlcourse import conv, data
from dlcourse.training import fit

EPOCHS, BATCH = 20, 64


def make_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def make_cnn() -> nn.Module:
    torch.manual_seed(0)
    return conv.digits_cnn()


MODELS = {"MLP 64-128-10": (make_model, True), "digits CNN": (make_cnn, False)}  # name: (factory, flat inputs)


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


def compare(make, X, y, repeats: int) -> dict[str, float]:
    """Median seconds of each loop on the same model, data and initial weights."""
    loops = {"hand-written loop": raw_loop, "d2l-style loop": d2l_style_loop, "dlcourse fit": fit_loop,
             "dlcourse fit, metric=None": fit_loss_only}
    times: dict[str, list[float]] = {name: [] for name in loops}
    names = list(loops)
    for repeat in range(repeats + 1):
        shift = repeat % len(names)
        order = names[shift:] + names[:shift]  # alternate which loop runs first
        for name in order:
            model = make()
            start = time.perf_counter()
            loops[name](model, X, y)
            if repeat:  # the first round warms up caches and allocators
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rows, results = [], {}
    for model_name, (make, flat) in MODELS.items():
        X, y, _, _ = data.digits(flat=flat)
        median = compare(make, X, y, args.repeats)
        steps = EPOCHS * -(-len(X) // BATCH)
        for name, seconds in median.items():
            rows.append([model_name, name, f"{seconds:.3f}", f"{steps / seconds:.0f}",
                         f"{median['hand-written loop'] / seconds:.2f}x", f"{median['d2l-style loop'] / seconds:.2f}x"])
        results[model_name] = {
            "steps": steps, "median_seconds": median,
            "fit_vs_raw": median["hand-written loop"] / median["dlcourse fit"],
            "fit_without_metric_vs_raw": median["hand-written loop"] / median["dlcourse fit, metric=None"],
            "fit_vs_d2l": median["d2l-style loop"] / median["dlcourse fit"]}
    write("training_loop", f"Training-loop throughput, {EPOCHS} epochs of batches of {BATCH}, median of "
          f"{args.repeats} alternating runs.",
          ["model", "loop", "seconds", "steps/s", "vs hand-written", "vs d2l-style"], rows, results)


if __name__ == "__main__":
    main()
