"""Optimizers from scratch (SGD with momentum and Nesterov, RMSProp, Adam, AdamW) and learning-rate schedules.

Chapter "Gradient descent and its variants" shows that each optimizer moves the parameters exactly as its
`torch.optim` namesake does, step for step, and that the schedules give the rates of `torch.optim.lr_scheduler`.
The classes subclass `torch.optim.Optimizer` only for its bookkeeping (parameter groups, per-parameter state,
`zero_grad`, `state_dict`), so that `fit` and the schedulers of `torch.optim.lr_scheduler` accept them; every
update rule is written out below. PyTorch's conventions, which we follow so that the numbers agree:

- weight decay (SGD, RMSProp, Adam) adds `weight_decay * p` to the gradient; AdamW instead shrinks `p` itself;
- momentum keeps a velocity v <- momentum * v + (1 - dampening) * g, starting at v = g (no dampening on step 1),
  and the step is p <- p - lr * v (the learning rate is applied to the velocity, not folded into it);
- Nesterov steps along g + momentum * v, the "look-ahead" form that needs no second gradient;
- RMSProp divides by sqrt(mean square) + eps: eps sits outside the square root;
- Adam divides both moments by their bias corrections 1 - beta ** t, with t counted from 1;
- `maximize` negates the gradient first; `amsgrad` divides by the largest second moment seen; complex parameters
  are updated as (real, imaginary) pairs (torch's view_as_real), so squares and roots act on each part.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import torch
from torch import Tensor, nn

from dlcourse.schedules import cosine, step_decay, warmup_cosine  # noqa: F401 - part of this module's API

__all__ = ["SGD", "RMSprop", "Adam", "AdamW", "OPTIMIZERS", "TORCH", "make", "compare_with_torch", "TorchMatch",
           "step_decay", "cosine", "warmup_cosine", "lr_range_test", "RangeTest"]


IMPLEMENTATION_KEYS: dict[str, Callable[[Any], bool]] = {
    "foreach": lambda v: True, "capturable": lambda v: True,  # how torch schedules the same arithmetic
    "fused": lambda v: not v, "differentiable": lambda v: not v,  # a different kernel, or steps autograd records
}
"""Keys of torch's parameter groups that choose how, not what, it computes, and the values we can honour."""


