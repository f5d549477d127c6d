"""dlcourse.schedules (re-exported by dlcourse.optim) give the rates of torch.optim.lr_scheduler, step for step."""
import pytest
import torch
from torch import nn
from torch.optim import lr_scheduler

from dlcourse import optim


def _rates(make_scheduler, steps=100, base=0.5) -> torch.Tensor:
    w = nn.Parameter(torch.zeros(1))
    opt = optim.SGD([w], lr=base)
    scheduler = make_scheduler(opt)
    rates = []
    for _ in range(steps):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return torch.tensor(rates, dtype=torch.float64)


@pytest.mark.parametrize("ours, theirs", [
    (lambda t: optim.step_decay(t, 30, 0.1), lambda o: lr_scheduler.StepLR(o, 30, 0.1)),
    (lambda t: optim.step_decay(t, 7, 0.5), lambda o: lr_scheduler.StepLR(o, 7, 0.5)),
    (lambda t: optim.cosine(t, 100), lambda o: lr_scheduler.CosineAnnealingLR(o, 100)),
    (lambda t: optim.cosine(t, 100, floor=0.2), lambda o: lr_scheduler.CosineAnnealingLR(o, 100, eta_min=0.1)),
    (lambda t: optim.warmup_cosine(t, 10, 100),
     lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o, 0.1, 1.0, 10),
                                             lr_scheduler.CosineAnnealingLR(o, 90)], [10])),
    (lambda t: optim.warmup_cosine(t, 5, 100, start=0.3, floor=0.1),
     lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o, 0.3, 1.0, 5),
                                             lr_scheduler.CosineAnnealingLR(o, 95, eta_min=0.05)], [5])),
], ids=["step", "step-half", "cosine", "cosine-floor", "warmup", "warmup-floor"])
def test_schedules_equal_torch_schedulers(ours, theirs):
    mine = _rates(lambda o: lr_scheduler.LambdaLR(o, ours))
    assert (mine - _rates(theirs)).abs().max() < 1e-12


def test_cosine_rises_again_after_the_end_as_torchs_does_unless_held():
    """Issue 17: cosine stayed at its floor after `total`, while torch's CosineAnnealingLR (named in the docstring)
    rises again; `hold=True` keeps the floor, on request."""
    assert optim.cosine(0, 10) == 1.0 and optim.cosine(10, 10) == pytest.approx(0.0, abs=1e-15)
    mine = _rates(lambda o: lr_scheduler.LambdaLR(o, lambda t: optim.cosine(t, 10, floor=0.2)), steps=45)
    theirs = _rates(lambda o: lr_scheduler.CosineAnnealingLR(o, 10, eta_min=0.1), steps=45)
    assert (mine - theirs).abs().max() < 1e-12 and mine[20].item() == pytest.approx(0.5)
    assert optim.cosine(25, 10, floor=0.1, hold=True) == pytest.approx(0.1)
