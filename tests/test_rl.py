"""dlcourse.rl: discounted returns, the REINFORCE loss's gradient, the policy-gradient loop on CartPole, drawings."""
import matplotlib.pyplot as plt
import numpy as np
import torch

from dlcourse import rl
from dlcourse.compare import assert_same


def test_discounted_returns_backwards_recursion():
    returns = rl.discounted_returns([1.0, 0.0, 2.0], 0.5)
    assert torch.allclose(returns, torch.tensor([1.5, 1.0, 2.0], dtype=torch.float64))
    assert torch.allclose(rl.discounted_returns([1.0] * 3, 1.0), torch.tensor([3.0, 2.0, 1.0], dtype=torch.float64))


def test_reinforce_loss_gradient_is_minus_advantage_weighted_score():
    log_probs = torch.log(torch.rand(5, dtype=torch.float64))
    returns = torch.linspace(5, 1, 5, dtype=torch.float64)
    assert_same(lambda lp: rl.reinforce_loss(lp, returns, 2.0),
                lambda lp: -(lp * (returns - 2.0)).sum(), log_probs, atol=1e-12)
    lp = log_probs.clone().requires_grad_(True)
    rl.reinforce_loss(lp, returns, 2.0).backward()
    assert torch.allclose(lp.grad, -(returns - 2.0))


def test_random_policy_is_poor_and_play_records_states():
    env = rl.make_env()
    episode = rl.play(env, None, seed=3)
    assert episode.states.shape == (len(episode.rewards) + 1, 4)
    assert np.mean(rl.evaluate(None, env, episodes=10)) < 50


def test_reinforce_solves_cartpole_and_keeps_checkpoints():
    torch.manual_seed(0)
    policy = rl.policy_network()
    run = rl.reinforce(policy, episodes=400, lr=5e-3, seed=0, progress=False, device="cpu")
    assert run.solved_at is not None and np.mean(run.returns[-20:]) >= rl.SOLVED
    assert np.mean(rl.evaluate(policy, episodes=10)) >= rl.SOLVED
    assert 0 in run.checkpoints and len(run.returns) in run.checkpoints
    assert len(run.moving_average()) == len(run.returns)


def test_baseline_reduces_gradient_variance():
    torch.manual_seed(0)
    policy = rl.policy_network()
    env = rl.make_env()
    with_b = rl.policy_gradient_samples(policy, env, 40, baseline=True)
    without = rl.policy_gradient_samples(policy, env, 40, baseline=False)
    assert with_b.shape == (40, sum(p.numel() for p in policy.parameters()))
    assert with_b.var(0).sum() < without.var(0).sum()


def test_drawings():
    episode = rl.play(rl.make_env(), None, seed=0)
    axes = rl.filmstrip(episode.states, frames=4)
    assert len(axes) == 4 and axes[0].get_title() == "step 0"
    plt.close("all")
