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


@pytest.mark.parametrize("shape", [(5, 12, 7), (1, 64, 256), (256, 256, 10), (17, 256, 256)])
def test_int8_matmul_kernel_and_fallback_are_exact(shape):
    m, k, n = shape
    a = torch.randint(-127, 128, (m, k), dtype=torch.int8)
    b = torch.randint(-127, 128, (n, k), dtype=torch.int8)
    exact = (a.long() @ b.long().t()).int()
    assert compression._int_mm_supported(a, b)  # on the CPU, torch._int_mm takes every shape but k = 1
    assert torch.equal(compression._int8_matmul(a, b), exact)  # the kernel (warning-free: warnings are errors)
    assert torch.equal(compression._int8_matmul_float(a, b), exact)  # the fallback


def test_int8_linear_uses_the_fallback_where_the_kernel_refuses(monkeypatch):
    layer = nn.Linear(24, 16)
    x = torch.randn(3, 24)
    with torch.no_grad():
        with_kernel = compression.Int8Linear(layer)(x)
        monkeypatch.setattr(compression, "_int_mm_supported", lambda a, b: False)
        monkeypatch.setattr(torch, "_int_mm", None)  # would fail if still called
        assert torch.equal(compression.Int8Linear(layer)(x), with_kernel)
    meta = torch.zeros(3, 24, dtype=torch.int8, device="meta")
    assert not compression._int_mm_supported(meta, meta)


def test_pytorch_quantize_dynamic_runs_without_warnings_and_agrees():
    model = network()
    theirs = compression.quantize_dynamic_pytorch(model)  # would raise here if a warning escaped
    assert isinstance(model[0], nn.Linear)  # the original is untouched
    assert all(not isinstance(m, nn.Linear) for m in theirs.modules())
    x = torch.randn(50, 12)
    with torch.no_grad():
        assert (theirs(x) - model(x)).abs().max() < 0.05
    assert compression.serialized_size(theirs) < compression.serialized_size(model)
    assert compression.accuracy_of(theirs, x, model(x).argmax(-1)) > 0.9
    assert compression.latency_ms(theirs, x, repeats=3) > 0
    assert abs(compression.nonzero_numbers(theirs) - compression.nonzero_numbers(model)) < 10  # a weight may round to 0


def test_pytorch_quantize_dynamic_reports_when_torch_removed_it(monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "torch.ao.quantization", None)  # makes the import fail
    assert compression.quantize_dynamic_pytorch(network()) is None
    assert "not available" in capsys.readouterr().out


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
    assert compression.nonzero_numbers(model) == n
    compression.apply_masks(model, compression.magnitude_masks(model, 0.5, "layer"))
    assert compression.nonzero_numbers(model) == n - sum(round(0.5 * m.weight.numel())
                                                         for m in compression.prunable(model).values())


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


@pytest.mark.parametrize("shape", [(1, 1, 1), (5, 1, 2), (17, 1, 8), (3, 2, 5), (1, 3, 1), (33, 1, 17)])
def test_int8_matmul_is_exact_for_tiny_inner_sizes(shape):
    """Issue 17: torch's CPU _int_mm returns garbage for an inner size of 1 (Int8Linear with in_features = 1)."""
    m, k, n = shape
    g = torch.Generator().manual_seed(k * 100 + n)
    for _ in range(5):  # the garbage changed from run to run, so one lucky call is not enough
        a = torch.randint(-127, 128, (m, k), dtype=torch.int8, generator=g)
        b = torch.randint(-127, 128, (n, k), dtype=torch.int8, generator=g)
        assert torch.equal(compression._int8_matmul(a, b), (a.long() @ b.long().t()).int())


@pytest.mark.parametrize("in_features, out_features", [(1, 1), (1, 4), (1, 33), (2, 3)])
def test_int8_linear_with_one_or_two_inputs_agrees_with_float(in_features, out_features):
    torch.manual_seed(in_features + out_features)
    layer = nn.Linear(in_features, out_features)
    int8 = compression.Int8Linear(layer)
    x = torch.randn(9, in_features)
    with torch.no_grad():
        first, second = int8(x), int8(x)
        assert torch.equal(first, second)
        assert (first - layer(x)).abs().max() < 0.05
