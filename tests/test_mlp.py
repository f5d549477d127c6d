"""dlcourse.mlp: the from-scratch forward pass equals the nn.Sequential it describes; data and R²."""
import pytest
import torch

from dlcourse import mlp
from dlcourse.compare import assert_same


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_forward_equals_sequential(activation):
    torch.manual_seed(0)
    model = mlp.mlp([5, 7, 6, 3], activation).double()
    weights, biases = mlp.parameters_of(model)
    x = torch.randn(4, 5, dtype=torch.float64)
    names = [name for name, _ in model.named_parameters()]  # 0.weight, 0.bias, 2.weight, ...
    params = [t.detach() for t in model.parameters()]

    def ours(x, *p):
        return mlp.forward(x, list(p[0::2]), list(p[1::2]), activation)

    def torchs(x, *p):
        return torch.func.functional_call(model, dict(zip(names, p)), (x,))

    assert_same(ours, torchs, x, *params, atol=1e-12)
    assert len(weights) == len(biases) == 3


def test_builder_and_parameter_count():
    model = mlp.mlp([64, 128, 10])
    assert len(model) == 3 and sum(p.numel() for p in model.parameters()) == mlp.parameter_count([64, 128, 10])
    assert mlp.parameter_count([64, 128, 10]) == 9610
    with pytest.raises(ValueError):
        mlp.mlp([3])
    with pytest.raises(ValueError):
        mlp.mlp([3, 2], "swish")


def test_noisy_function_and_r2():
    x, y = mlp.noisy_function(50, noise=0.0, seed=3)
    assert x.shape == y.shape == (50, 1) and x.abs().max() <= 3
    assert mlp.r2_score(mlp.target_function(x), y) == pytest.approx(1.0)
    assert mlp.r2_score(torch.full_like(y, y.mean().item()), y) == pytest.approx(0.0, abs=1e-9)
    x2, y2 = mlp.noisy_function(50, noise=0.2, seed=3)
    assert torch.equal(x, x2) and not torch.equal(y, y2)
