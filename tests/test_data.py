import pytest
import torch

from dlcourse import data


def test_digits_shapes_range_and_split():
    X_train, y_train, X_test, y_test = data.digits()
    assert X_train.shape[1] == 64 and len(X_train) + len(X_test) == 1797
    assert len(X_test) == round(1797 * 0.25)
    assert 0 <= X_train.min() and X_train.max() <= 1
    assert set(y_train.unique().tolist()) == set(range(10))
    images = data.digits(flat=False)[0]
    assert images.shape[1:] == (1, 8, 8)


def test_split_is_a_partition_and_reproducible():
    X = torch.arange(20.0)[:, None]
    y = torch.arange(20)
    a = data.split(X, y, 0.3, seed=1)
    b = data.split(X, y, 0.3, seed=1)
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    assert sorted(torch.cat([a[1], a[3]]).tolist()) == list(range(20))
    with pytest.raises(ValueError):
        data.split(X, y, 1.5)


@pytest.mark.parametrize("name", sorted(data.TOY_SETS))
def test_toy_sets_are_balanced_and_deterministic(name):
    make = data.TOY_SETS[name]
    X, y = make(n=200, seed=5)
    X2, y2 = make(n=200, seed=5)
    assert X.shape == (200, 2) and X.dtype == torch.float32 and y.dtype == torch.int64
    assert torch.equal(X, X2) and torch.equal(y, y2)
    counts = torch.bincount(y)
    assert counts.min() >= counts.max() - 1


def test_linearly_separable_respects_its_margin():
    X, y, (normal, offset) = data.linearly_separable(300, margin=0.4, seed=2, return_line=True)
    distance = X @ normal + offset
    assert torch.isclose(normal.norm(), torch.tensor(1.0))
    assert (distance.abs() >= 0.4).all()
    assert torch.equal((distance > 0).long(), y)


def test_mnist1d_is_generated_offline_reproducibly_and_leaves_global_generators_alone():
    import random

    import numpy as np
    random.seed(5)
    np.random.seed(5)
    expected_python, expected_numpy = random.random(), np.random.rand()
    random.seed(5)
    np.random.seed(5)
    X, y, X_test, y_test = data.mnist1d(n_train=400, n_test=100, seed=3)
    assert (random.random(), np.random.rand()) == (expected_python, expected_numpy)
    assert X.shape == (400, 40) and X_test.shape == (100, 40) and X.dtype == torch.float32
    assert set(y.tolist()) == set(range(10)) and y.dtype == torch.int64
    again = data.mnist1d(n_train=400, n_test=100, seed=3)
    assert torch.equal(again[0], X) and torch.equal(again[3], y_test)
    again[0].zero_()  # a caller's in-place change must not reach the cache
    assert torch.equal(data.mnist1d(n_train=400, n_test=100, seed=3)[0], X)
    assert not torch.equal(data.mnist1d(n_train=400, n_test=100, seed=4)[0], X)
    with pytest.raises(ValueError, match="at least 10"):
        data.mnist1d(n_train=5, n_test=100)


def test_first_names_are_the_census_lists():
    found = data.first_names()
    assert len(found) == 5163 and found == sorted(set(found))
    assert {"mary", "james", "aaron"} <= set(found)
    assert all(name.isalpha() and name.islower() for name in found)
