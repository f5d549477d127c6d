"""Policy gradient (REINFORCE with a baseline) on gymnasium's CartPole, and cart-pole drawings.

Used by the chapter "Deep learning and reinforcement learning". `reinforce` is the course's one policy-gradient
loop (supervised training goes through `dlcourse.training.fit`); `draw_cartpole` draws a state with matplotlib,
since the environment's own renderer needs pygame.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from dlcourse import seeding
from dlcourse.extras import require
from dlcourse.device import device as pick_device

ENV_ID = "CartPole-v1"
SOLVED = 195.0
"""The classic bar for cart-pole: a mean return of at least 195 over consecutive episodes."""


def make_env(env_id: str = ENV_ID):
    """A gymnasium environment (no rendering: the course draws frames itself)."""
    gym = require("gymnasium", "The cart-pole environment")
    return gym.make(env_id)


def policy_network(hidden: int = 64, observations: int = 4, actions: int = 2) -> nn.Module:
    """A small MLP from a state to action logits (4-64-2 for cart-pole)."""
    return nn.Sequential(nn.Linear(observations, hidden), nn.Tanh(), nn.Linear(hidden, actions))


def discounted_returns(rewards: Tensor | list[float], gamma: float) -> Tensor:
    """G_t = r_t + gamma r_{t+1} + gamma^2 r_{t+2} + ..., computed backwards in one pass."""
    rewards = torch.as_tensor(rewards, dtype=torch.float64)
    returns = torch.empty_like(rewards)
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        running = rewards[t].item() + gamma * running
        returns[t] = running
    return returns


def reinforce_loss(log_probs: Tensor, returns: Tensor, baseline: Tensor | float = 0.0) -> Tensor:
    """The REINFORCE surrogate: -sum_t log pi(a_t | s_t) (G_t - b_t); its gradient is the policy gradient."""
    advantages = (returns - baseline).detach()
    return -(log_probs * advantages).sum()


@dataclass
class Episode:
    """One episode: the states visited (first included), actions, rewards and log-probabilities of the actions."""

    states: np.ndarray
    actions: list[int]
    rewards: list[float]
    log_probs: Tensor | None = None

    @property
    def total(self) -> float:
        return float(sum(self.rewards))


def play(env, policy: Callable[[Tensor], Tensor] | None, seed: int, greedy: bool = False,
         generator: torch.Generator | None = None, record_grad: bool = False) -> Episode:
    """Run one episode. policy None acts uniformly at random; greedy picks the most likely action."""
    generator = generator or seeding.generator(seed)
    dev = next(policy.parameters()).device if isinstance(policy, nn.Module) else torch.device("cpu")
    state, _ = env.reset(seed=seeding.derive(seed))
    states, actions, rewards, log_probs = [state], [], [], []
    done = False
    with torch.set_grad_enabled(record_grad):
        while not done:
            if policy is None:
                action = int(torch.randint(2, (), generator=generator))
            else:
                logits = policy(torch.as_tensor(state, dtype=torch.float32, device=dev))
                logp = torch.log_softmax(logits, -1)
                if greedy:
                    action = int(logp.argmax())
                else:  # sample on the CPU with our own generator: reproducible on every device
                    u = torch.rand((), generator=generator).item()
                    action = int(u > logp[0].exp().item())
                log_probs.append(logp[action])
            state, reward, terminated, truncated, _ = env.step(action)
            states.append(state)
            actions.append(action)
            rewards.append(float(reward))
            done = terminated or truncated
    return Episode(np.array(states), actions, rewards, torch.stack(log_probs) if record_grad else None)


@dataclass
class Run:
    """A `reinforce` run: the return of every training episode and copies of the policy along the way."""

    returns: list[float] = field(default_factory=list)
    checkpoints: dict[int, dict] = field(default_factory=dict)
    solved_at: int | None = None
    window: int = 20

    def moving_average(self) -> np.ndarray:
        r = np.asarray(self.returns)
        return np.array([r[max(0, i - self.window + 1):i + 1].mean() for i in range(len(r))])


def reinforce(policy: nn.Module, env=None, *, episodes: int = 600, lr: float = 1e-2, gamma: float = 0.99,
              baseline: str = "normalize", seed: int = 0, target: float = SOLVED, window: int = 20,
              checkpoint_every: int = 25, progress: bool = True, device: torch.device | str | None = None) -> Run:
    """Train `policy` with REINFORCE until the mean return of the last `window` episodes reaches `target`.

    baseline: "normalize" subtracts the episode's mean return-to-go (and divides by its spread), "none" uses the
    raw returns. Checkpoints (state dicts) are kept every `checkpoint_every` episodes and at the end.
    """
    env = env or make_env()
    dev = torch.device(device) if device is not None else pick_device()
    policy.to(dev)
    seeding.seed(seed)
    optimizer = torch.optim.Adam(policy.parameters(), lr=lr)
    generator = seeding.generator(seed)
    run = Run(window=window)
    run.checkpoints[0] = copy.deepcopy(policy.state_dict())
    bar = tqdm(range(1, episodes + 1), desc="REINFORCE", unit="episode", disable=not progress, leave=True)
    for k in bar:
        episode = play(env, policy, seed=seed * 100_000 + k, generator=generator, record_grad=True)
        returns = discounted_returns(episode.rewards, gamma).to(device=dev, dtype=torch.float32)
        b: Tensor | float = 0.0
        if baseline == "normalize":  # advantages (G_t - mean) / spread: same direction, less variance
            scale = returns.std() + 1e-8 if len(returns) > 1 else torch.ones((), device=dev)
            returns, b = returns / scale, returns.mean() / scale
        loss = reinforce_loss(episode.log_probs, returns, b)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        run.returns.append(episode.total)
        recent = float(np.mean(run.returns[-window:]))
        bar.set_postfix_str(f"mean of last {window}: {recent:.0f}")
        if k % checkpoint_every == 0:
            run.checkpoints[k] = copy.deepcopy(policy.state_dict())
        if len(run.returns) >= window and recent >= target:
            run.solved_at = k
            break
    run.checkpoints[len(run.returns)] = copy.deepcopy(policy.state_dict())
    bar.close()
    return run


def evaluate(policy: nn.Module | None, env=None, episodes: int = 20, seed: int = 10_000,
             greedy: bool = True) -> list[float]:
    """Returns of `episodes` fresh episodes (seeds not used in training); policy None is the random policy."""
    env = env or make_env()
    return [play(env, policy, seed=seed + i, greedy=greedy).total for i in range(episodes)]


def policy_gradient_samples(policy: nn.Module, env, episodes: int, gamma: float = 0.99, seed: int = 0,
                            baseline: bool = True) -> Tensor:
    """One flattened policy-gradient estimate per episode (rows), with or without the mean-return baseline."""
    generator = seeding.generator(seed)
    grads = []
    for k in range(episodes):
        episode = play(env, policy, seed=seed * 100_000 + k, generator=generator, record_grad=True)
        returns = discounted_returns(episode.rewards, gamma).float()
        returns = returns.to(episode.log_probs.device)
        loss = reinforce_loss(episode.log_probs, returns, returns.mean() if baseline else 0.0)
        g = torch.autograd.grad(loss, list(policy.parameters()))
        grads.append(torch.cat([t.reshape(-1) for t in g]).cpu())
    return torch.stack(grads)


def draw_cartpole(state, ax, title: str | None = None, pole_length: float = 1.0, x_limit: float = 2.4) -> None:
    """Draw cart-pole state (x, x_dot, theta, theta_dot): track, cart and pole (theta = 0 is upright)."""
    import matplotlib.patches as patches

    x, theta = float(state[0]), float(state[2])
    ax.plot([-x_limit - 0.3, x_limit + 0.3], [0, 0], color="0.4", linewidth=1.5)
    for edge in (-x_limit, x_limit):
        ax.plot([edge, edge], [-0.1, 0.1], color="#cf222e", linewidth=1.5)
    width, height = 0.5, 0.3
    ax.add_patch(patches.FancyBboxPatch((x - width / 2, 0.02), width, height, boxstyle="round,pad=0.02",
                                        color="#444444"))
    top = 0.02 + height
    tip = (x + pole_length * np.sin(theta), top + pole_length * np.cos(theta))
    ax.plot([x, tip[0]], [top, tip[1]], color="#c08a2b", linewidth=5, solid_capstyle="round")
    ax.plot([x], [top], "o", color="#2b6cb0", markersize=6)
    ax.set(xlim=(-x_limit - 0.4, x_limit + 0.4), ylim=(-0.2, 1.5), aspect="equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title, fontsize=9)


def filmstrip(states: np.ndarray, frames: int = 6, axes=None, label: str = "step"):
    """Draw `frames` evenly spaced states of an episode side by side; returns the axes."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, frames, figsize=(2.1 * frames, 1.6))
    index = np.linspace(0, len(states) - 1, len(axes)).round().astype(int)
    for ax, i in zip(np.ravel(axes), index):
        draw_cartpole(states[i], ax, f"{label} {i}")
    return axes
