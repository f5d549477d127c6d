"""Sequence to sequence with attention: rewriting dates ("25 November 2026" -> "2026-11-25") with an encoder-decoder.

Used by the chapter "Sequence to sequence: translation and speech". The model's forward takes one tensor, the
source tokens followed by the decoder's input (the target shifted right: teacher forcing), and returns the logits
of every target position, so that the course's `fit` trains it like any classifier.
"""
from __future__ import annotations

import random

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from dlcourse import seeding

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
FORMATS = ["{d} {month} {y}", "{d} {mon} {y}", "{month} {d}, {y}", "{mon} {d}, {y}", "{dd}/{mm}/{y}",
           "{d}.{m}.{y}", "{weekday}, {d} {month} {y}"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
PAD, START = 0, 1
SOURCE_CHARS = "".join(sorted(set("".join(MONTHS + WEEKDAYS) + "0123456789 ,./")))
TARGET_CHARS = "0123456789-"
SOURCE_LENGTH, TARGET_LENGTH = 30, 10


def write_date(year: int, month: int, day: int, style: int) -> str:
    """A date in one of the human formats of `FORMATS` (index `style`)."""
    import datetime

    weekday = WEEKDAYS[datetime.date(year, month, day).weekday()]
    return FORMATS[style].format(d=day, dd=f"{day:02d}", m=month, mm=f"{month:02d}", y=year, weekday=weekday,
                                 month=MONTHS[month - 1], mon=MONTHS[month - 1][:3])


def dates(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """`n` random (human date, ISO date) pairs between 1950 and 2049, formats chosen at random."""
    import datetime

    rng = random.Random(seeding.derive(seed))
    start = datetime.date(1950, 1, 1).toordinal()
    end = datetime.date(2049, 12, 31).toordinal()
    pairs = []
    for _ in range(n):
        day = datetime.date.fromordinal(rng.randint(start, end))
        pairs.append((write_date(day.year, day.month, day.day, rng.randrange(len(FORMATS))), day.isoformat()))
    return pairs


def encode_source(texts: list[str]) -> Tensor:
    """Source characters as tokens 1.. (0 pads), shape (N, SOURCE_LENGTH)."""
    X = torch.zeros(len(texts), SOURCE_LENGTH, dtype=torch.long)
    for row, text in enumerate(texts):
        X[row, :len(text)] = torch.tensor([SOURCE_CHARS.index(c) + 1 for c in text])
    return X


def encode_target(texts: list[str]) -> Tensor:
    """Target characters as tokens 2.. (0 pad and 1 start are reserved), shape (N, TARGET_LENGTH)."""
    return torch.tensor([[TARGET_CHARS.index(c) + 2 for c in text] for text in texts], dtype=torch.long)


def decode_target(tokens: Tensor) -> list[str]:
    return ["".join(TARGET_CHARS[t - 2] if t >= 2 else "?" for t in row.tolist()) for row in tokens]


def teacher_forcing(pairs: list[tuple[str, str]]) -> tuple[Tensor, Tensor]:
    """The training pairs for `fit`: X = source tokens + [START] + target[:-1], y = target tokens."""
    source = encode_source([s for s, _ in pairs])
    target = encode_target([t for _, t in pairs])
    decoder_input = torch.cat([torch.full((len(pairs), 1), START), target[:, :-1]], dim=1)
    return torch.cat([source, decoder_input], dim=1), target


def additive_attention(query: Tensor, keys: Tensor, W_q: nn.Linear, W_k: nn.Linear, v: nn.Linear,
                       mask: Tensor) -> tuple[Tensor, Tensor]:
    """Bahdanau's attention: scores v·tanh(W_q q + W_k k_j); softmax over the unmasked j; context = Σ_j a_j k_j."""
    scores = v(torch.tanh(W_q(query)[:, None] + W_k(keys))).squeeze(-1)
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    return (weights[:, :, None] * keys).sum(1), weights


class Seq2Seq(nn.Module):
    """A bidirectional GRU encoder, a GRU decoder that attends over the encoder's states at every step."""

    def __init__(self, hidden: int = 64, embedding: int = 32, attention: bool = True):
        super().__init__()
        self.hidden, self.attention = hidden, attention
        self.source_embed = nn.Embedding(len(SOURCE_CHARS) + 1, embedding, padding_idx=PAD)
        self.target_embed = nn.Embedding(len(TARGET_CHARS) + 2, embedding)
        self.encoder = nn.GRU(embedding, hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden, hidden)
        self.decoder = nn.GRUCell(embedding + 2 * hidden, hidden)
        self.W_q, self.W_k = nn.Linear(hidden, hidden, bias=False), nn.Linear(2 * hidden, hidden)
        self.v = nn.Linear(hidden, 1, bias=False)
        self.out = nn.Linear(3 * hidden, len(TARGET_CHARS) + 2)

    def encode(self, source: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        mask = source != PAD
        keys, _ = self.encoder(self.source_embed(source))
        lengths = mask.sum(1, keepdim=True).clamp(min=1)
        state = torch.tanh(self.bridge((keys * mask[:, :, None]).sum(1) / lengths))
        return keys, mask, state

    def step(self, token: Tensor, state: Tensor, keys: Tensor, mask: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """One decoder step: attend with the previous state, update the state, predict the next character."""
        if self.attention:
            context, weights = additive_attention(state, keys, self.W_q, self.W_k, self.v, mask)
        else:  # without attention the decoder sees only the mean of the encoder states
            weights = mask.float() / mask.sum(1, keepdim=True).clamp(min=1)
            context = (weights[:, :, None] * keys).sum(1)
        state = self.decoder(torch.cat([self.target_embed(token), context], dim=-1), state)
        return self.out(torch.cat([state, context], dim=-1)), state, weights

    def forward(self, x: Tensor) -> Tensor:
        """x = source + decoder input (teacher forcing) -> logits (N, TARGET_LENGTH, classes)."""
        source, decoder_input = x[:, :SOURCE_LENGTH], x[:, SOURCE_LENGTH:]
        keys, mask, state = self.encode(source)
        logits = []
        for t in range(decoder_input.shape[1]):
            out, state, _ = self.step(decoder_input[:, t], state, keys, mask)
            logits.append(out)
        return torch.stack(logits, dim=1)

    @torch.no_grad()
    def translate(self, source: Tensor) -> tuple[Tensor, Tensor]:
        """Greedy decoding, each output fed back as the next input: tokens (N, T) and attention weights (N, T, S)."""
        keys, mask, state = self.encode(source)
        token = torch.full((len(source),), START, dtype=torch.long, device=source.device)
        tokens, attention = [], []
        for _ in range(TARGET_LENGTH):
            out, state, weights = self.step(token, state, keys, mask)
            out[:, :2] = float("-inf")  # padding and start are never outputs
            token = out.argmax(-1)
            tokens.append(token)
            attention.append(weights)
        return torch.stack(tokens, 1), torch.stack(attention, 1)


def sequence_loss(logits: Tensor, targets: Tensor) -> Tensor:
    """Cross-entropy averaged over every target position: logits (N, T, C), targets (N, T)."""
    return F.cross_entropy(logits.transpose(1, 2), targets)


def token_accuracy(logits: Tensor, targets: Tensor) -> Tensor:
    """Fraction of target characters predicted right (under teacher forcing)."""
    return (logits.argmax(-1) == targets).float().mean()


def exact_match(model: Seq2Seq, pairs: list[tuple[str, str]]) -> float:
    """Fraction of sources whose greedy translation equals the target exactly."""
    was_training = model.training
    model.eval()
    dev = next(model.parameters()).device
    tokens, _ = model.translate(encode_source([s for s, _ in pairs]).to(dev))
    model.train(was_training)
    return sum(p == t for p, (_, t) in zip(decode_target(tokens.cpu()), pairs)) / len(pairs)
