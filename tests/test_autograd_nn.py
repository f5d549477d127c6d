"""dlcourse.autograd_nn: networks on our engine equal PyTorch's, and fit trains them."""
import torch
import torch.nn.functional as F

from dlcourse import data
from dlcourse.autograd import Variable
from dlcourse.autograd_nn import (EngineMLP, cross_entropy, engine_cross_entropy, engine_function, log_softmax,
                                  mlp_forward, mse)
from dlcourse.compare import assert_same
from dlcourse.training import accuracy, fit

D = torch.float64


def test_log_softmax_and_cross_entropy_equal_torch_even_for_huge_logits():
    for logits in [torch.randn(6, 4, dtype=D) * 3, torch.tensor([[1000.0, -1000.0, 0.0]], dtype=D)]:
        targets = torch.randint(0, logits.shape[1], (len(logits),))
        assert_same(engine_function(lambda z: log_softmax(z)), lambda z: F.log_softmax(z, -1), logits, atol=1e-10)
        assert_same(engine_function(lambda z: cross_entropy(z, targets)), lambda z: F.cross_entropy(z, targets),
                    logits, atol=1e-10)


def test_mse_equals_torch():
    a, b = torch.randn(4, 3, dtype=D), torch.randn(4, 3, dtype=D)
    assert_same(engine_function(mse), F.mse_loss, a, b, atol=1e-12)


def test_mlp_forward_equals_its_torch_twin_in_values_and_gradients():
    for activation in ["tanh", "relu", "sigmoid"]:
        model = EngineMLP([3, 5, 4, 2], activation=activation, seed=1).double()
        twin = model.torch_twin()
        x = torch.randn(7, 3, dtype=D)
        y = torch.randint(0, 2, (7,))
        engine_cross_entropy(model(x), y).backward()
        F.cross_entropy(twin(x), y).backward()
        for ours, theirs in zip(model.parameters(), twin.parameters()):
            assert torch.allclose(ours.grad, theirs.grad, atol=1e-12), activation


def test_mlp_forward_on_variables():
    params = [Variable(torch.randn(4, 2, dtype=D)), Variable(torch.zeros(4, dtype=D)),
              Variable(torch.randn(1, 4, dtype=D)), Variable(torch.zeros(1, dtype=D))]
    out = mlp_forward(Variable(torch.randn(5, 2, dtype=D)), params)
    assert out.shape == (5, 1)


def test_fit_trains_an_engine_mlp_on_moons():
    X, y = data.moons(n=120, noise=0.1, seed=0)
    model = EngineMLP([2, 16, 16, 2], seed=0)
    history = fit(model, (X, y), epochs=200, loss=engine_cross_entropy, metric=accuracy, batch_size=None,
                  optimizer=torch.optim.SGD(model.parameters(), lr=1.0), progress=False, device="cpu")
    assert history.train_loss[-1] < history.train_loss[0] / 3
    assert history.train_metric[-1] >= 0.95
