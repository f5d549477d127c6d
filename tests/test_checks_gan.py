"""Checks of the chapter "Generative adversarial networks" (dlcourse.checks.gan): solutions pass, stubs are not
attempted, typical wrong answers (swapped labels, the saturating loss, a forgotten detach) get the right diagnosis."""
import torch
import torch.nn.functional as F

from dlcourse import gan
from dlcourse.checks import CORRECT, NOT_ATTEMPTED
from dlcourse.checks import gan as check

from conftest import assert_hostile_answers_get_verdicts, diagnosis, run_tagged

NOTEBOOK = "challenges/gans.ipynb"
bce = F.binary_cross_entropy_with_logits


def test_solutions_shown_in_the_notebook_pass():
    ns = run_tagged(NOTEBOOK, "solution", torch=torch, F=F, gan=gan, check=check)
    assert check.discriminator_loss(ns["discriminator_loss_solution"]).status == CORRECT
    assert check.generator_loss(ns["generator_loss_solution"]).status == CORRECT
    assert check.discriminator_step_loss(ns["discriminator_step_loss_solution"]).status == CORRECT


def test_stubs_in_the_notebook_are_not_attempted():
    ns = run_tagged(NOTEBOOK, "exercise-stub", torch=torch, F=F, gan=gan, check=check)
    assert check.discriminator_loss(ns["discriminator_loss"]).status == NOT_ATTEMPTED
    assert check.generator_loss(ns["generator_loss"]).status == NOT_ATTEMPTED
    assert check.discriminator_step_loss(ns["discriminator_step_loss"]).status == NOT_ATTEMPTED


def test_discriminator_loss_mistakes():
    ones, zeros = torch.ones_like, torch.zeros_like
    diagnosis(check.discriminator_loss(lambda r, f: bce(r, zeros(r)) + bce(f, ones(f))), "swapped")
    diagnosis(check.discriminator_loss(lambda r, f: bce(r, ones(r))), "real samples' term")
    diagnosis(check.discriminator_loss(lambda r, f: (bce(r, ones(r)) + bce(f, zeros(f))) / 2), "average")
    diagnosis(check.discriminator_loss(lambda r, f: -(bce(r, ones(r)) + bce(f, zeros(f)))), "sign")
    diagnosis(check.discriminator_loss(lambda r, f: bce(r.sigmoid(), ones(r)) + bce(f.sigmoid(), zeros(f))),
              "sigmoid was applied twice")
    diagnosis(check.discriminator_loss(lambda r, f: bce(r, ones(r), reduction="none")), "one number")


def test_generator_loss_mistakes():
    diagnosis(check.generator_loss(lambda f: gan.generator_loss(f, saturating=True)), "saturating")
    diagnosis(check.generator_loss(lambda f: (1 - torch.sigmoid(f)).log().mean()), "saturating")
    diagnosis(check.generator_loss(lambda f: bce(f, torch.zeros_like(f))), "opposite label")
    diagnosis(check.generator_loss(lambda f: -bce(f, torch.ones_like(f))), "sign")
    diagnosis(check.generator_loss(lambda f: torch.tensor(bce(f, torch.ones_like(f)).item(), dtype=f.dtype)),
              "no gradient")


def test_discriminator_step_mistakes():
    def forgot_detach(G, D, real, z):
        return gan.discriminator_loss(D(real), D(G(z)))

    def swapped(G, D, real, z):
        return gan.discriminator_loss(D(G(z).detach()), D(real))

    diagnosis(check.discriminator_step_loss(forgot_detach), "forgot to .detach()")
    diagnosis(check.discriminator_step_loss(swapped), "swapped")
    diagnosis(check.discriminator_step_loss(lambda G, D, real, z: None), "None")


CHECKS = ["discriminator_loss", "generator_loss", "discriminator_step_loss"]

def test_hostile_answers_get_a_verdict_not_a_traceback(capsys):
    assert_hostile_answers_get_verdicts(check, CHECKS)
    capsys.readouterr()


def test_an_endless_answer_is_stopped():
    def endless(*args):
        while True:
            pass

    verdict = getattr(check, CHECKS[0])(endless)
    assert verdict.status == "incorrect" and "finish" in verdict.message


def test_a_loss_cut_from_the_graph_is_caught_even_when_it_requires_grad():
    """Issue 17: torch.tensor(loss.item(), requires_grad=True) passed generator_loss's gradient test."""
    cut = lambda f: torch.tensor(bce(f, torch.ones_like(f)).item(), dtype=f.dtype, requires_grad=True)
    diagnosis(check.generator_loss(cut), "cut from the logits")

    def cut_step(G, D, real, z):
        loss = gan.discriminator_loss(D(real), D(G(z).detach()))
        return torch.tensor(loss.item(), requires_grad=True)

    diagnosis(check.discriminator_step_loss(cut_step), "no gradient reaches the discriminator")


def test_replayed_losses_fail_on_the_fresh_input():
    """Issue 17: each check tested one fixed input, so returning its expected loss passed."""
    from dlcourse.checks import gan as module

    real, fake = module._REAL, module._FAKE
    d_loss = (bce(real, torch.ones_like(real)) + bce(fake, torch.zeros_like(fake))).item()
    diagnosis(check.discriminator_loss(lambda r, f: torch.tensor(d_loss, dtype=r.dtype)), "random batch")
    g_loss = bce(fake, torch.ones_like(fake)).item()
    diagnosis(check.generator_loss(lambda f: (f * 0).sum() + g_loss))
    G, D, r, z = module._players(0)
    step = gan.discriminator_loss(D(r), D(G(z).detach())).item()

    def replay(G, D, real, z):  # the right loss on the fixed networks, plus a constant that cancels there
        return gan.discriminator_loss(D(real), D(G(z).detach())) * 0 + step

    diagnosis(check.discriminator_step_loss(replay))


def test_an_answer_that_changes_the_networks_cannot_change_the_reference():
    def trains_first(G, D, real, z):
        with torch.no_grad():
            for p in D.parameters():
                p.mul_(3)
        return gan.discriminator_loss(D(real), D(G(z).detach()))

    diagnosis(check.discriminator_step_loss(trains_first), "your loss")
