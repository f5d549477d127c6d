"""dlcourse.regularization: penalties, inverted dropout against nn.Dropout, early stopping, AdamW vs Adam + L2."""
import pytest
import torch
from torch import nn

from dlcourse import regularization as R
from dlcourse.compare import assert_same
from dlcourse.training import fit


def test_penalties_and_their_gradients():
    w = torch.randn(4, 3, dtype=torch.float64)
    assert_same(lambda w: R.l2_penalty([w], 0.3), lambda w: 0.15 * (w * w).sum(), w, atol=1e-12)
    assert_same(lambda w: R.l1_penalty([w], 0.3), lambda w: 0.3 * torch.linalg.vector_norm(w, 1), w, atol=1e-12)


def test_l2_penalty_in_the_loss_equals_sgd_weight_decay():
    X, y = torch.randn(64, 5), torch.arange(64) % 3
    a, b = R.wide_mlp(5, 3, 16, 1, seed=1), R.wide_mlp(5, 3, 16, 1, seed=1)
    fit(a, (X, y), epochs=3, loss=R.penalised(a, l2=0.1), batch_size=16, device="cpu", progress=False,
        optimizer=torch.optim.SGD(a.parameters(), lr=0.1))
    fit(b, (X, y), epochs=3, batch_size=16, device="cpu", progress=False,
        optimizer=torch.optim.SGD(R.param_groups(b, 0.1), lr=0.1))
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.allclose(p, q, atol=1e-6)


def test_inverted_dropout_matches_nn_dropout_in_distribution():
    x = torch.rand(400, 500) + 0.5
    torch.manual_seed(0)
    ours, theirs = R.dropout(x, 0.3), nn.functional.dropout(x, 0.3)
    for out in (ours, theirs):
        kept = out != 0
        assert abs(kept.float().mean().item() - 0.7) < 0.005
        assert torch.allclose(out[kept], x[kept] / 0.7)
    assert abs(ours.mean().item() - x.mean().item()) < 0.01
    assert torch.equal(R.dropout(x, 0.3, training=False), x)
    assert (R.dropout(x, 1.0) == 0).all() and torch.equal(R.dropout(x, 0.0), x)
    with pytest.raises(ValueError):
        R.dropout(x, 1.5)
    module = R.Dropout(0.5)
    assert "p=0.5" in repr(module)
    assert torch.equal(module.eval()(x), x) and (module.train()(x) == 0).any()


def test_wide_mlp_near_zero_fraction_and_early_stopping():
    model = R.wide_mlp(4, 2, 8, 2, p=0.5)
    assert any(isinstance(m, R.Dropout) for m in model)
    assert R.near_zero_fraction(model, 0.0) == 0.0 and R.near_zero_fraction(model, 10.0) == 1.0
    stop = R.early_stopping([3.0, 2.0, 1.0, 1.5, 1.4, 1.3, 1.2], patience=3)
    assert (stop.best, stop.stopped, stop.best_loss) == (3, 6, 1.0)
    assert R.early_stopping([3.0, 2.0], patience=3).stopped == 2
    with pytest.raises(ValueError):
        R.early_stopping([])


def test_adamw_decays_evenly_adam_l2_does_not():
    scales = torch.logspace(-3, 1, 5).repeat_interleave(20)
    final = R.decay_comparison(scales, steps=1000, lr=1e-3, strength=0.5)
    adam, adamw = (final[k].reshape(5, 20).mean(1) for k in ("Adam + L2", "AdamW"))
    assert adam[-1] / adam[0] > 2.5
    assert adamw.max() / adamw.min() < 1.1


def test_shifted_copies_are_circular_shifts_with_repeated_labels():
    X = torch.arange(12.0).reshape(2, 6)
    y = torch.tensor([3, 7])
    Xa, ya = R.shifted_copies(X, y, copies=5, max_shift=2, seed=1)
    assert Xa.shape == (12, 6) and torch.equal(ya, y.repeat(6))
    assert torch.equal(Xa[:2], X)
    for row, label in zip(Xa, ya):
        source = X[0] if label == 3 else X[1]
        assert any(torch.equal(row, source.roll(k)) for k in range(-2, 3))
    assert not torch.equal(Xa[2:], X.repeat(5, 1))  # the copies are shifted
    noisy, _ = R.shifted_copies(X, y, copies=1, max_shift=0, noise=0.1, seed=0)
    assert 0 < (noisy[2:] - X).abs().max() < 1
    again, _ = R.shifted_copies(X, y, copies=5, max_shift=2, seed=1)
    assert torch.equal(again, Xa)
