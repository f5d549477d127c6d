"""The course's one training loop, `fit`: mini-batches, a progress bar, a live plot in notebooks, a returned `History`.

Every chapter that trains a model calls `fit`; nothing else in the course writes a training loop.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence, Union

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from dlcourse import seeding
from dlcourse.device import device as pick_device

Data = Union[tuple[Tensor, Tensor], torch.utils.data.TensorDataset]
LossFn = Callable[[Tensor, Tensor], Tensor]

_LOSSES: dict[str, LossFn] = {
    "cross_entropy": nn.functional.cross_entropy,
    "mse": nn.functional.mse_loss,
    "bce": lambda logits, y: nn.functional.binary_cross_entropy_with_logits(logits.squeeze(-1), y.float()),
}


@dataclass
class History:
    """Per-epoch records of a `fit` run; `metric` is accuracy for classification losses, else None."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_metric: list[float] = field(default_factory=list)
    val_metric: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    metric_name: str | None = "accuracy"

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def summary(self) -> str:
        """One line: the last epoch's numbers."""
        if not self.train_loss:
            return "no epochs run"
        parts = [f"epoch {self.epochs}", f"train loss {self.train_loss[-1]:.4f}"]
        if self.val_loss:
            parts.append(f"val loss {self.val_loss[-1]:.4f}")
        if self.metric_name and self.train_metric:
            parts.append(f"train {self.metric_name} {self.train_metric[-1]:.3f}")
        if self.metric_name and self.val_metric:
            parts.append(f"val {self.metric_name} {self.val_metric[-1]:.3f}")
        parts.append(f"{sum(self.seconds):.1f} s")
        return ", ".join(parts)

    def plot(self, axes=None):
        """Loss (and metric) against epochs."""
        from dlcourse.plotting import plot_history

        return plot_history(self, axes)


def accuracy(outputs: Tensor, targets: Tensor) -> Tensor:
    """Fraction of correct predictions, for class logits (N, C) or single logits (N,) / (N, 1)."""
    if outputs.ndim == 1 or outputs.shape[-1] == 1:
        predicted = (outputs.reshape(-1) > 0).long()
        return (predicted == targets.reshape(-1).long()).float().mean()
    return (outputs.argmax(-1) == targets).float().mean()


def _hits(outputs: Tensor, targets: Tensor) -> Tensor:
    """Which predictions are correct (behind `accuracy`, in as few tensor operations as possible)."""
    if outputs.ndim == 1 or outputs.shape[-1] == 1:
        return (outputs.reshape(-1) > 0) == targets.reshape(-1).bool()
    return outputs.argmax(-1) == targets


def _loss_function(loss: str | LossFn) -> LossFn:
    if callable(loss):
        return loss
    if loss not in _LOSSES:
        raise ValueError(f"unknown loss {loss!r}: use one of {', '.join(_LOSSES)} or pass a function")
    return _LOSSES[loss]


def _as_tensors(data: Data) -> tuple[Tensor, Tensor]:
    if isinstance(data, torch.utils.data.TensorDataset):
        return data.tensors[0], data.tensors[1]
    if isinstance(data, (tuple, list)) and len(data) == 2 and all(isinstance(t, Tensor) for t in data):
        return data[0], data[1]
    raise TypeError("fit expects data as a pair of tensors (X, y) or a TensorDataset, "
                    f"got {type(data).__name__}")


def _batches(n: int, batch_size: int | None, shuffle: bool, generator: torch.Generator,
             device: torch.device) -> Sequence[Tensor]:
    """Index tensors of the batches, on the data's device (moved once per epoch, not once per batch)."""
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    size = n if batch_size is None else batch_size
    return order.to(device).split(size)


def evaluate(model: nn.Module, data: Data, loss: str | LossFn = "cross_entropy",
             metric: Callable[[Tensor, Tensor], Tensor] | None = accuracy,
             batch_size: int = 1024, device: torch.device | str | None = None) -> tuple[float, float | None]:
    """Mean loss and metric of `model` on `data`, without gradients."""
    loss_fn = _loss_function(loss)
    dev = torch.device(device) if device is not None else next(model.parameters()).device
    X, y = _as_tensors(data)
    was_training = model.training
    model.eval()
    total_loss = torch.zeros((), device=dev)
    total_metric = torch.zeros((), device=dev)
    with torch.no_grad():
        for index in torch.arange(len(X)).split(batch_size):
            xb, yb = X[index].to(dev), y[index].to(dev)
            out = model(xb)
            total_loss += loss_fn(out, yb) * len(index)
            if metric is not None:
                total_metric += metric(out, yb) * len(index)
    model.train(was_training)
    n = len(X)
    return total_loss.item() / n, (total_metric.item() / n if metric is not None else None)


