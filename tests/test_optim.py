"""The from-scratch optimizers of dlcourse.optim move parameters exactly as torch.optim does, step for step, and
the schedules (tests/test_schedules.py) give the rates of torch.optim.lr_scheduler.

Tolerance: our updates are the textbook formulas, PyTorch's are the same formulas with the operations in another
order (and fused kernels), so the two differ by rounding: about 1e-16 per step in float64. Usually that stays
below 1e-13 over 100+ steps. Where a gradient component is pure rounding noise, Adam's division by its own size
turns the noise into a full step, and the difference can grow to ~1e-8 (the Adam setting with beta1 = 0.5
below). So the contract is 1e-6 for every setting, while a wrong convention (dampening on the first step, eps
inside the square root, bias correction off by one step) shows up as 1e-4 or more."""
import math

import pytest
import torch
from torch import nn

from dlcourse import data, optim

X_digits, y_digits, _, _ = data.digits()
X, Y = X_digits[:200].double(), y_digits[:200]


def network() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 12), nn.Tanh(), nn.Linear(12, 10)).double()


SETTINGS = [
    (optim.SGD, dict(lr=0.3)),
    (optim.SGD, dict(lr=0.3, weight_decay=0.05)),
    (optim.SGD, dict(lr=0.05, momentum=0.9)),
    (optim.SGD, dict(lr=0.05, momentum=0.8, dampening=0.5, weight_decay=1e-2)),
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    (optim.SGD, dict(lr=0.05, momentum=0.7, nesterov=True, weight_decay=1e-2)),
    (optim.RMSprop, dict(lr=1e-3)),
    (optim.RMSprop, dict(lr=3e-3, alpha=0.9, eps=1e-6, weight_decay=1e-2)),
    (optim.RMSprop, dict(lr=1e-3, momentum=0.9)),
    (optim.RMSprop, dict(lr=1e-3, centered=True, momentum=0.5)),
    (optim.Adam, dict(lr=1e-2)),
    (optim.Adam, dict(lr=3e-3, betas=(0.5, 0.9), eps=1e-6)),
    (optim.Adam, dict(lr=1e-2, weight_decay=0.1)),
    (optim.AdamW, dict(lr=1e-2)),
    (optim.AdamW, dict(lr=1e-2, betas=(0.8, 0.99), weight_decay=0.3)),
]


@pytest.mark.parametrize("cls, hyper", SETTINGS, ids=lambda v: getattr(v, "__name__", str(v)))
def test_same_parameters_as_torch_step_for_step_full_batch(cls, hyper):
    match = optim.compare_with_torch(cls, network(), (X, Y), epochs=110, **hyper)
    assert match.steps == 110
    assert match.distance_moved > 0.5, match  # the run really moved the weights
    assert match.max_difference < 1e-6, match


@pytest.mark.parametrize("cls, hyper", [SETTINGS[3], SETTINGS[5], SETTINGS[9], SETTINGS[12], SETTINGS[14]],
                         ids=["SGD", "Nesterov", "RMSprop", "Adam", "AdamW"])
def test_usually_the_only_difference_is_rounding(cls, hyper):
    match = optim.compare_with_torch(cls, network(), (X, Y), epochs=110, **hyper)
    assert match.max_difference < 1e-12, match


@pytest.mark.parametrize("cls, hyper", SETTINGS[::3], ids=lambda v: getattr(v, "__name__", str(v)))
def test_same_parameters_as_torch_with_shuffled_mini_batches(cls, hyper):
    match = optim.compare_with_torch(cls, network(), (X, Y), epochs=20, batch_size=40, **hyper)
    assert match.steps == 100 and match.max_difference < 1e-6, match


def test_float32_agrees_to_float32_precision():
    model = network().float()
    match = optim.compare_with_torch(optim.Adam, model, (X.float(), Y), epochs=100, lr=1e-2)
    assert match.max_difference < 1e-4, match


def test_a_wrong_convention_would_be_caught():
    # Sanity check of the comparison itself: RMSProp against Adam must differ.
    match = optim.compare_with_torch(optim.RMSprop, network(), (X, Y), epochs=5, reference=torch.optim.Adam, lr=1e-2)
    assert match.max_difference > 1e-3


