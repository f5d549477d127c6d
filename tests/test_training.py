import pytest
import torch
from torch import nn

from dlcourse import data
from dlcourse.training import History, accuracy, evaluate, fit


def small_net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


def test_fit_learns_digits_and_records_history():
    X_train, y_train, X_test, y_test = data.digits()
    history = fit(small_net(), (X_train, y_train), (X_test, y_test), epochs=15, lr=3e-3, progress=False,
                  device="cpu")
    assert history.epochs == 15
    assert len(history.val_metric) == len(history.train_metric) == 15
    assert history.train_loss[-1] < history.train_loss[0] / 3
    assert history.val_metric[-1] >= 0.93
    assert "val accuracy" in history.summary()


def test_fit_is_reproducible_with_a_seed():
    X, y = data.xor(64)

    def run():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
        return fit(model, (X, y), epochs=3, batch_size=16, progress=False, device="cpu", seed=4).train_loss

    assert run() == run()


def test_full_batch_matches_one_plain_gradient_step():
    X, y = data.blobs(50)
    torch.manual_seed(1)
    model = nn.Linear(2, 2)
    reference = nn.Linear(2, 2)
    reference.load_state_dict(model.state_dict())
    fit(model, (X, y), epochs=1, batch_size=None, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        progress=False, device="cpu")
    loss = nn.functional.cross_entropy(reference(X), y)
    loss.backward()
    with torch.no_grad():
        for p in reference.parameters():
            p -= 0.1 * p.grad
    for p, q in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(p, q)


def test_regression_with_mse_has_no_accuracy():
    x = torch.linspace(-1, 1, 64)[:, None]
    history = fit(nn.Linear(1, 1), (x, 3 * x + 1), loss="mse", epochs=200, lr=0.05, batch_size=None,
                  progress=False, device="cpu")
    assert history.metric_name is None and history.train_metric == []
    assert history.train_loss[-1] < 1e-3


def test_bce_with_single_logit_and_accuracy():
    X, y = data.blobs(100)
    history = fit(nn.Linear(2, 1), (X, y), loss="bce", epochs=30, lr=0.05, progress=False, device="cpu")
    assert history.train_metric[-1] > 0.95


def test_accuracy_handles_class_scores_and_single_logits():
    assert accuracy(torch.tensor([[2.0, 1.0], [0.0, 3.0]]), torch.tensor([0, 0])).item() == 0.5
    assert accuracy(torch.tensor([1.0, -1.0, 2.0]), torch.tensor([1, 0, 0])).item() == pytest.approx(2 / 3)


def test_evaluate_restores_training_mode():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    model.train()
    loss, acc = evaluate(model, data.blobs(20), device="cpu")
    assert model.training and loss > 0 and 0 <= acc <= 1


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="unknown loss"):
        fit(nn.Linear(2, 2), data.blobs(10), loss="hinge", progress=False)
    with pytest.raises(TypeError, match="pair of tensors"):
        fit(nn.Linear(2, 2), [1, 2, 3], progress=False)


def test_callback_sees_every_epoch():
    seen = []
    fit(nn.Linear(2, 2), data.blobs(20), epochs=4, progress=False, device="cpu",
        callback=lambda epoch, history: seen.append((epoch, history.epochs)))
    assert seen == [(0, 1), (1, 2), (2, 3), (3, 4)]


def test_history_plot_draws_both_panels():
    history = History(train_loss=[1.0, 0.5], val_loss=[1.1, 0.7], train_metric=[0.5, 0.8], val_metric=[0.4, 0.7])
    axes = history.plot()
    assert len(axes) == 2 and len(axes[0].lines) == 2


@pytest.mark.parametrize("metric", ["auto", "accuracy", "tensor", "number"])
def test_recorded_epoch_loss_and_metric_are_the_size_weighted_means_over_batches(metric):
    X, y = data.blobs(n=50, seed=1)  # batches of 16, 16, 16 and 2: the weights matter
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    seen = []  # what the optimizer saw, batch by batch: the recorded means must agree with it

    def loss(out, target):
        value = nn.functional.cross_entropy(out, target)
        seen.append((len(target), value.item(), (out.argmax(-1) == target).float().mean().item()))
        return value

    custom = {"auto": "auto", "accuracy": accuracy, "tensor": lambda out, t: (out.argmax(-1) == t).float().mean(),
              "number": lambda out, t: float((out.argmax(-1) == t).float().mean())}[metric]
    history = fit(model, (X, y), epochs=1, batch_size=16, loss=loss, metric=custom, device="cpu", progress=False,
                  live_plot=False)
    sizes = [n for n, _, _ in seen]
    assert sizes == [16, 16, 16, 2]
    assert history.train_loss[0] == pytest.approx(sum(n * v for n, v, _ in seen) / 50, rel=1e-6)
    if metric == "auto":  # a learner's loss function gets no accuracy unless asked
        assert history.train_metric == []
    else:
        assert history.train_metric[0] == pytest.approx(sum(n * a for n, _, a in seen) / 50, rel=1e-6)


def test_accuracy_of_sequence_outputs_counts_every_token():
    torch.manual_seed(0)
    X, y = torch.randn(40, 5, 3), torch.randint(0, 4, (40, 5))  # 40 sequences of 5 tokens, 4 classes
    model = nn.Linear(3, 4)  # (N, T, 3) -> (N, T, 4) logits
    per_token = lambda out, target: nn.functional.cross_entropy(out.reshape(-1, 4), target.reshape(-1))
    history = fit(model, (X, y), epochs=1, batch_size=16, lr=0.0, loss=per_token, metric=accuracy, device="cpu",
                  progress=False, live_plot=False)
    with torch.no_grad():
        expected = (model(X).argmax(-1) == y).float().mean().item()
    assert history.train_metric[0] == pytest.approx(expected)
    assert 0 <= history.train_metric[0] <= 1
