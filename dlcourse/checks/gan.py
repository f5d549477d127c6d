"""Exercise checks of the chapter "Generative adversarial networks": the discriminator's loss, the generator's
non-saturating loss, and a discriminator step that leaves the generator alone (detach)."""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from dlcourse.checks import Incorrect, call, exercise, expect_close, expect_tensor, fresh_generator

_g = torch.Generator().manual_seed(3)
_REAL = torch.randn(16, 1, generator=_g, dtype=torch.float64) + 1.0
_FAKE = torch.randn(16, 1, generator=_g, dtype=torch.float64) - 1.0


def _bce(logits: torch.Tensor, label: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


def _logits() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(real, fake) logits: the fixed pair and a fresh one of a fresh batch size."""
    g = fresh_generator()
    n = int(torch.randint(3, 20, (), generator=g))
    return [(_REAL, _FAKE), (torch.randn(n, 1, generator=g, dtype=torch.float64) * 2 + 0.5,
                             torch.randn(n, 1, generator=g, dtype=torch.float64) * 2 - 0.5)]


@exercise("discriminator loss", hint="Real samples have label 1, generated ones label 0: "
                                     "bce(real_logits, 1) + bce(fake_logits, 0), with binary_cross_entropy_with_logits.")
def discriminator_loss(answer) -> str:
    """Check `answer(real_logits, fake_logits)`: -mean log D(x) - mean log(1 - D(G(z))), from logits."""
    for case, (real, fake) in enumerate(_logits()):
        got = call(answer, real, fake)
        where = " for a second, random batch" if case else ""
        got = expect_tensor(got, (), "your loss (one number)" + where)
        expected = _bce(real, 1.0) + _bce(fake, 0.0)
        expect_close(got, expected, "your loss" + where, mistakes={
            "the labels are swapped: real samples are labelled 1, generated ones 0": _bce(real, 0.0) + _bce(fake, 1.0),
            "only the real samples' term is there; add the generated samples' term": _bce(real, 1.0),
            "only the generated samples' term is there; add the real samples' term": _bce(fake, 0.0),
            "the sign is flipped: a loss to minimise is minus the log-likelihood": -expected,
            "that is the average of the two terms; the discriminator's loss is their sum": expected / 2,
            "the sigmoid was applied twice: the inputs are logits, and the _with_logits loss applies it itself":
                _bce(torch.sigmoid(real), 1.0) + _bce(torch.sigmoid(fake), 0.0),
            "the two terms are summed over the batch instead of averaged": expected * len(real),
        })
    return "Correct: the discriminator is a binary classifier, real = 1, generated = 0."


def _gradient_reaches(answer, logits: torch.Tensor, expected_loss, what: str) -> None:
    """Incorrect unless the answer's loss of `logits` has the gradient of `expected_loss` with respect to them."""
    leaf = logits.clone().requires_grad_(True)
    out = expect_tensor(call(answer, leaf, copies=False), (), what)
    (expected,) = torch.autograd.grad(expected_loss(leaf), leaf)
    if not out.requires_grad:
        raise Incorrect("no gradient reaches the logits: compute the loss with torch operations, without .item()")
    try:
        (grad,) = torch.autograd.grad(out, leaf, allow_unused=True)
    except RuntimeError as exc:
        raise Incorrect(f"your loss could not be differentiated ({exc})") from None
    if grad is None:
        raise Incorrect("your loss requires grad but is cut from the logits (a new tensor made from .item() or "
                        ".detach()?): no gradient reaches the generator; compute it from fake_logits directly")
    expect_close(grad, expected, "the gradient of your loss with respect to the logits")


@exercise("generator loss", hint="The generator wants D(G(z)) -> 1: use bce(fake_logits, 1), i.e. -log D(G(z)).")
def generator_loss(answer) -> str:
    """Check `answer(fake_logits)`: the non-saturating loss -mean log D(G(z))."""
    for case, (_, fake) in enumerate(_logits()):
        where = " for a second, random batch" if case else ""
        got = expect_tensor(call(answer, fake), (), "your loss (one number)" + where)
        log_one_minus = -_bce(fake, 0.0)
        expect_close(got, _bce(fake, 1.0), "your loss" + where, mistakes={
            "that is the saturating loss log(1 - D(G(z))) of the original minimax game: when the discriminator "
            "confidently rejects the samples its gradient vanishes; use -log D(G(z))": log_one_minus,
            "that is -log(1 - D(G(z))), the discriminator's term for generated samples: the generator wants the "
            "opposite label": _bce(fake, 0.0),
            "the sign is flipped: minimise -log D(G(z))": -_bce(fake, 1.0),
        })
        _gradient_reaches(answer, fake, lambda z: _bce(z, 1.0), "your loss")
    z = torch.tensor([-8.0, -4.0, 0.0], dtype=torch.float64)[:, None]
    _gradient_reaches(answer, z, lambda z: _bce(z, 1.0), "your loss")
    return "Correct: the non-saturating loss, strong gradients even when the discriminator wins."


def _players(seed: int = 0) -> tuple[nn.Module, nn.Module, torch.Tensor, torch.Tensor]:
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    generator = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    discriminator = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    players = generator, discriminator, torch.randn(16, 2), torch.randn(16, 2)
    torch.random.set_rng_state(generator_state)  # the learner's random stream is left as it was
    return players


@exercise("the discriminator's step", hint="Detach the generated batch before the discriminator sees it: "
                                          "discriminator(generator(z).detach()).")
def discriminator_step_loss(answer) -> str:
    """Check `answer(generator, discriminator, real, z)`: the discriminator's loss, with no gradient path into the
    generator."""
    fresh = int(torch.randint(1, 2 ** 31, (), generator=fresh_generator()))
    for case, seed in enumerate((0, fresh)):
        where = " for a second, random pair of networks" if case else ""
        generator, discriminator, real, z = _players(seed)
        # the reference first, on copies: the answer may change the networks it is given
        d_copy = copy.deepcopy(discriminator)
        fake = generator(z).detach()
        expected = _bce(d_copy(real), 1.0) + _bce(d_copy(fake), 0.0)
        wrong = {"the labels are swapped: real = 1, generated = 0": _bce(d_copy(real), 0.0) + _bce(d_copy(fake), 1.0),
                 "the generated samples' term is missing": _bce(d_copy(real), 1.0),
                 "only the generated samples' term is there": _bce(d_copy(fake), 0.0)}
        expected_grads = torch.autograd.grad(expected, list(d_copy.parameters()))
        got = expect_tensor(call(answer, generator, discriminator, real, z), (), "your loss (one number)" + where)
        expect_close(got.detach(), expected.detach(), "your loss" + where,
                     mistakes={k: v.detach() for k, v in wrong.items()})
        if not got.requires_grad:
            raise Incorrect("no gradient reaches the discriminator: did you call .item() or use torch.no_grad()?")
        got.backward()
        if any(p.grad is not None and p.grad.abs().sum() > 0 for p in generator.parameters()):
            raise Incorrect("the loss sends gradients into the generator: you forgot to .detach() the generated "
                            "batch (the discriminator's step must not train, or even reach, the generator)")
        grads = [p.grad for p in discriminator.parameters()]
        if all(g is None for g in grads):
            raise Incorrect("no gradient reaches the discriminator's parameters (is the loss cut from the graph, "
                            "e.g. rebuilt from .item()?)")
        for g, e in zip(grads, expected_grads):
            expect_close(torch.zeros_like(e) if g is None else g, e,
                         "the gradient of your loss with respect to the discriminator's parameters" + where)
    return "Correct: the generated batch is detached, so the discriminator's step leaves the generator alone."
