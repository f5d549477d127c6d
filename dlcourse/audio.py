"""Speech-like recognition on generated audio: noisy telephone (DTMF) key tones, spectrogram frames, a recurrent tagger.

Used by the chapter "Sequence to sequence: translation and speech". Each key press is the sum of two sine waves
(a row and a column frequency); a clip holds a few presses with silences between them, buried in noise. The model
labels every spectrogram frame (a key or silence); collapsing runs of equal labels reads the keys off.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from dlcourse import seeding

KEYS = "123456789*0#"
ROWS = [697.0, 770.0, 852.0, 941.0]
COLUMNS = [1209.0, 1336.0, 1477.0]
SAMPLE_RATE = 8000
CLIP_SECONDS = 1.0
N_FFT, HOP, BINS = 256, 80, 64
"""Spectrogram: 32 ms windows every 10 ms; the lowest 64 bins (0 to 2 kHz) hold every DTMF frequency."""
SILENCE = 0
"""Frame label of silence; key k of KEYS has label k + 1."""


def key_frequencies(key: str) -> tuple[float, float]:
    """The (row, column) frequencies in Hz of a key of the telephone keypad."""
    index = KEYS.index(key)
    return ROWS[index // 3], COLUMNS[index % 3]


def tone(key: str, samples: int, amplitude: float = 0.5, phase: tuple[float, float] = (0.0, 0.0)) -> Tensor:
    """`samples` samples of the key's two sine waves."""
    t = torch.arange(samples, dtype=torch.float64) / SAMPLE_RATE
    low, high = key_frequencies(key)
    return amplitude * (torch.sin(2 * math.pi * low * t + phase[0]) + torch.sin(2 * math.pi * high * t + phase[1]))


def clip(keys: str, noise: float, g: torch.Generator) -> tuple[Tensor, Tensor]:
    """One clip: the keys' tones (60-110 ms) separated by silences (40-90 ms), plus Gaussian noise of std `noise`.

    Returns the waveform (samples,) and each sample's label (SILENCE or key index + 1).
    """
    n = int(CLIP_SECONDS * SAMPLE_RATE)
    wave = torch.zeros(n, dtype=torch.float64)
    labels = torch.zeros(n, dtype=torch.long)
    ms = lambda low, high: int(SAMPLE_RATE * (low + (high - low) * torch.rand(1, generator=g).item()) / 1000)
    at = ms(20, 80)
    for key in keys:
        length = ms(60, 110)
        amplitude = 0.25 + 0.5 * torch.rand(1, generator=g).item()
        phase = tuple((2 * math.pi * torch.rand(2, generator=g, dtype=torch.float64)).tolist())
        end = min(at + length, n)
        wave[at:end] = tone(key, end - at, amplitude, phase)
        labels[at:end] = KEYS.index(key) + 1
        at = end + ms(40, 90)
    wave += noise * torch.randn(n, generator=g, dtype=torch.float64)
    return wave.float(), labels


def spectrogram(wave: Tensor) -> Tensor:
    """Log-magnitude spectrogram frames (..., frames, BINS) of waveforms (..., samples)."""
    window = torch.hann_window(N_FFT, device=wave.device)
    spec = torch.stft(wave, N_FFT, HOP, window=window, center=True, return_complex=True).abs()
    return torch.log1p(spec[..., :BINS, :]).transpose(-1, -2)


def frame_labels(labels: Tensor) -> Tensor:
    """Sample labels -> the label at the centre of every spectrogram frame (center=True frames)."""
    frames = labels.shape[-1] // HOP + 1
    centres = (torch.arange(frames) * HOP).clamp(max=labels.shape[-1] - 1)
    return labels[..., centres]


def dtmf_dataset(n: int, min_keys: int = 3, max_keys: int = 5, noise: float = 0.6,
                 seed: int = 0) -> tuple[Tensor, Tensor, Tensor, list[str]]:
    """`n` clips: spectrogram frames (n, T, BINS), frame labels (n, T), waveforms (n, samples) and the key strings."""
    g = seeding.generator(seed)
    waves, labels, texts = [], [], []
    for _ in range(n):
        count = int(torch.randint(min_keys, max_keys + 1, (1,), generator=g))
        keys = "".join(KEYS[int(i)] for i in torch.randint(len(KEYS), (count,), generator=g))
        wave, label = clip(keys, noise, g)
        waves.append(wave)
        labels.append(label)
        texts.append(keys)
    waves = torch.stack(waves)
    return spectrogram(waves), frame_labels(torch.stack(labels)), waves, texts


class FrameTagger(nn.Module):
    """Spectrogram frames -> a bidirectional recurrent layer -> per-frame logits (N, T, 1 + len(KEYS))."""

    def __init__(self, hidden: int = 48, kind: str = "gru", bidirectional: bool = True):
        super().__init__()
        layer = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn": nn.RNN}[kind]
        self.recurrent = layer(BINS, hidden, batch_first=True, bidirectional=bidirectional)
        self.out = nn.Linear(hidden * (2 if bidirectional else 1), len(KEYS) + 1)

    def forward(self, frames: Tensor) -> Tensor:
        outputs, _ = self.recurrent(frames)
        return self.out(outputs)


def frame_loss(logits: Tensor, targets: Tensor) -> Tensor:
    """Cross-entropy averaged over every frame: logits (N, T, C), targets (N, T)."""
    return F.cross_entropy(logits.transpose(1, 2), targets)


def frame_accuracy(logits: Tensor, targets: Tensor) -> Tensor:
    """Fraction of frames labelled right."""
    return (logits.argmax(-1) == targets).float().mean()


def collapse(frame_predictions: Tensor, min_run: int = 2) -> str:
    """Frame labels -> keys: merge runs of equal labels, drop silence and runs shorter than `min_run` frames."""
    keys, previous, run = [], None, 0
    for label in frame_predictions.tolist() + [None]:
        if label == previous:
            run += 1
            continue
        if previous not in (None, SILENCE) and run >= min_run:
            keys.append(KEYS[previous - 1])
        previous, run = label, 1
    return "".join(keys)


def transcribe(model: nn.Module, frames: Tensor) -> list[str]:
    """The keys the model hears in each clip."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        predictions = model(frames.to(next(model.parameters()).device)).argmax(-1).cpu()
    model.train(was_training)
    return [collapse(p) for p in predictions]


def sequence_accuracy(model: nn.Module, frames: Tensor, texts: list[str]) -> float:
    """Fraction of clips whose whole key sequence is read right."""
    return sum(a == b for a, b in zip(transcribe(model, frames), texts)) / len(texts)
