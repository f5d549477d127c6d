"""Exercise checks of the chapter "Generative adversarial networks": the discriminator's loss, the generator's
non-saturating loss, and a discriminator step that leaves the generator alone (detach)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from dlcourse.checks import Incorrect, call, exercise, expect_close, expect_tensor

_g = torch.Generator().manual_seed(3)
_REAL = torch.randn(16, 1, generator=_g, dtype=torch.float64) + 1.0
_FAKE = torch.randn(16, 1, generator=_g, dtype=torch.float64) - 1.0


def _bce(logits: torch.Tensor, label: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


@exercise("discriminator loss", hint="Real samples have label 1, generated ones label 0: "
                                     "bce(real_logits, 1) + bce(fake_logits, 0), with binary_cross_entropy_with_logits.")
def discriminator_loss(answer) -> str:
    """Check `answer(real_logits, fake_logits)`: -mean log D(x) - mean log(1 - D(G(z))), from logits."""
    got = call(answer, _REAL, _FAKE)
    got = expect_tensor(got, (), "your loss (one number)")
    expected = _bce(_REAL, 1.0) + _bce(_FAKE, 0.0)
    expect_close(got, expected, "your loss", mistakes={
        "the labels are swapped: real samples are labelled 1, generated ones 0": _bce(_REAL, 0.0) + _bce(_FAKE, 1.0),
        "only the real samples' term is there; add the generated samples' term": _bce(_REAL, 1.0),
        "only the generated samples' term is there; add the real samples' term": _bce(_FAKE, 0.0),
        "the sign is flipped: a loss to minimise is minus the log-likelihood": -(_bce(_REAL, 1.0) + _bce(_FAKE, 0.0)),
        "that is the average of the two terms; the discriminator's loss is their sum":
            (_bce(_REAL, 1.0) + _bce(_FAKE, 0.0)) / 2,
        "the sigmoid was applied twice: the inputs are logits, and the _with_logits loss applies it itself":
            _bce(torch.sigmoid(_REAL), 1.0) + _bce(torch.sigmoid(_FAKE), 0.0),
    })
    return "Correct: the discriminator is a binary classifier, real = 1, generated = 0."


@exercise("generator loss", hint="The generator wants D(G(z)) -> 1: use bce(fake_logits, 1), i.e. -log D(G(z)).")
def generator_loss(answer) -> str:
    """Check `answer(fake_logits)`: the non-saturating loss -mean log D(G(z))."""
    got = call(answer, _FAKE)
    got = expect_tensor(got, (), "your loss (one number)")
    log_one_minus = -_bce(_FAKE, 0.0)
    expect_close(got, _bce(_FAKE, 1.0), "your loss", mistakes={
        "that is the saturating loss log(1 - D(G(z))) of the original minimax game: when the discriminator "
        "confidently rejects the samples its gradient vanishes; use -log D(G(z))": log_one_minus,
        "that is -log(1 - D(G(z))), the discriminator's term for generated samples: the generator wants the "
        "opposite label": _bce(_FAKE, 0.0),
        "the sign is flipped: minimise -log D(G(z))": -_bce(_FAKE, 1.0),
    })
    z = torch.tensor([-8.0, -4.0, 0.0], dtype=torch.float64, requires_grad=True)
    out = call(answer, z[:, None])
    out = expect_tensor(out, (), "your loss")
    if not out.requires_grad:
        raise Incorrect("no gradient reaches the logits: compute the loss with torch operations, without .item()")
    return "Correct: the non-saturating loss, strong gradients even when the discriminator wins."


def _players() -> tuple[nn.Module, nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    generator = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    discriminator = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    return generator, discriminator, torch.randn(16, 2), torch.randn(16, 2)


@exercise("the discriminator's step", hint="Detach the generated batch before the discriminator sees it: "
                                          "discriminator(generator(z).detach()).")
def discriminator_step_loss(answer) -> str:
    """Check `answer(generator, discriminator, real, z)`: the discriminator's loss, with no gradient path into the
    generator."""
    generator, discriminator, real, z = _players()
    got = call(answer, generator, discriminator, real, z)
    got = expect_tensor(got, (), "your loss (one number)")
    fake = generator(z)
    expected = _bce(discriminator(real), 1.0) + _bce(discriminator(fake.detach()), 0.0)
    expect_close(got.detach(), expected.detach(), "your loss", mistakes={
        "the labels are swapped: real = 1, generated = 0":
            _bce(discriminator(real), 0.0) + _bce(discriminator(fake), 1.0),
        "the generated samples' term is missing": _bce(discriminator(real), 1.0),
    })
    if not got.requires_grad:
        raise Incorrect("no gradient reaches the discriminator: did you call .item() or use torch.no_grad()?")
    got.backward()
    if any(p.grad is not None and p.grad.abs().sum() > 0 for p in generator.parameters()):
        raise Incorrect("the loss sends gradients into the generator: you forgot to .detach() the generated batch "
                        "(the discriminator's step must not train, or even reach, the generator)")
    if all(p.grad is None for p in discriminator.parameters()):
        raise Incorrect("no gradient reaches the discriminator's parameters")
    return "Correct: the generated batch is detached, so the discriminator's step leaves the generator alone."