def test_first_momentum_step_starts_the_velocity_at_the_gradient():
    w = nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))
    opt = optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.5)
    w.grad = torch.tensor([1.0, 1.0], dtype=torch.float64)
    opt.step()
    assert torch.equal(opt.state[w]["momentum_buffer"], torch.tensor([1.0, 1.0], dtype=torch.float64))
    opt.step()  # the second step dampens: 0.9 * 1 + 0.5 * 1
    assert torch.allclose(opt.state[w]["momentum_buffer"], torch.tensor([1.4, 1.4], dtype=torch.float64))
    assert torch.allclose(w.detach(), torch.tensor([1.0 - 0.1 - 0.14, -2.0 - 0.1 - 0.14], dtype=torch.float64))


def test_adam_first_step_moves_every_parameter_by_about_lr():
    w = nn.Parameter(torch.zeros(3, dtype=torch.float64))
    opt = optim.Adam([w], lr=0.01)
    w.grad = torch.tensor([1e-4, -3.0, 50.0], dtype=torch.float64)
    opt.step()
    assert torch.allclose(w.detach(), torch.tensor([-0.01, 0.01, -0.01], dtype=torch.float64), rtol=1e-3)


def test_optimizer_interface():
    w = nn.Parameter(torch.ones(2))
    untouched = nn.Parameter(torch.ones(2))
    opt = optim.make("Nesterov", [w, untouched], lr=0.1)
    assert isinstance(opt, torch.optim.Optimizer) and opt.param_groups[0]["momentum"] == 0.9
    loss = opt.step(lambda: (w ** 2).sum().backward() or (w ** 2).sum())
    assert loss.item() == pytest.approx(2.0)
    # Nesterov's first step: v = g = 2, step along g + 0.9 v = 3.8
    assert torch.allclose(w.detach(), torch.full((2,), 0.62)) and torch.equal(untouched.detach(), torch.ones(2))
    assert untouched not in opt.state  # parameters without a gradient are skipped
    opt.zero_grad()
    assert w.grad is None
    assert set(opt.state_dict()) == {"state", "param_groups"}
    with pytest.raises(ValueError, match="unknown optimizer"):
        optim.make("Adagrad", [w], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([w], lr=0.1, nesterov=True)
    assert list(optim.OPTIMIZERS) == ["SGD", "momentum", "Nesterov", "RMSProp", "Adam"]


MORE_SETTINGS = [
    (optim.SGD, dict(lr=0.05, maximize=True)),
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2, maximize=True)),
    (optim.RMSprop, dict(lr=1e-3, centered=True, momentum=0.5, maximize=True)),
    (optim.Adam, dict(lr=1e-2, maximize=True)),
    (optim.Adam, dict(lr=1e-2, amsgrad=True, weight_decay=0.1)),
    (optim.AdamW, dict(lr=1e-2, amsgrad=True, maximize=True)),
    (optim.AdamW, dict(lr=1e-2, amsgrad=True, weight_decay=0.3)),
]


@pytest.mark.parametrize("cls, hyper", MORE_SETTINGS, ids=lambda v: getattr(v, "__name__", str(v)))
def test_maximize_and_amsgrad_are_honoured_as_in_torch(cls, hyper):
    """Issue 17: `maximize` and `amsgrad` were accepted (as group keys) and silently ignored."""
    torch.manual_seed(1)
    a, b = (nn.Parameter(torch.randn(6, dtype=torch.float64)) for _ in range(2))
    b.data.copy_(a.data)
    ours, theirs = cls([a], **hyper), optim.TORCH[cls]([b], **hyper)
    for step in range(60):
        for p, opt in ((a, ours), (b, theirs)):
            opt.zero_grad()
            bowl = ((p - 1) ** 2 * torch.linspace(0.1, 3, 6, dtype=torch.float64) + 0.1 * (step % 7) * p).sum()
            (-bowl if hyper.get("maximize") else bowl).backward()  # maximize climbs the upturned bowl
            opt.step()
    torch.testing.assert_close(a, b, atol=1e-9, rtol=1e-9)


