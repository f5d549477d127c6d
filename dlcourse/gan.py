"""Generative adversarial networks: the two-player training loop (written once), its losses, the ring of Gaussians
and the measures of mode coverage and sample quality.

Used by the chapter "Generative adversarial networks" (book/challenges/gans.ipynb). Supervised models (classifiers, autoencoders) train with `fit`; only
the adversarial game, which is not supervised training, has its own loop here.
"""
from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from dlcourse import seeding
from dlcourse.device import device as pick_device


def ring_centres(modes: int = 8, radius: float = 2.0) -> Tensor:
    """The `modes` centres, evenly spaced on a circle of `radius`: shape (modes, 2)."""
    angles = torch.arange(modes) * (2 * math.pi / modes)
    return radius * torch.stack([torch.cos(angles), torch.sin(angles)], 1)


def ring_of_gaussians(n: int, modes: int = 8, radius: float = 2.0, std: float = 0.02, seed: int = 0) -> Tensor:
    """`n` points from an equal mixture of round Gaussians (standard deviation `std`) centred on a ring."""
    g = seeding.generator(seed)
    which = torch.randint(modes, (n,), generator=g)
    return ring_centres(modes, radius)[which] + std * torch.randn(n, 2, generator=g)


def mlp(inputs: int, outputs: int, hidden: int = 128, layers: int = 2, output: nn.Module | None = None,
        activation: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """`layers` hidden layers of `hidden` units; `output` (e.g. nn.Sigmoid()) is appended when given."""
    parts: list[nn.Module] = []
    width = inputs
    for _ in range(layers):
        parts += [nn.Linear(width, hidden), activation()]
        width = hidden
    parts.append(nn.Linear(width, outputs))
    if output is not None:
        parts.append(output)
    return nn.Sequential(*parts)


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """-[log D(x) + log(1 - D(G(z)))]: binary cross-entropy with label 1 for real and 0 for generated samples."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def generator_loss(fake_logits: Tensor, saturating: bool = False) -> Tensor:
    """Non-saturating -log D(G(z)) (the default), or the minimax game's own log(1 - D(G(z))) with `saturating`."""
    if saturating:
        return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


@dataclass
class GANHistory:
    """Per-step losses and mean discriminator outputs, and generator samples saved at some steps."""

    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    d_real: list[float] = field(default_factory=list)
    d_fake: list[float] = field(default_factory=list)
    snapshots: dict[int, Tensor] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def steps(self) -> int:
        return len(self.d_loss)


def train_gan(generator: nn.Module, discriminator: nn.Module, real: Tensor, *, steps: int = 2000,
              latent_dim: int = 2, batch_size: int = 128, lr: float = 1e-3, betas: tuple[float, float] = (0.5, 0.999),
              saturating: bool = False, train_discriminator: bool = True,
              train_generator: bool = True, snapshot_every: int | None = None, snapshot_noise: Tensor | None = None,
              seed: int = 0, device: torch.device | str | None = None, progress: bool = True) -> GANHistory:
    """Alternate one discriminator step and one generator step, `steps` times, on batches drawn from `real`.

    `train_discriminator=False` (or `train_generator=False`) freezes that player: the other then plays against a
    fixed opponent.
    Snapshots: every `snapshot_every` steps (and at step 0 and the end) the generator's outputs for the fixed
    `snapshot_noise` (default 512 latent vectors) are kept on the CPU, keyed by the number of steps done.
    """
    dev = torch.device(device) if device is not None else pick_device()
    generator.to(dev)
    discriminator.to(dev)
    real = real.to(dev)
    g = seeding.generator(seed)
    if snapshot_noise is None:
        snapshot_noise = torch.randn(512, latent_dim, generator=g)
    snapshot_noise = snapshot_noise.to(dev)
    # foreach: the multi-tensor Adam, which torch picks by itself only on CUDA; on a CPU it gives the same numbers
    # (bit for bit, tests/test_gan.py) in about 60% of the time, as these players' many small tensors make the
    # per-tensor loop the cost.
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr, betas=betas, foreach=True)
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=betas, foreach=True)
    history = GANHistory()

    def snapshot(step: int) -> None:
        if snapshot_every:
            with torch.no_grad():
                history.snapshots[step] = generator(snapshot_noise).cpu()

    start = time.perf_counter()
    with _single_thread(dev):
        snapshot(0)
        bar = tqdm(range(1, steps + 1), desc="GAN training", unit="step", disable=not progress,
                   mininterval=0.5, leave=True)
        for step in bar:
            index = torch.randint(len(real), (batch_size,), generator=g).to(dev)
            z = torch.randn(batch_size, latent_dim, generator=g).to(dev)
            # The discriminator's turn: the fake batch is detached, so this step leaves the generator alone.
            fake = generator(z)
            real_logits = discriminator(real[index])
            fake_logits = discriminator(fake.detach())
            d_loss = discriminator_loss(real_logits, fake_logits)
            if train_discriminator:
                opt_d.zero_grad(set_to_none=True)
                d_loss.backward()
                opt_d.step()
            # The generator's turn: gradients flow through the (now updated) discriminator into the generator;
            # only the generator's optimizer steps.
            fake_logits = discriminator(fake)
            g_loss = generator_loss(fake_logits, saturating)
            if train_generator:
                opt_g.zero_grad(set_to_none=True)
                g_loss.backward()
                opt_g.step()
            history.d_loss.append(d_loss.item())
            history.g_loss.append(g_loss.item())
            history.d_real.append(torch.sigmoid(real_logits).mean().item())
            history.d_fake.append(torch.sigmoid(fake_logits).mean().item())
            if snapshot_every and (step % snapshot_every == 0 or step == steps):
                snapshot(step)
            if step % 100 == 0:
                bar.set_postfix(d_loss=f"{history.d_loss[-1]:.3f}", g_loss=f"{history.g_loss[-1]:.3f}")
        bar.close()
    history.seconds = time.perf_counter() - start
    return history


@contextlib.contextmanager
def _single_thread(dev: torch.device):
    """One intra-op thread on a CPU, restored afterwards.

    The players are small: splitting their tiny matrix products across threads costs more than it saves (2.5x
    slower with two threads here), and one thread also makes a run identical on any CPU.
    """
    threads = torch.get_num_threads()
    if dev.type == "cpu":
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@dataclass
class Coverage:
    """How well samples cover the ring: modes hit, fraction of good samples, samples per mode."""

    modes: int
    quality: float
    counts: list[int]

    def __repr__(self) -> str:
        return f"{self.modes} of {len(self.counts)} modes covered, {self.quality:.0%} of samples near a centre"


def mode_coverage(samples: Tensor, centres: Tensor, threshold: float = 0.1, min_share: float = 0.02) -> Coverage:
    """A sample is good when it lies within `threshold` of a centre; a mode is covered when it holds at least
    `min_share` of all samples among its good ones."""
    samples = samples.detach().cpu().float()
    distance = torch.cdist(samples, centres.float())
    nearest = distance.min(1)
    good = nearest.values <= threshold
    counts = torch.bincount(nearest.indices[good], minlength=len(centres))
    covered = int((counts >= min_share * len(samples)).sum())
    return Coverage(covered, good.float().mean().item(), counts.tolist())
