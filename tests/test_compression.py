"""dlcourse.compression (chapter "Efficient models"): pruning masks equal torch.nn.utils.prune's, int8 layers equal
fake-quantized float layers, the distillation loss equals its formula."""
import copy

import pytest
import torch
import torch.nn.functional as F
import torch.nn.utils.prune as prune
from torch import nn

from dlcourse import compression
from dlcourse.compare import assert_same


def network(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 3))


@pytest.mark.parametrize("amount", [0.0, 0.3, 0.8, 0.97, 1.0])
def test_layer_masks_equal_l1_unstructured(amount):
    model = network()
    ours = compression.magnitude_masks(model, amount, "layer")
    twin = copy.deepcopy(model)
    for name, layer in compression.prunable(twin).items():
        prune.l1_unstructured(layer, "weight", amount=amount)
        assert torch.equal(ours[name], layer.weight_mask), name
        assert_same(lambda w: w * ours[name], lambda w: w * layer.weight_mask, layer.weight_orig.detach())


@pytest.mark.parametrize("amount", [0.5, 0.9])
def test_global_masks_equal_global_unstructured(amount):
    model = network(1)
    ours = compression.magnitude_masks(model, amount, "global")
    twin = copy.deepcopy(model)
    layers = compression.prunable(twin)
    prune.global_unstructured([(m, "weight") for m in layers.values()], pruning_method=prune.L1Unstructured,
                              amount=amount)
    for name, layer in layers.items():
        assert torch.equal(ours[name], layer.weight_mask), name


def test_masks_reject_bad_arguments():
    with pytest.raises(ValueError):
        compression.magnitude_mask(torch.ones(3), 1.5)
    with pytest.raises(ValueError):
        compression.magnitude_masks(network(), 0.5, "everywhere")


def test_pruned_weights_stay_zero_while_training():
    from dlcourse.training import fit

    model = network()
    handles = compression.apply_masks(model, compression.magnitude_masks(model, 0.7, "global"))
    assert abs(compression.sparsity(model) - 0.7) < 1e-2
    X, y = torch.randn(64, 12), torch.randint(0, 3, (64,))
    fit(model, (X, y), epochs=3, lr=1e-2, progress=False, live_plot=False, device="cpu")
    assert abs(compression.sparsity(model) - 0.7) < 1e-2
    for h in handles:
        h.remove()
    fit(model, (X, y), epochs=1, lr=1e-2, progress=False, live_plot=False, device="cpu")
    assert compression.sparsity(model) < 0.5  # most grow back (units that are dead for every input do not)


def test_quantize_symmetric_round_trip():
    w = torch.randn(8, 5)
    q, scale = compression.quantize_symmetric(w, dim=0)
    assert q.dtype == torch.int8 and scale.shape == (8, 1) and q.abs().max() == 127
    assert (compression.dequantize(q, scale) - w).abs().le(scale / 2 + 1e-7).all()
    q1, s1 = compression.quantize_symmetric(w)
    assert s1.shape == () and torch.allclose(s1, w.abs().max() / 127)


@pytest.mark.parametrize("batch", [1, 3, 40])
def test_int8_linear_equals_fake_quantization(batch):
    layer = nn.Linear(24, 16)
    int8 = compression.Int8Linear(layer)
    x = torch.randn(batch, 24)

    def fake(x):
        xq, sx = compression.quantize_symmetric(x, dim=0)
        wq, sw = compression.quantize_symmetric(layer.weight.detach(), dim=0)
        return F.linear(compression.dequantize(xq, sx), compression.dequantize(wq, sw), layer.bias.detach())

    with torch.no_grad():
        assert_same(int8, fake, x, atol=1e-5)
        assert (int8(x) - layer(x)).abs().max() < 0.05
    assert int8(torch.randn(2, 5, 24)).shape == (2, 5, 16)


def test_int8_matmul_fallback_is_exact():
    a = torch.randint(-127, 128, (5, 12), dtype=torch.int8)
    b = torch.randint(-127, 128, (7, 12), dtype=torch.int8)
    exact = (a.long() @ b.long().t()).int()
    assert torch.equal(compression._int8_matmul(a, b), exact)


def test_quantized_model_is_smaller_and_agrees():
    model = network()
    quantized = compression.quantize_linears(model)
    assert all(not isinstance(m, nn.Linear) for m in quantized.modules())
    assert isinstance(model[0], nn.Linear)  # the original is untouched
    assert compression.size_bytes(quantized) < compression.size_bytes(model) / 2.5
    x = torch.randn(50, 12)
    with torch.no_grad():
        assert (quantized(x).argmax(-1) == model(x).argmax(-1)).float().mean() > 0.9
    assert compression.serialized_size(quantized) < compression.serialized_size(model)
    assert compression.latency_ms(quantized, x, repeats=3) > 0


def test_sizes_and_counts():
    model = network()
    n = compression.count_parameters(model)
    assert n == 12 * 32 + 32 + 32 * 16 + 16 + 16 * 3 + 3
    assert compression.size_bytes(model) == 4 * n
    assert compression.serialized_size(model) > 4 * n


def test_distillation_loss_is_hintons_formula():
    s, t = torch.randn(6, 5, dtype=torch.float64), torch.randn(6, 5, dtype=torch.float64)
    y = torch.randint(0, 5, (6,))
    T, alpha = 3.0, 0.7

    def formula(s, t):
        p = F.softmax(t / T, -1)
        kl = (p * (p.log() - F.log_softmax(s / T, -1))).sum(-1).mean()
        return alpha * T * T * kl + (1 - alpha) * F.cross_entropy(s, y)

    assert_same(lambda s, t: compression.distillation_loss(s, t, y, T, alpha), formula, s, t, atol=1e-10)
    assert compression.distillation_loss(t, t, None, T).abs() < 1e-12


def test_soft_targets_and_objective_work_with_fit():
    from dlcourse.training import fit

    teacher, student = network(0), network(1)
    X, y = torch.randn(40, 12), torch.randint(0, 3, (40,))
    targets = compression.soft_targets(teacher, X, y)
    assert targets.shape == (40, 4) and torch.equal(targets[:, -1].long(), y)
    history = fit(student, (X, targets), epochs=2, loss=compression.distillation_objective(2.0, 0.5),
                  progress=False, live_plot=False, device="cpu")
    assert history.epochs == 2 and history.train_loss[-1] > 0
    assert 0 <= compression.accuracy_of(student, X, y) <= 1
