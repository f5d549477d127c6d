"""dlcourse.gradients: gradient profiles of deep MLPs, clipping == torch.nn.utils, the exploding RNN."""
import copy

import pytest
import torch

from dlcourse import gradients as G


def model_with_grads(seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3))
    model(torch.randn(10, 5)).pow(2).sum().mul(10).backward()
    return model


@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_equals_torch(max_norm):
    ours, theirs = model_with_grads(), model_with_grads()
    total_ours = G.clip_grad_norm_(ours.parameters(), max_norm)
    total_theirs = torch.nn.utils.clip_grad_norm_(theirs.parameters(), max_norm)
    assert torch.allclose(total_ours, total_theirs)
    for a, b in zip(ours.parameters(), theirs.parameters()):
        assert torch.equal(a.grad, b.grad)
    if max_norm < 1:
        assert G.gradient_norm(ours) == pytest.approx(max_norm, rel=1e-4)


def test_clip_grad_value_equals_torch():
    ours, theirs = model_with_grads(), model_with_grads()
    G.clip_grad_value_(ours.parameters(), 0.3)
    torch.nn.utils.clip_grad_value_(theirs.parameters(), 0.3)
    for a, b in zip(ours.parameters(), theirs.parameters()):
        assert torch.equal(a.grad, b.grad)
    assert G.clip_grad_norm_([torch.zeros(2, requires_grad=True)], 1.0).item() == 0.0


def test_sigmoid_gradients_vanish_and_skips_keep_them():
    X, y = torch.randn(64, 10), torch.arange(64) % 3
    plain = G.gradient_profile(G.DeepMLP(10, 32, 3, 20, "sigmoid"), X, y)
    assert len(plain.weight) == len(plain.activation) == 20
    assert plain.ratio() < 1e-12 and plain.ratio("activation") < 1e-12
    skip = G.gradient_profile(G.DeepMLP(10, 32, 3, 20, "sigmoid", residual=True), X, y)
    assert skip.ratio("activation") > 1e-3
    assert skip.activation_value[-1] > 5 * skip.activation_value[1]  # residual sums inflate the activations
    tanh = G.gradient_profile(G.DeepMLP(10, 32, 3, 20, "tanh", "xavier"), X, y)
    assert tanh.ratio() > 1e-2


def test_deep_mlp_errors_and_output():
    with pytest.raises(ValueError):
        G.DeepMLP(3, 4, 2, 1)
    with pytest.raises(ValueError):
        G.DeepMLP(3, 4, 2, 3, activation="swish")
    model = G.DeepMLP(3, 4, 2, 3, "relu", "kaiming")
    assert model(torch.randn(5, 3)).shape == (5, 2) and model.inputs == []


def test_recurrent_gradients_explode_with_the_recurrent_scale():
    X, y = G.memory_task(64, 20)
    assert X.shape == (64, 20) and torch.allclose(y, X[:, :3].mean(1))
    norms = []
    for scale in (0.5, 3.0):
        model = G.RecurrentRegressor(16, scale)
        torch.nn.functional.mse_loss(model(X), y).backward()
        norms.append(G.gradient_norm(model))
        singular = torch.linalg.svdvals(model.rnn.weight_hh_l0.detach())
        assert torch.allclose(singular, torch.full_like(singular, scale), atol=1e-5)
    assert norms[1] > 100 * norms[0]
    assert G.gradient_norm(copy.deepcopy(torch.nn.Linear(2, 2))) == 0.0