@pytest.mark.parametrize("cls, hyper", SETTINGS[::2] + MORE_SETTINGS[2:4], ids=lambda v: getattr(v, "__name__", str(v)))
def test_complex_parameters_move_as_in_torch(cls, hyper):
    """Issue 17: RMSprop / Adam squared complex gradients as complex numbers; torch updates (re, im) pairs."""
    torch.manual_seed(2)
    a = nn.Parameter(torch.randn(5, dtype=torch.complex128))
    b = nn.Parameter(a.detach().clone())
    ours, theirs = cls([a], **hyper), optim.TORCH[cls]([b], **hyper)
    target = torch.randn(5, dtype=torch.complex128)
    for _ in range(40):
        for p, opt in ((a, ours), (b, theirs)):
            opt.zero_grad()
            ((p - target).abs() ** 2).sum().backward()
            opt.step()
    torch.testing.assert_close(a, b, atol=1e-9, rtol=1e-9)


@pytest.mark.parametrize("cls, hyper", [(optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.1)),
                                        (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
                                        (optim.RMSprop, dict(lr=1e-2, centered=True, momentum=0.5)),
                                        (optim.Adam, dict(lr=1e-2, amsgrad=True)),
                                        (optim.AdamW, dict(lr=1e-2))],
                         ids=["SGD", "Nesterov", "RMSprop", "Adam", "AdamW"])
def test_state_dicts_load_both_ways_with_torch(cls, hyper):
    """Issue 17: loading torch's SGD state_dict into ours dropped the momentum buffer (ours called it "velocity")."""
    def loss(p):
        return ((p - 2) ** 2 * torch.arange(1.0, 5.0, dtype=torch.float64)).sum()

    for first, second in ((optim.TORCH[cls], cls), (cls, optim.TORCH[cls])):
        torch.manual_seed(3)
        p = nn.Parameter(torch.randn(4, dtype=torch.float64))
        q = nn.Parameter(p.detach().clone())
        before = first([p], **hyper)
        for _ in range(5):
            before.zero_grad(), loss(p).backward(), before.step()
        after = second([p], **hyper)
        after.load_state_dict(before.state_dict())
        reference = first([q], **hyper)
        for _ in range(5):
            reference.zero_grad(), loss(q).backward(), reference.step()
        for _ in range(5):
            for r, opt in ((p, after), (q, reference)):
                opt.zero_grad(), loss(r).backward(), opt.step()
        torch.testing.assert_close(p, q, atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("group", [{"lookahead": 5}, {"differentiable": True}, {"fused": True}, {"amsgrad": True}])
def test_options_we_would_not_honour_are_refused(group):
    w = nn.Parameter(torch.zeros(2))
    for cls in (optim.SGD, optim.RMSprop):
        with pytest.raises(ValueError, match=next(iter(group))):
            cls([{"params": [w], **group}], lr=0.1)
    state = torch.optim.SGD([w], lr=0.1).state_dict()
    state["param_groups"][0].update(group)
    with pytest.raises(ValueError, match=next(iter(group))):
        optim.SGD([w], lr=0.1).load_state_dict(state)
    assert optim.SGD([{"params": [w], "foreach": True, "maximize": True}], lr=0.1).param_groups[0]["maximize"]


def test_lr_range_test_sweeps_geometrically_over_one_pass():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10))
    before = [p.detach().clone() for p in model.parameters()]
    result = optim.lr_range_test(model, (X_digits[:320], y_digits[:320]), "SGD", 1e-3, 10.0, batch_size=16,
                                 device="cpu")
    assert len(result.rates) == len(result.losses) == len(result.smoothed) == 20
    assert result.rates[0].item() == pytest.approx(1e-3) and result.rates[-1].item() == pytest.approx(10.0)
    ratios = result.rates[1:] / result.rates[:-1]
    assert torch.allclose(ratios, ratios[0].expand_as(ratios))
    assert math.isfinite(result.losses[0].item()) and result.losses[0].item() == pytest.approx(math.log(10), rel=0.2)
    best = result.rates[result.smoothed.argmin()].item()
    assert result.suggestion() == pytest.approx(best / 10)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # the model itself is untouched
