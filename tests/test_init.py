"""dlcourse.init: from-scratch Xavier and Kaiming equal torch.nn.init, number for number, given the same generator."""
import math

import pytest
import torch
from torch import nn

from dlcourse import init


def seeded(seed=3):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("shape", [(30, 50), (8, 3, 5, 5)])
def test_fans_match_torch(shape):
    assert init.fans(shape) == nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


@pytest.mark.parametrize("ours, theirs", [(init.xavier_uniform_, nn.init.xavier_uniform_),
                                          (init.xavier_normal_, nn.init.xavier_normal_)])
@pytest.mark.parametrize("gain", [1.0, 5.0 / 3])
def test_xavier_draws_exactly_torchs_numbers(ours, theirs, gain):
    a = ours(torch.empty(40, 70), gain=gain, generator=seeded())
    b = theirs(torch.empty(40, 70), gain=gain, generator=seeded())
    assert torch.equal(a, b)


@pytest.mark.parametrize("ours, theirs", [(init.kaiming_uniform_, nn.init.kaiming_uniform_),
                                          (init.kaiming_normal_, nn.init.kaiming_normal_)])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity", ["relu", "tanh", "sigmoid", "linear"])
def test_kaiming_draws_exactly_torchs_numbers(ours, theirs, mode, nonlinearity):
    a = ours(torch.empty(20, 9, 3), mode=mode, nonlinearity=nonlinearity, generator=seeded())
    b = theirs(torch.empty(20, 9, 3), mode=mode, nonlinearity=nonlinearity, generator=seeded())
    assert torch.equal(a, b)


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid", "linear"])
def test_gains_match_torch(name):
    assert init.gain(name) == pytest.approx(nn.init.calculate_gain(name))
    assert init.gain("leaky_relu", 0.2) == pytest.approx(nn.init.calculate_gain("leaky_relu", 0.2))


def test_standard_deviations_and_the_default_scheme():
    w = init.xavier_uniform_(torch.empty(400, 600), generator=seeded())
    assert w.std().item() == pytest.approx(math.sqrt(2 / 1000), rel=0.02)
    assert w.abs().max().item() <= math.sqrt(6 / 1000)
    torch.manual_seed(0)
    linear = nn.Linear(600, 400)
    assert linear.weight.std().item() == pytest.approx(init.pytorch_default_std((400, 600)), rel=0.02)
    for scheme in init.SCHEMES:
        assert init.initialise_(torch.empty(5, 4), scheme, "tanh", seeded()).abs().max() > 0


def test_errors():
    with pytest.raises(ValueError):
        init.fans((3,))
    with pytest.raises(ValueError):
        init.gain("swish")
    with pytest.raises(ValueError):
        init.kaiming_std((3, 4), mode="fan_middle")
    with pytest.raises(ValueError):
        init.initialise_(torch.empty(2, 2), "lecun")


@pytest.mark.parametrize("ours, theirs", [(init.kaiming_uniform_, nn.init.kaiming_uniform_),
                                          (init.kaiming_normal_, nn.init.kaiming_normal_)])
@pytest.mark.parametrize("a", [None, 0.0, 0.2, 1.5])
def test_kaiming_with_leaky_relu_draws_torchs_numbers(ours, theirs, a):
    """Issue 17: leaky_relu used the gain sqrt(2 / 1.0001) where torch's kaiming default (a = 0) gives sqrt(2)."""
    kw = {} if a is None else {"a": a}
    got = ours(torch.empty(20, 9, 3), nonlinearity="leaky_relu", generator=seeded(), **kw)
    want = theirs(torch.empty(20, 9, 3), nonlinearity="leaky_relu", generator=seeded(), **kw)
    assert torch.equal(got, want)


@pytest.mark.parametrize("fill", [init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_,
                                  init.kaiming_normal_])
@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0), (2, 0, 3), (0, 2, 3, 3)])
def test_zero_size_tensors_warn_and_come_back_as_in_torch(fill, shape):
    """Issue 17: a zero fan divided by zero; torch warns that filling nothing is a no-op and returns the tensor."""
    tensor = torch.empty(shape)
    with pytest.warns(UserWarning, match="no-op"):
        assert fill(tensor) is tensor
