"""Exercise checks of the chapter "Deep learning and reinforcement learning": discounted returns, the REINFORCE loss."""
from __future__ import annotations

import numpy as np
import torch

from dlcourse.checks import Incorrect, call, exercise, expect_close, expect_tensor, fresh_generator
from dlcourse.rl import discounted_returns as _returns

_REWARDS = [1.0, 0.0, 2.0, -1.0, 3.0]
_GAMMA = 0.9


def _real(value, what: str):
    """Complex numbers are never right here: say so instead of letting torch drop the imaginary part."""
    try:
        is_complex = value.is_complex() if isinstance(value, torch.Tensor) else bool(np.iscomplexobj(value))
    except Exception:  # anything numpy cannot look at is diagnosed later, by expect_tensor
        is_complex = False
    if is_complex:
        raise Incorrect(f"{what} should be real, you returned complex numbers")
    return value


def _forward(rewards: list[float], gamma: float) -> torch.Tensor:
    out, running = [], 0.0
    for r in rewards:
        running = gamma * running + r
        out.append(running)
    return torch.tensor(out, dtype=torch.float64)


@exercise("discounted returns", hint="Walk backwards: G_T = r_T, then G_t = r_t + gamma * G_{t+1}.")
def discounted_returns(answer) -> str:
    """Check `answer(rewards, gamma)`: the returns-to-go G_t = sum_k gamma^k r_{t+k}, one per step."""
    g = fresh_generator()
    fresh = ([round(v, 3) for v in (torch.randn(int(torch.randint(2, 12, (), generator=g)), generator=g) * 2).tolist()],
             round(0.5 + 0.49 * torch.rand((), generator=g).item(), 3))
    for rewards, gamma in ((_REWARDS, _GAMMA), fresh):
        got = _real(call(answer, list(rewards), gamma), "your returns")
        r = torch.tensor(rewards, dtype=torch.float64)
        powers = gamma ** torch.arange(len(r), dtype=torch.float64)
        expect_close(got, _returns(rewards, gamma), "your returns", atol=1e-6, mistakes={
            "you discounted in the wrong direction: G_t sums the rewards that come *after* step t, "
            "so accumulate from the last step backwards": _forward(rewards, gamma),
            "gamma is missing: these are undiscounted sums of the future rewards": r.flip(0).cumsum(0).flip(0),
            "those are the discounted rewards gamma^t r_t, not their sums from step t on": powers * r,
            "every step got the return of the whole episode; G_t starts counting at step t":
                _returns(rewards, gamma)[0].repeat(len(r)),
            "the discount restarts at each step t: G_t = r_t + gamma r_{t+1} + ..., not gamma^(t+k) r_{t+k}":
                (powers * r).flip(0).cumsum(0).flip(0),
        })
    one = expect_tensor(_real(call(answer, [5.0], _GAMMA), "your returns"), (1,), "your returns for a one-step episode")
    if abs(one.reshape(-1)[0].item() - 5.0) > 1e-6:
        raise Incorrect(f"a one-step episode with reward 5 has return 5, you gave {one.reshape(-1)[0].item():.4g}")
    return "Right: each G_t is the reward now plus gamma times the return from the next step."


@exercise("REINFORCE loss", hint="loss = -(log_probs * (returns - baseline)).sum(): minimising it raises the "
                                 "log-probability of actions that did better than the baseline.")
def reinforce_loss(answer) -> str:
    """Check `answer(log_probs, returns, baseline)`: the scalar -sum_t log_prob_t (G_t - b)."""
    g = torch.Generator().manual_seed(3)
    fixed = (-torch.rand(6, generator=g, dtype=torch.float64) - 0.1, torch.linspace(6.0, 1.0, 6, dtype=torch.float64),
             3.5)
    g = fresh_generator()
    steps = int(torch.randint(3, 12, (), generator=g))
    fresh = (-torch.rand(steps, generator=g, dtype=torch.float64) * 2 - 0.05,
             torch.randn(steps, generator=g, dtype=torch.float64) * 4, (torch.rand((), generator=g) * 4 - 2).item())
    for case, (log_probs, returns, baseline) in enumerate((fixed, fresh)):
        _reinforce_case(answer, log_probs, returns, baseline, " for a second, random episode" if case else "")
    return "Correct: the gradient of this loss is minus the policy-gradient estimate."


def _reinforce_case(answer, log_probs, returns, baseline, where: str) -> None:
    leaf = log_probs.clone().requires_grad_(True)  # the check's own leaf, to read the gradient that reaches it
    got = _real(call(answer, leaf, returns.clone(), baseline, copies=False), "your loss")
    if isinstance(got, torch.Tensor) and got.numel() > 1:
        raise Incorrect(f"the loss should be one number (a scalar), you returned shape {tuple(got.shape)}: "
                        "sum over the time steps")
    expected = -(log_probs * (returns - baseline)).sum()
    expect_close(got, expected, "your loss" + where, mistakes={
        "the sign is flipped: optimizers minimise, so the loss is minus the objective": -expected,
        "the baseline is missing (returns used as they are)": -(log_probs * returns).sum(),
        "the baseline is added, it should be subtracted: G_t - b": -(log_probs * (returns + baseline)).sum(),
        "you averaged over the steps; this exercise asks for the sum": expected / len(returns),
        "the sign is flipped and the baseline is missing": (log_probs * returns).sum(),
        "the log-probabilities were exponentiated: weight log pi(a|s), not pi(a|s)":
            -(log_probs.exp() * (returns - baseline)).sum(),
    })
    if not (isinstance(got, torch.Tensor) and got.requires_grad):
        raise Incorrect("your loss has the right value but no gradient reaches log_probs: did you detach them, "
                        "or use .item()? The optimizer needs d loss / d log_probs")
    try:
        (grad,) = torch.autograd.grad(got.reshape(()), leaf, allow_unused=True)
    except RuntimeError as exc:
        raise Incorrect(f"your loss could not be differentiated ({exc})") from None
    if grad is None:
        raise Incorrect("your loss requires grad but is cut from log_probs (rebuilt from .item() or .detach()?): "
                        "no gradient reaches the policy; compute it from log_probs directly")
    expect_close(grad, -(returns - baseline), "the gradient of your loss with respect to log_probs (it should be "
                 "-(G_t - b))" + where)
