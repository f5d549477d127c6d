"""dlcourse.gan: the losses equal their formulas (values and gradients), the two-player loop learns the ring and
keeps the players apart, and the coverage measure counts what it says."""
import torch

from dlcourse import gan
from dlcourse.compare import assert_same


def test_losses_equal_their_formulas():
    real, fake = torch.randn(32, 1, dtype=torch.float64), torch.randn(32, 1, dtype=torch.float64)
    s = torch.sigmoid
    assert_same(gan.discriminator_loss, lambda r, f: -(s(r).log().mean() + (1 - s(f)).log().mean()), real, fake,
                atol=1e-10)
    assert_same(gan.generator_loss, lambda f: -s(f).log().mean(), fake, atol=1e-10)
    assert_same(lambda f: gan.generator_loss(f, saturating=True), lambda f: (1 - s(f)).log().mean(), fake, atol=1e-10)


def test_ring_data_and_coverage():
    centres = gan.ring_centres(8, 2.0)
    assert torch.allclose(centres.norm(dim=1), torch.full((8,), 2.0))
    ring = gan.ring_of_gaussians(4000, seed=1)
    full = gan.mode_coverage(ring, centres)
    assert full.modes == 8 and full.quality > 0.99
    one_mode = centres[3] + 0.01 * torch.randn(500, 2)
    assert gan.mode_coverage(one_mode, centres).modes == 1
    assert gan.mode_coverage(torch.zeros(100, 2), centres).quality == 0.0


def test_train_gan_learns_the_ring_and_saves_snapshots():
    torch.manual_seed(1)
    G, D = gan.mlp(2, 2), gan.mlp(2, 1)
    run = gan.train_gan(G, D, gan.ring_of_gaussians(20000), steps=2500, snapshot_every=500, seed=1,
                        device="cpu", progress=False)
    assert run.steps == 2500 and sorted(run.snapshots) == [0, 500, 1000, 1500, 2000, 2500]
    assert run.snapshots[0].shape == (512, 2)
    best = max(gan.mode_coverage(x, gan.ring_centres()).modes for x in run.snapshots.values())
    assert best >= 6


def test_the_multi_tensor_adam_gives_the_per_tensor_numbers(monkeypatch):
    """train_gan asks for foreach=True (speed); the players end bit for bit where the per-tensor loop takes them."""
    per_tensor_adam, snapshots = torch.optim.Adam, []
    for foreach in (True, False):
        monkeypatch.setattr(torch.optim, "Adam", lambda params, foreach_=foreach, **kw:
                            per_tensor_adam(params, **{**kw, "foreach": foreach_}))
        torch.manual_seed(3)
        G, D = gan.mlp(2, 2, hidden=32), gan.mlp(2, 1, hidden=32)
        run = gan.train_gan(G, D, gan.ring_of_gaussians(2000), steps=300, snapshot_every=300, seed=3,
                            device="cpu", progress=False)
        snapshots.append(run.snapshots[300])
    assert torch.equal(*snapshots)


def test_frozen_players_do_not_change():
    torch.manual_seed(0)
    G, D = gan.mlp(2, 2, hidden=8), gan.mlp(2, 1, hidden=8)
    d_before = [p.detach().clone() for p in D.parameters()]
    g_before = [p.detach().clone() for p in G.parameters()]
    gan.train_gan(G, D, torch.randn(100, 2), steps=5, train_discriminator=False, device="cpu", progress=False)
    assert all(torch.equal(a, b) for a, b in zip(d_before, D.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(g_before, G.parameters()))
    gan.train_gan(G, D, torch.randn(100, 2), steps=5, train_generator=False, device="cpu", progress=False)
    g_now = [p.detach().clone() for p in G.parameters()]
    gan.train_gan(G, D, torch.randn(100, 2), steps=5, train_generator=False, device="cpu", progress=False)
    assert all(torch.equal(a, b) for a, b in zip(g_now, G.parameters()))


def test_mlp_shape():
    net = gan.mlp(16, 64, hidden=32, output=torch.nn.Sigmoid())
    out = net(torch.randn(5, 16))
    assert out.shape == (5, 64) and (out > 0).all() and (out < 1).all()


def test_train_gan_restores_the_thread_count():
    before = torch.get_num_threads()
    gan.train_gan(gan.mlp(2, 2, hidden=4), gan.mlp(2, 1, hidden=4), torch.randn(50, 2), steps=2, device="cpu",
                  progress=False)
    assert torch.get_num_threads() == before