class _Optimizer(torch.optim.Optimizer):
    """Loops over the parameters that have a gradient and hands each to `update`, without recording gradients.

    State entries have torch's names ("momentum_buffer", "exp_avg", "step", ...), so that a state_dict of the
    torch.optim namesake loads into ours and back. A parameter-group key that the update rule does not honour is
    refused with a ValueError, never silently ignored.
    """

    def update(self, p: Tensor, g: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        raise NotImplementedError

    def _validate(self, group: dict[str, Any]) -> None:
        for key, value in group.items():
            if key in ("params", "param_names") or key in self.defaults:
                continue
            if key in IMPLEMENTATION_KEYS:
                if not IMPLEMENTATION_KEYS[key](value):
                    raise ValueError(f"{type(self).__name__} does not implement {key}={value!r} (torch's option); "
                                     "use torch.optim for it")
                continue
            raise ValueError(f"{type(self).__name__} does not know the parameter-group key {key!r}: it would be "
                             f"ignored; known keys are {', '.join(sorted(self.defaults))}")

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if isinstance(param_group, dict):
            self._validate(param_group)
        super().add_param_group(param_group)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load ours or the torch.optim namesake's state_dict; refuse options ours would not honour."""
        for group in state_dict["param_groups"]:
            self._validate(group)
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # a state_dict from an older version may lack keys added since
            for key, value in self.defaults.items():
                group.setdefault(key, value)

    @torch.no_grad()
    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
                g = -p.grad if group.get("maximize") else p.grad  # maximize: climb the objective instead
                self.update(p, g, self.state[p], group)
        return loss

    @staticmethod
    def _real(*tensors: Tensor) -> list[Tensor]:
        """Complex tensors as views of (real, imaginary) pairs: element-wise squares and roots then act on each part."""
        return [torch.view_as_real(t) if t.is_complex() else t for t in tensors]


class SGD(_Optimizer):
    """Stochastic gradient descent, with optional (heavy-ball or Nesterov) momentum and weight decay."""

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and no dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def update(self, p, g, state, group):
        lr, mu = group["lr"], group["momentum"]
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        if mu:
            if state.get("momentum_buffer") is None:  # the first step starts at v = g
                state["momentum_buffer"] = g.clone()
            else:
                state["momentum_buffer"].mul_(mu).add_((1 - group["dampening"]) * g)
            v = state["momentum_buffer"]
            g = g + mu * v if group["nesterov"] else v
        p.sub_(lr * g)


class RMSprop(_Optimizer):
    """RMSProp: divide each gradient component by a running root-mean-square of its recent values."""

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def update(self, p, g, state, group):
        alpha = group["alpha"]
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        if "square_avg" not in state:
            state["step"] = torch.tensor(0.0)
            state["square_avg"] = torch.zeros_like(p)
            if group["momentum"]:
                state["momentum_buffer"] = torch.zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = torch.zeros_like(p)
        state["step"] += 1
        p, g, square_avg = self._real(p, g, state["square_avg"])
        square_avg.mul_(alpha).add_((1 - alpha) * g * g)
        mean_square = square_avg
        if group["centered"]:  # subtract the squared mean: divide by a running standard deviation instead
            (grad_avg,) = self._real(state.setdefault("grad_avg", torch.zeros_like(state["square_avg"])))
            grad_avg.mul_(alpha).add_((1 - alpha) * g)
            mean_square = mean_square - grad_avg ** 2
        scaled = g / (mean_square.sqrt() + group["eps"])
        if group["momentum"]:
            (velocity,) = self._real(state.setdefault("momentum_buffer", torch.zeros_like(state["square_avg"])))
            velocity.mul_(group["momentum"]).add_(scaled)
            scaled = velocity
        p.sub_(group["lr"] * scaled)


class Adam(_Optimizer):
    """Adam: momentum on the gradient (first moment) divided by the root of a running mean square (second moment).

    `amsgrad` divides by the largest second moment so far instead (Reddi et al.), as torch's option does.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, decoupled_weight_decay=decoupled_weight_decay))

    def update(self, p, g, state, group):
        (beta1, beta2), lr = group["betas"], group["lr"]
        wd = group["weight_decay"]
        if wd and group["decoupled_weight_decay"]:  # AdamW: shrink the weights themselves
            p.mul_(1 - lr * wd)
        elif wd:
            g = g + wd * p
        if "exp_avg" not in state:
            state.update(step=torch.tensor(0.0), exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p))
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = torch.zeros_like(p)
        state["step"] += 1
        t = float(state["step"])
        p, g, m, v = self._real(p, g, state["exp_avg"], state["exp_avg_sq"])
        m.mul_(beta1).add_((1 - beta1) * g)
        v.mul_(beta2).add_((1 - beta2) * g * g)
        if group["amsgrad"]:  # never let the denominator shrink
            (v_max,) = self._real(state["max_exp_avg_sq"])
            torch.maximum(v_max, v, out=v_max)
            v = v_max
        m_hat = m / (1 - beta1 ** t)  # undo the zero start's bias
        v_hat = v / (1 - beta2 ** t)
        p.sub_(lr * m_hat / (v_hat.sqrt() + group["eps"]))


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): p <- p (1 - lr wd) before the Adam step."""

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)


OPTIMIZERS: dict[str, tuple[type[torch.optim.Optimizer], dict[str, Any]]] = {
    "SGD": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "Nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "RMSProp": (RMSprop, {}),
    "Adam": (Adam, {}),
}
"""The five optimizers of the chapter by name: class and the hyper-parameters (besides lr) the chapter uses."""

TORCH: dict[type, type] = {SGD: torch.optim.SGD, RMSprop: torch.optim.RMSprop, Adam: torch.optim.Adam,
                           AdamW: torch.optim.AdamW}
"""Each from-scratch optimizer's counterpart in torch.optim."""


def make(name: str, params: Iterable, lr: float, **overrides: Any) -> torch.optim.Optimizer:
    """One of `OPTIMIZERS` by name, with learning rate `lr` (and any hyper-parameter overridden)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}: use one of {', '.join(OPTIMIZERS)}")
    cls, defaults = OPTIMIZERS[name]
    return cls(params, lr=lr, **{**defaults, **overrides})


@dataclass
class TorchMatch:
    """How closely a from-scratch optimizer followed torch's over a whole training run."""

    steps: int
    max_difference: float
    distance_moved: float

    def __repr__(self) -> str:
        return (f"{self.steps} steps: parameters moved {self.distance_moved:.3g} from the start; "
                f"largest |ours - torch| at any epoch {self.max_difference:.1e}")


