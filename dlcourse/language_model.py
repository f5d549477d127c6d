"""Character-level language modelling of first names: encoding, a recurrent model, bits per character, sampling.

Used by the chapter "A character-level language model". Token 0 is the boundary "." that starts and ends every
name; targets past a name's end are `IGNORE`, so that padding never counts in the loss.
"""
from __future__ import annotations

import math
import random

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from dlcourse import seeding

BOUNDARY = "."
IGNORE = -100
"""Target value of padded positions (PyTorch's default `ignore_index`)."""


class Vocabulary:
    """Characters <-> integer tokens; token 0 is the boundary."""

    def __init__(self, words: list[str]):
        self.chars = [BOUNDARY] + sorted(set("".join(words)) - {BOUNDARY})
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, word: str) -> list[int]:
        return [self.index[c] for c in word]

    def decode(self, tokens) -> str:
        return "".join(self.chars[int(t)] for t in tokens)


def split_names(names: list[str], val_fraction: float = 0.1, seed: int = 0) -> tuple[list[str], list[str]]:
    """A shuffled train/validation split of a list of words."""
    shuffled = list(names)
    random.Random(seeding.derive(seed)).shuffle(shuffled)
    n_val = round(len(shuffled) * val_fraction)
    return shuffled[n_val:], shuffled[:n_val]


def encode_names(names: list[str], vocab: Vocabulary) -> tuple[Tensor, Tensor]:
    """Inputs "." + name and targets name + "." for every name, padded to one length: X, Y of shape (N, L)."""
    length = max(len(n) for n in names) + 1
    X = torch.zeros(len(names), length, dtype=torch.long)
    Y = torch.full((len(names), length), IGNORE, dtype=torch.long)
    for row, name in enumerate(names):
        tokens = vocab.encode(name)
        X[row, 1:len(tokens) + 1] = torch.tensor(tokens, dtype=torch.long)
        Y[row, :len(tokens) + 1] = torch.tensor(tokens + [0], dtype=torch.long)
    return X, Y


class CharLM(nn.Module):
    """Embedding -> GRU -> dropout -> linear: the logits of the next character at every position, (N, L, V)."""

    def __init__(self, vocabulary: int, embedding: int = 24, hidden: int = 128, dropout: float = 0.3):
        super().__init__()
        self.embed = nn.Embedding(vocabulary, embedding)
        self.gru = nn.GRU(embedding, hidden, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, vocabulary)

    def forward(self, tokens: Tensor, state: Tensor | None = None, return_state: bool = False):
        outputs, state = self.gru(self.embed(tokens), state)
        logits = self.out(self.dropout(outputs))
        return (logits, state) if return_state else logits


def lm_loss(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean cross-entropy (in nats) of the next-character predictions, padding ignored."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE)


def bits_per_character(model: nn.Module, X: Tensor, Y: Tensor) -> float:
    """Average number of bits the model needs per character (end of name included): cross-entropy / ln 2."""
    was_training = model.training
    model.eval()
    dev = next(model.parameters()).device
    with torch.no_grad():
        logits = model(X.to(dev))
        total = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.to(dev).reshape(-1),
                                ignore_index=IGNORE, reduction="sum")
    model.train(was_training)
    return total.item() / (Y != IGNORE).sum().item() / math.log(2)


def bigram_counts(names: list[str], vocab: Vocabulary) -> Tensor:
    """counts[a, b]: how often character b follows character a (with the boundary at both ends)."""
    counts = torch.zeros(len(vocab), len(vocab))
    for name in names:
        tokens = [0] + vocab.encode(name) + [0]
        for a, b in zip(tokens, tokens[1:]):
            counts[a, b] += 1
    return counts


def bigram_bits_per_character(train: list[str], val: list[str], vocab: Vocabulary, smoothing: float = 1.0) -> float:
    """The baseline: bits per character on `val` of the add-`smoothing` bigram model counted on `train`."""
    counts = bigram_counts(train, vocab) + smoothing
    log_p = (counts / counts.sum(1, keepdim=True)).log2()
    bits, n = 0.0, 0
    for name in val:
        tokens = [0] + vocab.encode(name) + [0]
        bits -= sum(log_p[a, b].item() for a, b in zip(tokens, tokens[1:]))
        n += len(tokens) - 1
    return bits / n


def sample(model: nn.Module, vocab: Vocabulary, n: int = 10, temperature: float = 1.0, max_length: int = 20,
           seed: int = 0) -> list[str]:
    """Draw `n` words one character at a time from softmax(logits / temperature), until the boundary."""
    g = seeding.generator(seed)
    was_training = model.training
    model.eval()
    dev = next(model.parameters()).device
    tokens = torch.zeros(n, 1, dtype=torch.long, device=dev)
    state, words, done = None, [[] for _ in range(n)], [False] * n
    with torch.no_grad():
        for _ in range(max_length):
            logits, state = model(tokens, state, return_state=True)
            probabilities = torch.softmax(logits[:, -1].cpu().double() / max(temperature, 1e-3), dim=-1)
            nxt = torch.multinomial(probabilities, 1, generator=g)
            for i, t in enumerate(nxt[:, 0].tolist()):
                if not done[i]:
                    done[i] = t == 0
                    if t:
                        words[i].append(t)
            if all(done):
                break
            tokens = nxt.to(dev)
    model.train(was_training)
    return [vocab.decode(w) for w in words]
