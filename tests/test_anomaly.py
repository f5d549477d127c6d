"""dlcourse.anomaly: corruptions do what they say, ROC AUC equals scikit-learn's, reconstruction errors are per row."""
import pytest
import torch
from sklearn.metrics import roc_auc_score

from dlcourse import anomaly


def test_roc_auc_equals_scikit_learn():
    g = torch.Generator().manual_seed(0)
    normal, odd = torch.randn(200, generator=g), torch.randn(150, generator=g) + 1
    odd[:10] = normal[:10]  # ties
    ours = anomaly.roc_auc(normal, odd)
    labels = [0] * 200 + [1] * 150
    assert ours == pytest.approx(roc_auc_score(labels, torch.cat([normal, odd]).numpy()), abs=1e-12)
    assert anomaly.roc_auc(torch.zeros(5), torch.ones(5)) == 1.0


def test_corruptions():
    X = torch.rand(20, 64)
    shuffled = anomaly.corrupt(X, "shuffled")
    assert torch.allclose(shuffled.sort(1).values, X.sort(1).values) and not torch.equal(shuffled, X)
    block = anomaly.corrupt(X, "block").reshape(-1, 8, 8)
    assert ((block == 1.0).sum((1, 2)) >= 9).all()
    noisy = anomaly.corrupt(X, "noise", amount=0.25)
    changed = (noisy != X).float().mean()
    assert 0.15 < changed < 0.35
    assert torch.equal(anomaly.corrupt(X, "noise", seed=3), anomaly.corrupt(X, "noise", seed=3))
    with pytest.raises(ValueError):
        anomaly.corrupt(X, "rotated")


def test_reconstruction_error_per_row():
    model = anomaly.autoencoder(64, 4)
    X = torch.rand(7, 64)
    errors = anomaly.reconstruction_error(model, X)
    with torch.no_grad():
        expected = ((model(X) - X) ** 2).mean(1)
    assert errors.shape == (7,) and torch.allclose(errors, expected)