def compare_with_torch(ours: type, model: nn.Module, data: tuple[Tensor, Tensor], *, epochs: int = 20,
                       batch_size: int | None = None, loss: Any = "cross_entropy", reference: type | None = None,
                       **hyper: Any) -> TorchMatch:
    """Train two copies of `model` with `fit`, one with `ours(**hyper)`, one with its torch counterpart.

    Both copies see the same batches in the same order (fit's seed); after every epoch we record all
    parameters. Runs on the CPU, where float64 works everywhere (Apple's MPS has no float64).
    """
    from dlcourse.training import fit

    reference = reference or TORCH[ours]
    runs: list[list[Tensor]] = []
    for cls in (ours, reference):
        copied = copy.deepcopy(model)
        snapshots = [torch.cat([p.detach().reshape(-1) for p in copied.parameters()]).cpu()]

        def record(epoch: int, history: Any, copied: nn.Module = copied, snapshots: list = snapshots) -> None:
            snapshots.append(torch.cat([p.detach().reshape(-1) for p in copied.parameters()]).clone())

        fit(copied, data, epochs=epochs, loss=loss, optimizer=cls(copied.parameters(), **hyper),
            batch_size=batch_size, device="cpu", progress=False, live_plot=False, callback=record)
        runs.append(snapshots)
    n = len(data[0])
    steps = epochs * (1 if batch_size is None else math.ceil(n / batch_size))
    difference = max((a - b).abs().max().item() for a, b in zip(*runs))
    return TorchMatch(steps, difference, (runs[0][-1] - runs[0][0]).norm().item())


@dataclass
class RangeTest:
    """A learning-rate range test: the rate and the mini-batch loss at every step, and the loss smoothed."""

    rates: Tensor
    losses: Tensor
    smoothed: Tensor

    def suggestion(self, divide: float = 10.0) -> float:
        """A rate `divide` times below the one where the smoothed loss was lowest (fastai's rule of thumb)."""
        return self.rates[int(self.smoothed.argmin())].item() / divide


def lr_range_test(model: nn.Module, data: tuple[Tensor, Tensor], optimizer: str = "momentum", lr_min: float = 1e-4,
                  lr_max: float = 10.0, batch_size: int = 16, loss: Callable[[Tensor, Tensor], Tensor] | None = None,
                  smoothing: float = 0.9, seed: int = 0, device: Any = None) -> RangeTest:
    """One pass of `fit` over `data` (on a copy of `model`) while the rate grows geometrically from lr_min to lr_max.

    The schedule is torch's LambdaLR, stepped after every optimizer step by a step hook; the loss of every
    mini-batch is recorded on its way to `fit`.
    """
    from dlcourse.training import fit

    copied = copy.deepcopy(model)
    loss_fn = loss or nn.functional.cross_entropy
    steps = math.ceil(len(data[0]) / batch_size)
    growth = (lr_max / lr_min) ** (1 / max(steps - 1, 1))
    opt = make(optimizer, copied.parameters(), lr_min)
    scheduler = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: growth ** t)
    rates: list[float] = []
    losses: list[Tensor] = []

    def recorded(outputs: Tensor, targets: Tensor) -> Tensor:
        value = loss_fn(outputs, targets)
        rates.append(opt.param_groups[0]["lr"])
        losses.append(value.detach())
        return value

    hook = opt.register_step_post_hook(lambda *args: scheduler.step())
    try:
        fit(copied, data, epochs=1, loss=recorded, optimizer=opt, batch_size=batch_size, metric=None, seed=seed,
            device=device, progress=False, live_plot=False)
    finally:
        hook.remove()
    raw = torch.stack(losses).double().cpu()
    average, smoothed = 0.0, []
    for t, value in enumerate(raw.tolist(), start=1):  # a bias-corrected running average, as Adam's moments
        average = smoothing * average + (1 - smoothing) * value
        smoothed.append(average / (1 - smoothing ** t))
    smooth = torch.tensor(smoothed, dtype=torch.float64)
    smooth = torch.where(torch.isfinite(smooth), smooth, torch.tensor(math.inf, dtype=torch.float64))
    return RangeTest(torch.tensor(rates, dtype=torch.float64), raw, smooth)