def fit(model: nn.Module, train: Data, val: Data | None = None, *, epochs: int = 10,
        loss: str | LossFn = "cross_entropy", optimizer: torch.optim.Optimizer | None = None, lr: float = 1e-3,
        batch_size: int | None = 64, metric: Callable[[Tensor, Tensor], Tensor] | None | str = "auto",
        device: torch.device | str | None = None, seed: int | None = 0, progress: bool = True,
        live_plot: bool | None = None, clip_grad_norm: float | None = None,
        callback: Callable[[int, History], None] | None = None) -> History:
    """Train `model` on `train` for `epochs` passes and return its `History`.

    loss: "cross_entropy", "mse", "bce" or any `f(outputs, targets)`; optimizer: default Adam with `lr`;
    batch_size None means full-batch gradient descent; metric "auto" is accuracy for classification losses;
    live_plot None means "in a notebook only"; callback(epoch, history) runs after each epoch.
    """
    dev = torch.device(device) if device is not None else pick_device()
    loss_fn = _loss_function(loss)
    if metric == "auto":
        metric = accuracy if loss in ("cross_entropy", "bce") else None
    model.to(dev)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    X, y = (t.to(dev) for t in _as_tensors(train))
    val_data = tuple(t.to(dev) for t in _as_tensors(val)) if val is not None else None
    # seed None: drawn from torch's global generator, so a seeded run stays reproducible (torch.seed() would
    # reseed the global generator from the clock and make everything after the first fit differ run to run)
    generator = (seeding.generator(seed) if seed is not None
                 else torch.Generator().manual_seed(int(torch.randint(2**62, ()).item())))
    history = History(metric_name=getattr(metric, "__name__", None) if metric is not None else None)

    from dlcourse.plotting import LivePlot

    plot = LivePlot(history, enabled=live_plot)
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress, leave=True)
    model.train()
    for epoch in bar:
        start = time.perf_counter()
        # Per-batch records stay on the device and are summed once per epoch: no synchronisation per batch, and
        # as few tensor operations per step as possible (each costs microseconds on small models).
        losses, sizes, outputs, targets, metrics = [], [], [], [], []
        for index in _batches(len(X), batch_size, True, generator, dev):
            xb, yb = X[index], y[index]
            out = model(xb)
            batch_loss = loss_fn(out, yb)
            optimizer.zero_grad(set_to_none=True)
            batch_loss.backward()
            if clip_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
            optimizer.step()
            losses.append(batch_loss.detach())
            sizes.append(len(index))
            if metric is accuracy:  # scored once per epoch, on all outputs at once: no tensor work per step
                outputs.append(out.detach())
                targets.append(yb)
            elif metric is not None:
                metrics.append(metric(out.detach(), yb))
        weights = torch.tensor(sizes, dtype=torch.float32, device=dev)
        running_loss = torch.stack(losses).reshape(-1).float() @ weights
        if outputs:  # one hit per target: per token for sequence outputs (N, T, C)
            running_metric = _hits(torch.cat(outputs), torch.cat(targets)).sum()
        elif metrics:  # a learner's metric may return a Python number
            as_tensor = lambda m: torch.as_tensor(m, dtype=torch.float32, device=dev).reshape(())
            running_metric = torch.stack([as_tensor(m) for m in metrics]) @ weights
        history.train_loss.append(running_loss.item() / len(X))
        if metric is not None:
            history.train_metric.append(running_metric.item() / (y.numel() if outputs else len(X)))
        if val_data is not None:
            val_loss, val_metric = evaluate(model, val_data, loss_fn, metric, device=dev)
            history.val_loss.append(val_loss)
            if val_metric is not None:
                history.val_metric.append(val_metric)
        history.seconds.append(time.perf_counter() - start)
        if progress:
            bar.set_postfix_str(history.summary().split(", ", 1)[1].rsplit(", ", 1)[0])
        plot.update()
        if callback is not None:
            callback(epoch, history)
    bar.close()
    plot.finish()
    return history
