import warnings

import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Perceptron

from dlcourse import data, perceptron


def test_converges_on_separable_data_within_novikoffs_bound():
    for seed in range(5):
        X, y, (normal, offset) = data.linearly_separable(150, margin=0.1, seed=seed, return_line=True)
        run = perceptron.train_perceptron(X, y)
        assert run.converged and (run.predict(X.double()) == y).all()
        assert run.updates <= perceptron.novikoff_bound(X, y, normal, offset)


def test_equals_scikit_learns_perceptron_weight_for_weight():
    for seed in range(3):
        X, y = data.linearly_separable(120, margin=0.05, seed=seed)
        for epochs in (1, 2, 5):
            run = perceptron.train_perceptron(X, y, epochs=epochs)
            sk = Perceptron(eta0=1.0, penalty=None, shuffle=False, tol=None, max_iter=len(run.mistakes))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                sk.fit(X.double().numpy(), y.numpy())
            torch.testing.assert_close(run.w, torch.tensor(sk.coef_[0]))
            assert abs(run.b - sk.intercept_[0]) < 1e-9


def test_never_converges_on_xor():
    X, y = data.xor(100)
    run = perceptron.train_perceptron(X, y, epochs=50)
    assert not run.converged and len(run.mistakes) == 50


def test_step_updates_only_on_mistakes():
    w, b = torch.tensor([1.0, 0.0]), 0.0
    x = torch.tensor([2.0, 1.0])
    assert perceptron.perceptron_step(w, b, x, 1)[2] is False
    w2, b2, wrong = perceptron.perceptron_step(w, b, x, 0)
    assert wrong and torch.equal(w2, w - x) and b2 == -1.0


def test_bound_is_infinite_for_a_non_separating_line():
    X, y = data.xor(40)
    assert perceptron.novikoff_bound(X, y, torch.tensor([1.0, 0.0]), 0.0) == float("inf")
