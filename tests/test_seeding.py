import random

import numpy as np
import pytest
import torch

from dlcourse import seeding
from dlcourse.seeding import seed_everything


def test_same_seed_same_numbers_in_every_library():
    def draw():
        return random.random(), float(np.random.rand()), torch.rand(2).tolist(), torch.rand(1, generator=gen).item()

    gen = seed_everything(7)
    first = draw()
    gen = seed_everything(7)
    assert draw() == first
    gen = seed_everything(8)
    assert draw() != first


@pytest.fixture
def base():
    before = seeding.base()
    yield
    seeding.set_base(before)


def test_offsets_are_the_seed_itself_under_the_default_base(base):
    seeding.set_base(0)
    assert [seeding.derive(k) for k in (0, 3, 10_000)] == [0, 3, 10_000]
    assert torch.rand(3, generator=seeding.generator(5)).tolist() == torch.rand(
        3, generator=torch.Generator().manual_seed(5)).tolist()


def test_another_base_moves_every_seed_and_keeps_them_distinct(base):
    seeding.set_base(1)
    shifted = [seeding.derive(k) for k in range(0, 10_001, 100)]
    assert len(set(shifted)) == len(shifted) and not set(shifted) & set(range(10_001))
    assert seeding.seed(4) == seeding.derive(4)
    a = torch.rand(2).tolist()
    seeding.seed(4)
    assert torch.rand(2).tolist() == a


def test_the_environment_sets_the_base_and_threads(base, monkeypatch):
    monkeypatch.setenv("DLCOURSE_SEED", "3")
    assert seeding.set_base() == 3 and seeding.derive(1) == 1 + 3 * seeding.SPACING
    monkeypatch.setenv("DLCOURSE_SEED", "three")
    with pytest.raises(ValueError, match="whole number"):
        seeding.set_base()
    before = torch.get_num_threads()
    monkeypatch.setenv("DLCOURSE_THREADS", "1")
    try:
        assert seeding.set_threads() == 1
    finally:
        torch.set_num_threads(before)
    with pytest.raises(ValueError):
        seeding.set_threads(0)


def test_fit_without_a_seed_stays_reproducible():
    """fit(seed=None) draws its shuffling seed from torch's generator instead of reseeding it from the clock."""
    from torch import nn

    from dlcourse.training import fit

    def run():
        seeding.seed_everything(0)
        model = nn.Linear(2, 2)
        X, y = torch.randn(32, 2), torch.randint(2, (32,))
        fit(model, (X, y), epochs=2, batch_size=8, seed=None, progress=False, live_plot=False, device="cpu")
        return torch.rand(1).item(), model.weight.detach().clone()

    (a, wa), (b, wb) = run(), run()
    assert a == b and torch.equal(wa, wb)
