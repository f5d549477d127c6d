"""dlcourse.attribution (chapter "Interpretable models"): saliency equals the Jacobian, integrated gradients are
complete, occlusion measures score drops, rank correlation equals scipy's Spearman."""
import pytest
import torch
from scipy.stats import spearmanr
from torch import nn

from dlcourse import attribution
from dlcourse.compare import assert_same


def cnn(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 64, 10)).eval()


X = torch.rand(1, 8, 8, generator=torch.Generator().manual_seed(0))  # not the global RNG: import order moved it


def test_saliency_equals_the_jacobian_row():
    model = cnn()
    jacobian = lambda x: torch.autograd.functional.jacobian(lambda v: model(v[None])[0], x)[4].abs()  # noqa: E731
    assert_same(lambda x: attribution.saliency(model, x, 4), jacobian, X)


def test_integrated_gradients_of_a_linear_model_are_exact():
    linear = nn.Sequential(nn.Flatten(), nn.Linear(64, 3))
    ig = attribution.integrated_gradients(linear, X, 1, steps=2, rule="right")
    expected = X * linear[1].weight[1].detach().reshape(1, 8, 8)
    assert torch.allclose(ig, expected, atol=1e-6)


@pytest.mark.parametrize("rule", ["right", "trapezoid"])
def test_integrated_gradients_are_complete(rule):
    model = cnn(1)
    baseline = 0.1 * torch.rand(1, 8, 8)
    ig = attribution.integrated_gradients(model, X, 2, baseline, steps=256, rule=rule)
    assert ig.shape == X.shape
    # ReLU kinks keep the 256-step sums ~1e-2 from complete for some inputs (max 0.0099 over 30 seeds)
    assert attribution.completeness_gap(model, X, 2, ig, baseline) < 0.02


def test_integrated_gradients_reject_an_unknown_rule():
    with pytest.raises(ValueError):
        attribution.integrated_gradients(cnn(), X, 0, rule="simpson")


def test_occlusion_of_a_linear_model_is_the_weighted_patch_average():
    linear = nn.Sequential(nn.Flatten(), nn.Linear(64, 3))
    contribution = (X * linear[1].weight[0].detach().reshape(1, 8, 8))[0]
    single = attribution.occlusion(linear, X, 0, patch=1)  # one pixel at a time: its exact contribution
    assert torch.allclose(single[0], contribution, atol=1e-5)
    two = attribution.occlusion(linear, X, 0, patch=2)
    assert two.shape == X.shape
    # a 2x2 patch at the top-left corner is the only one that covers pixel (0, 0)
    assert torch.allclose(two[0, 0, 0], contribution[:2, :2].sum(), atol=1e-5)


def test_every_method_returns_the_input_shape():
    model = cnn()
    for name, method in attribution.METHODS.items():
        assert method(model, X, 3).shape == X.shape, name


def test_randomized_changes_every_layer_and_leaves_the_original():
    model = cnn()
    before = [p.clone() for p in model.parameters()]
    twin = attribution.randomized(model, seed=3)
    for p, q, b in zip(model.parameters(), twin.parameters(), before):
        assert torch.equal(p, b) and not torch.equal(p, q)


def test_rank_correlation_equals_scipy_spearman():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(50, generator=g)
    b = a + torch.randn(50, generator=g)
    ties = torch.tensor([0.0, 0.0, 1.0, 2.0, 2.0, 2.0, 5.0])
    other = torch.tensor([1.0, 0.0, 3.0, 2.0, 4.0, 4.0, 6.0])
    for x, y in [(a, b), (ties, other), (a, -a)]:
        assert abs(attribution.rank_correlation(x, y) - spearmanr(x.numpy(), y.numpy()).statistic) < 1e-9
    assert attribution.ranks(ties).tolist() == [0.5, 0.5, 2.0, 4.0, 4.0, 4.0, 6.0]


def test_ranks_equal_scipy_and_take_n_log_n_time():
    """Issue 17: averaging ties looped over every distinct value (quadratic: 234x scipy at n = 10^4)."""
    import time

    from scipy.stats import rankdata
    g = torch.Generator().manual_seed(0)
    for x in (torch.randint(0, 5, (200,), generator=g).float(), torch.randn(300, generator=g), torch.zeros(7),
              torch.tensor([3.0]), torch.empty(0)):
        assert torch.allclose(attribution.ranks(x), torch.tensor(rankdata(x.numpy()) - 1, dtype=torch.float64))
    distinct = torch.randn(200_000, generator=g)  # the quadratic loop takes minutes here
    start = time.perf_counter()
    attribution.ranks(distinct)
    assert time.perf_counter() - start < 3.0
