"""Property-based tests: every from-scratch function that claims to equal PyTorch does so on random legal inputs.

Hypothesis draws shapes (zero-size ones included), dtypes and every argument each signature accepts, with values
that favour the hard cases: exact zeros, ties, ±1 and the ends of the range. Values and gradients are compared by
the project's one helper, `dlcourse.compare`, with a tolerance fit for the dtype. The examples per test are few
(the settings profile below) so that the whole file runs in well under two minutes on two cores; a failure prints
the smallest input hypothesis found and the seed that reproduces it.
"""
from __future__ import annotations

import copy
import math
import os
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as npst
from scipy.stats import rankdata
from torch import nn
from torch.optim import lr_scheduler

from dlcourse import (activations, attribution, autograd_nn, backprop, compression, conv, gradients, init, losses,
                      mlp, neuron, optim, quantum, rnn)
from dlcourse.autograd import Variable
from dlcourse.compare import assert_same

settings.register_profile("dlcourse", max_examples=30, deadline=None, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("thorough", parent=settings.get_profile("dlcourse"), max_examples=500)
settings.load_profile(os.environ.get("DLCOURSE_HYPOTHESIS", "dlcourse"))  # "thorough": a long hunt, by hand
FEW = settings(max_examples=max(15, settings.default.max_examples // 2))  # for tests that train or unroll

FLOATS = (torch.float32, torch.float64)
TOLERANCE = {torch.float32: 2e-5, torch.float64: 1e-10}
"""atol = rtol for each dtype: rounding differences between two orders of the same operations."""


def tol(dtype: torch.dtype, scale: float = 1.0) -> dict:
    return {"atol": TOLERANCE[dtype] * scale, "rtol": TOLERANCE[dtype] * scale}


def values(low: float = -8.0, high: float = 8.0) -> st.SearchStrategy[float]:
    """Numbers in [low, high], often exactly 0, ±1 or an end (ties and kinks), otherwise anywhere in between."""
    special = [v for v in (0.0, 1.0, -1.0, low, high, 0.5) if low <= v <= high]
    return st.one_of(st.sampled_from(special), st.floats(low, high, allow_nan=False, allow_infinity=False))


@st.composite
def tensors(draw, shape=None, dtype=None, low=-8.0, high=8.0, max_dims=3, max_side=4):
    if shape is None:
        shape = draw(npst.array_shapes(min_dims=0, max_dims=max_dims, min_side=0, max_side=max_side))
    dtype = dtype or draw(st.sampled_from(FLOATS))
    array = draw(npst.arrays(np.float64, tuple(shape), elements=values(low, high)))
    return torch.from_numpy(array).to(dtype)


# ------------------------------------------------------------------------------------------------ activations

@given(name=st.sampled_from([n for n, a in activations.ACTIVATIONS.items() if a.reference is not None]),
       z=tensors(low=-30.0, high=30.0), parameter=st.floats(0.0, 3.0))
def test_activations_equal_torch(name, z, parameter):
    act = activations.ACTIVATIONS[name]
    ours_kw = {"leaky_relu": {"slope": parameter}, "elu": {"alpha": parameter}}.get(name, {})
    torch_kw = {"leaky_relu": {"negative_slope": parameter}, "elu": {"alpha": parameter}}.get(name, {})
    # softplus: torch returns z itself above its threshold 20, where log1p(e^-z) < 2e-9 remains
    scale = 1e3 if name == "softplus" and z.dtype == torch.float64 else 1.0
    assert_same(lambda t: act.f(t, **ours_kw), lambda t: act.reference(t, **torch_kw), z, **tol(z.dtype, scale))
    leaf = z.clone().requires_grad_(True)
    (auto,) = torch.autograd.grad(act.reference(leaf, **torch_kw).sum(), leaf)
    torch.testing.assert_close(act.derivative(z, **ours_kw), auto, **tol(z.dtype, scale))


# ------------------------------------------------------------------------------------------------ losses

@given(shape=npst.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4), dtype=st.sampled_from(FLOATS),
       data=st.data())
def test_mse_and_losses_from_logits_equal_torch(shape, dtype, data):
    a = data.draw(tensors(shape, dtype, -50.0, 50.0))
    b = data.draw(tensors(shape, dtype, 0.0, 1.0))
    assert_same(losses.mse, F.mse_loss, a, b, **tol(dtype))
    assert_same(losses.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, a, b, **tol(dtype))


@given(shape=npst.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4), dtype=st.sampled_from(FLOATS),
       data=st.data())
def test_binary_cross_entropy_equals_torch_at_0_1_and_in_between(shape, dtype, data):
    p = data.draw(tensors(shape, dtype, 0.0, 1.0))
    y = data.draw(tensors(shape, dtype, 0.0, 1.0))
    tiny = data.draw(st.sampled_from([0.0, 1e-13, 1e-30]))
    p = torch.where(p == 0.5, torch.tensor(tiny, dtype=dtype), p)  # below torch's 1e-12 floor, sometimes
    # only p: torch's target gradient is ±inf at p = 0 or 1, and inf - inf is not a difference we can measure
    assert_same(lambda p: losses.binary_cross_entropy(p, y), lambda p: F.binary_cross_entropy(p, y), p,
                **tol(dtype))
    inside = p.clamp(0.01, 0.99)
    assert_same(losses.binary_cross_entropy, F.binary_cross_entropy, inside, y, **tol(dtype))


@given(z=tensors(low=-200.0, high=200.0, max_dims=3), dim_seed=st.integers(0, 10), keepdim=st.booleans())
def test_logsumexp_and_softmax_equal_torch(z, dim_seed, keepdim):
    if z.ndim == 0:
        z = z.reshape(1)
    dim = dim_seed % z.ndim - (z.ndim if dim_seed % 2 else 0)  # negative dims too
    assert_same(lambda t: losses.logsumexp(t, dim, keepdim), lambda t: torch.logsumexp(t, dim, keepdim), z,
                **tol(z.dtype))
    assert_same(lambda t: losses.log_softmax(t, dim), lambda t: F.log_softmax(t, dim), z, **tol(z.dtype))
    assert_same(lambda t: losses.softmax(t, dim), lambda t: F.softmax(t, dim), z, **tol(z.dtype))


@given(n=st.integers(1, 5), c=st.integers(1, 5), dtype=st.sampled_from(FLOATS), data=st.data())
def test_cross_entropy_equals_torch(n, c, dtype, data):
    logits = data.draw(tensors((n, c), dtype, -100.0, 100.0))
    targets = torch.tensor(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    assert_same(lambda z: losses.cross_entropy(z, targets), lambda z: F.cross_entropy(z, targets), logits,
                **tol(dtype))
    assert_same(lambda z: autograd_nn.engine_cross_entropy(z, targets), lambda z: F.cross_entropy(z, targets),
                logits, **tol(dtype))


# ------------------------------------------------------------------------------------------------ convolution

def pair_or_int(low: int, high: int):
    return st.one_of(st.integers(low, high), st.tuples(st.integers(low, high), st.integers(low, high)))


def _two(v):
    return (v, v) if isinstance(v, int) else v


@given(n=st.integers(0, 2), c=st.integers(1, 3), out=st.integers(1, 3), h=st.integers(1, 6), w=st.integers(1, 6),
       kernel=pair_or_int(1, 4), stride=pair_or_int(1, 3), padding=pair_or_int(0, 2), bias=st.booleans(),
       dtype=st.sampled_from(FLOATS), data=st.data())
def test_conv2d_equals_torch(n, c, out, h, w, kernel, stride, padding, bias, dtype, data):
    (kh, kw), (ph, pw) = _two(kernel), _two(padding)
    if kh > h + 2 * ph or kw > w + 2 * pw:
        return  # torch refuses a kernel larger than the padded input, and so do we (tested in test_conv)
    x = data.draw(tensors((n, c, h, w), dtype))
    weight = data.draw(tensors((out, c, kh, kw), dtype))
    b = data.draw(tensors((out,), dtype)) if bias else None
    args = (x, weight) if b is None else (x, weight, b)
    assert_same(lambda *t: conv.conv2d(*t[:2], t[2] if len(t) > 2 else None, stride, padding),
                lambda *t: F.conv2d(*t[:2], t[2] if len(t) > 2 else None, stride, padding), *args,
                **tol(dtype, 10))


@given(n=st.integers(0, 2), c=st.integers(1, 3), length=st.integers(1, 8), k=st.integers(1, 4),
       stride=st.integers(1, 3), padding=st.integers(0, 2), dtype=st.sampled_from(FLOATS), data=st.data())
def test_conv1d_equals_torch(n, c, length, k, stride, padding, dtype, data):
    if k > length + 2 * padding:
        return
    x, weight, b = (data.draw(tensors(s, dtype)) for s in ((n, c, length), (2, c, k), (2,)))
    assert_same(lambda x, w, b: conv.conv1d(x, w, b, stride, padding),
                lambda x, w, b: F.conv1d(x, w, b, stride, padding), x, weight, b, **tol(dtype, 10))


@given(n=st.integers(0, 2), c=st.integers(1, 2), h=st.integers(1, 6), w=st.integers(1, 6),
       kernel=pair_or_int(1, 3), stride=st.one_of(st.none(), pair_or_int(1, 3)), padding_seed=pair_or_int(0, 1),
       dtype=st.sampled_from(FLOATS), data=st.data())
def test_pooling_equals_torch_with_ties_and_infinities(n, c, h, w, kernel, stride, padding_seed, dtype, data):
    (kh, kw), (ph, pw) = _two(kernel), _two(padding_seed)
    padding = (ph * (kh // 2), pw * (kw // 2))  # torch allows at most half the window
    if kh > h + 2 * padding[0] or kw > w + 2 * padding[1]:
        return
    # few distinct values: windows full of ties, as after a ReLU; -inf too, where padding must still lose
    pool = st.sampled_from([0.0, 0.0, 1.0, -1.0, 2.5, -math.inf])
    x = torch.tensor(data.draw(npst.arrays(np.float64, (n, c, h, w), elements=pool)), dtype=dtype)
    assert_same(lambda t: conv.max_pool2d(t, kernel, stride, padding),
                lambda t: F.max_pool2d(t, kernel, stride, padding), x, atol=0)
    x = torch.where(torch.isinf(x), torch.zeros_like(x), x)
    assert_same(lambda t: conv.avg_pool2d(t, kernel, stride, padding),
                lambda t: F.avg_pool2d(t, kernel, stride, padding), x, **tol(dtype))


@given(images=tensors(max_dims=4, max_side=4).filter(lambda t: t.ndim >= 2), dy=st.integers(-6, 6),
       dx=st.integers(-6, 6))
def test_shift_images_moves_every_pixel_or_drops_it(images, dy, dx):
    h, w = images.shape[-2:]
    expected = torch.zeros_like(images)
    for i in range(h):
        for j in range(w):
            if 0 <= i - dy < h and 0 <= j - dx < w:
                expected[..., i, j] = images[..., i - dy, j - dx]
    assert torch.equal(conv.shift_images(images, dy, dx), expected)


# ------------------------------------------------------------------------------------------------ initialisation

@given(shape=npst.array_shapes(min_dims=2, max_dims=4, min_side=0, max_side=5), seed=st.integers(0, 2 ** 31),
       which=st.sampled_from(["uniform", "normal"]), mode=st.sampled_from(["fan_in", "fan_out"]),
       nonlinearity=st.sampled_from(["linear", "sigmoid", "tanh", "relu", "leaky_relu"]),
       a=st.one_of(st.none(), st.floats(0.0, 2.0)), gain=st.floats(0.1, 3.0), dtype=st.sampled_from(FLOATS))
def test_initialisers_draw_torchs_numbers(shape, seed, which, mode, nonlinearity, a, gain, dtype):
    xavier = {"uniform": (init.xavier_uniform_, nn.init.xavier_uniform_),
              "normal": (init.xavier_normal_, nn.init.xavier_normal_)}[which]
    kaiming = {"uniform": (init.kaiming_uniform_, nn.init.kaiming_uniform_),
               "normal": (init.kaiming_normal_, nn.init.kaiming_normal_)}[which]
    kw = {"mode": mode, "nonlinearity": nonlinearity, **({} if a is None else {"a": a})}
    for (ours, theirs), options in ((xavier, {"gain": gain}), (kaiming, kw)):
        mine, ref = torch.empty(shape, dtype=dtype), torch.empty(shape, dtype=dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # both warn that filling a zero-size tensor does nothing
            ours(mine, generator=torch.Generator().manual_seed(seed), **options)
            try:
                theirs(ref, generator=torch.Generator().manual_seed(seed), **options)
            except ZeroDivisionError:  # torch's xavier on (0, 0): ours warns and returns instead
                assert mine.numel() == 0
                continue
        assert torch.equal(mine, ref), (ours.__name__, options)


# ------------------------------------------------------------------------------------------------ autograd engine

BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
          "reversed -": lambda a, b: 2.5 - a * b, "reversed /": lambda a, b: 3 / (b * b + 1) + a}


@given(op=st.sampled_from(list(BINARY)), shapes=npst.mutually_broadcastable_shapes(num_shapes=2, max_dims=3,
                                                                                   min_side=0, max_side=3),
       dtype=st.sampled_from(FLOATS), data=st.data())
def test_engine_arithmetic_with_broadcasting_equals_torch(op, shapes, dtype, data):
    a, b = (data.draw(tensors(s, dtype, -4.0, 4.0)) for s in shapes.input_shapes)
    if op == "/":
        b = torch.where(b == 0, torch.ones_like(b), b)  # x / 0: inf against inf, and 0 * inf gradients
    assert_same(autograd_nn.engine_function(BINARY[op]), BINARY[op], a, b, **tol(dtype, 100))


@given(x=tensors(low=-3.0, high=3.0), k=st.sampled_from([0, 0.0, 1, 2, 3, 0.5, -1, 1.5, -2.5]))
def test_engine_powers_equal_torch_at_zero_too(x, k):
    if not float(k).is_integer() or k < 0:
        x = x.abs() + 0.25  # fractional and negative powers of 0 or negatives: inf or NaN on both sides
    assert_same(autograd_nn.engine_function(lambda v: v ** k), lambda v: v ** k, x, **tol(x.dtype, 10))


@given(x=tensors(low=-20.0, high=20.0), fn=st.sampled_from(["exp", "tanh", "sigmoid", "relu", "log"]))
def test_engine_elementwise_functions_equal_torch(x, fn):
    if fn == "log":
        x = x.abs() + 0.1
    if fn == "exp":
        x = x.clamp(max=8)
    assert_same(autograd_nn.engine_function(lambda v: getattr(v, fn)()), lambda v: getattr(v, fn)(), x,
                **tol(x.dtype, 10))


@given(x=tensors(max_dims=3).filter(lambda t: t.ndim > 0), how=st.sampled_from(["sum", "mean"]), data=st.data())
def test_engine_reductions_equal_torch(x, how, data):
    dims = data.draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1),
                               st.lists(st.integers(0, x.ndim - 1), min_size=1, max_size=x.ndim, unique=True)
                               .map(tuple)))
    keepdim = data.draw(st.booleans())
    if how == "mean" and x.numel() == 0:
        return  # the mean of nothing is NaN on both sides, and so is its gradient
    if dims is None:
        ours, ref = (lambda v: getattr(v, how)()), (lambda v: getattr(v, how)())
    else:
        ours = ref = lambda v: getattr(v, how)(dims, keepdim=keepdim)
    assert_same(autograd_nn.engine_function(ours), ref, x, **tol(x.dtype, 10))


@given(m=st.integers(0, 3), k=st.integers(0, 3), n=st.integers(0, 3), batch=st.sampled_from([(), (2,), (1, 2)]),
       kind=st.sampled_from(["mm", "mv", "vm", "vv", "batched"]), dtype=st.sampled_from(FLOATS), data=st.data())
def test_engine_matmul_equals_torch(m, k, n, batch, kind, dtype, data):
    shapes = {"mm": ((m, k), (k, n)), "mv": ((m, k), (k,)), "vm": ((k,), (k, n)), "vv": ((k,), (k,)),
              "batched": ((*batch, m, k), (k, n))}[kind]
    a, b = (data.draw(tensors(s, dtype)) for s in shapes)
    assert_same(autograd_nn.engine_function(lambda u, v: u @ v), lambda u, v: u @ v, a, b, **tol(dtype, 10))
    mismatched = torch.zeros(k + 1, dtype=dtype)  # one too long: torch raises, so must we
    with pytest.raises(RuntimeError):
        Variable(a) @ Variable(mismatched)
    if kind == "vv" and k != 1:  # a length-1 vector must not broadcast
        with pytest.raises(RuntimeError):
            Variable(torch.ones(1, dtype=dtype)) @ Variable(b)


# ------------------------------------------------------------------------------------------------ optimizers

@st.composite
def optimizer_settings(draw):
    cls = draw(st.sampled_from([optim.SGD, optim.RMSprop, optim.Adam, optim.AdamW]))
    hyper = {"lr": draw(st.floats(1e-3, 0.3)), "weight_decay": draw(st.sampled_from([0.0, 0.0, 1e-2, 0.3])),
             "maximize": draw(st.booleans())}
    if cls is optim.SGD:
        hyper["momentum"] = draw(st.sampled_from([0.0, 0.5, 0.9]))
        hyper["nesterov"] = hyper["momentum"] > 0 and draw(st.booleans())
        hyper["dampening"] = 0.0 if hyper["nesterov"] else draw(st.sampled_from([0.0, 0.3]))
    elif cls is optim.RMSprop:
        hyper.update(alpha=draw(st.sampled_from([0.9, 0.99])), eps=draw(st.sampled_from([1e-8, 1e-3])),
                     momentum=draw(st.sampled_from([0.0, 0.5])), centered=draw(st.booleans()))
    else:
        hyper.update(betas=(draw(st.sampled_from([0.5, 0.9])), draw(st.sampled_from([0.9, 0.999]))),
                     eps=draw(st.sampled_from([1e-8, 1e-4])), amsgrad=draw(st.booleans()))
    return cls, hyper


@FEW
@given(setting=optimizer_settings(), dtype=st.sampled_from([torch.float32, torch.float64, torch.complex128]),
       size=st.integers(0, 5), steps=st.integers(1, 12), seed=st.integers(0, 1000))
def test_optimizers_move_parameters_as_torch_does(setting, dtype, size, steps, seed):
    cls, hyper = setting
    g = torch.Generator().manual_seed(seed)
    start = torch.randn(size, generator=g, dtype=dtype)
    curvature = torch.rand(size, generator=g, dtype=torch.float64).to(start.real.dtype) + 0.5
    target = torch.randn(size, generator=g, dtype=dtype)
    params = [nn.Parameter(start.clone()), nn.Parameter(start.clone())]
    opts = [cls([params[0]], **hyper), optim.TORCH[cls]([params[1]], **hyper)]
    for step in range(steps):
        for p, opt in zip(params, opts):
            opt.zero_grad()
            bowl = (curvature * (p - target).abs() ** 2).sum() + 0.1 * step * p.real.sum()
            (-bowl if hyper["maximize"] else bowl).backward()
            opt.step()
    scale = 1e3 if dtype == torch.float32 else 1e2  # Adam divides rounding noise by its own size
    torch.testing.assert_close(params[0], params[1], atol=1e-7 * scale, rtol=1e-7 * scale)
    state, ref_state = opts[0].state_dict()["state"], opts[1].state_dict()["state"]
    assert set(state.get(0, {})) <= set(ref_state.get(0, {})) | {"step"}, "state under torch's names"
    # torch's state (momentum buffers, moments, step count) carries over into ours: one more step each
    resumed = nn.Parameter(params[1].detach().clone())
    ours_resumed = cls([resumed], **hyper)
    ours_resumed.load_state_dict(copy.deepcopy(opts[1].state_dict()))  # loading shares tensors, as in torch
    for p, opt in ((resumed, ours_resumed), (params[1], opts[1])):
        opt.zero_grad()
        bowl = (curvature * (p - target).abs() ** 2).sum()
        (-bowl if hyper["maximize"] else bowl).backward()
        opt.step()
    torch.testing.assert_close(resumed, params[1], atol=1e-7 * scale, rtol=1e-7 * scale)


@given(total=st.integers(1, 30), floor=st.floats(0.0, 0.9), every=st.integers(1, 10), gamma=st.floats(0.05, 1.0),
       warmup=st.integers(1, 10), start=st.floats(0.01, 1.0))
def test_schedules_give_torchs_rates_beyond_their_end(total, floor, every, gamma, warmup, start):
    base, steps = 0.5, 3 * total + warmup + 2

    def rates(make):
        opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=base)
        scheduler, out = make(opt), []
        for _ in range(steps):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            scheduler.step()
        return torch.tensor(out, dtype=torch.float64)

    pairs = [(lambda t: optim.step_decay(t, every, gamma), lambda o: lr_scheduler.StepLR(o, every, gamma)),
             (lambda t: optim.cosine(t, total, floor),
              lambda o: lr_scheduler.CosineAnnealingLR(o, total, eta_min=base * floor)),
             (lambda t: optim.warmup_cosine(t, warmup, warmup + total, start, floor),
              lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o, start, 1.0, warmup),
                                                      lr_scheduler.CosineAnnealingLR(o, total, base * floor)],
                                                  [warmup]))]
    for ours, theirs in pairs:
        torch.testing.assert_close(rates(lambda o: lr_scheduler.LambdaLR(o, ours)), rates(theirs),
                                   atol=1e-9, rtol=1e-9)


# ------------------------------------------------------------------------------------------------ layers

@FEW
@given(kind=st.sampled_from(["rnn", "lstm", "gru"]), n=st.integers(0, 3), t=st.integers(1, 4), d=st.integers(1, 3),
       hidden=st.integers(1, 3), with_state=st.booleans(), dtype=st.sampled_from(FLOATS), seed=st.integers(0, 999))
def test_recurrent_cells_unrolled_equal_torch(kind, n, t, d, hidden, with_state, dtype, seed):
    g = torch.Generator().manual_seed(seed)
    rows = rnn.GATES[kind] * hidden
    weights = [torch.randn(s, generator=g, dtype=dtype) for s in ((rows, d), (rows, hidden), (rows,), (rows,))]
    x = torch.randn(n, t, d, generator=g, dtype=dtype)
    if with_state:
        state = [torch.randn(n, hidden, generator=g, dtype=dtype) for _ in range(2 if kind == "lstm" else 1)]
    else:
        state = []

    def run(unroll):
        def f(x, *tensors):
            given_state = None if not state else (tuple(tensors[4:]) if kind == "lstm" else tensors[4])
            outputs, final = unroll(kind, x, tensors[:4], given_state)
            return (outputs, *final) if kind == "lstm" else (outputs, final)
        return f

    assert_same(run(rnn.unroll), run(rnn.torch_unroll), x, *weights, *state, **tol(dtype, 10))


@given(n=st.integers(0, 4), sizes=st.lists(st.integers(1, 4), min_size=2, max_size=4),
       activation=st.sampled_from(["relu", "tanh", "sigmoid", "identity", "leaky_relu", "elu", "gelu"]),
       dtype=st.sampled_from(FLOATS), data=st.data())
def test_neuron_layer_and_mlp_forward_equal_torch_modules(n, sizes, activation, dtype, data):
    torch_act = {"identity": lambda z: z, "leaky_relu": F.leaky_relu, "elu": F.elu, "gelu": F.gelu}.get(
        activation, getattr(torch, activation, None))
    x = data.draw(tensors((n, sizes[0]), dtype))
    Ws = [data.draw(tensors((o, i), dtype, -2.0, 2.0)) for i, o in zip(sizes[:-1], sizes[1:])]
    bs = [data.draw(tensors((o,), dtype, -2.0, 2.0)) for o in sizes[1:]]
    assert_same(lambda x, W, b: neuron.layer(x, W, b, activation), lambda x, W, b: torch_act(F.linear(x, W, b)),
                x, Ws[0], bs[0], **tol(dtype, 10))

    def reference(x, *params):
        h = x
        for k in range(len(Ws)):
            h = F.linear(h, params[k], params[len(Ws) + k])
            h = torch_act(h) if k < len(Ws) - 1 else h
        return h

    assert_same(lambda x, *p: mlp.forward(x, list(p[:len(Ws)]), list(p[len(Ws):]), activation), reference,
                x, *Ws, *bs, **tol(dtype, 100))


@given(shapes=st.lists(npst.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3), min_size=0, max_size=3),
       missing=st.lists(st.booleans(), min_size=3, max_size=3), max_norm=st.sampled_from([0.0, 1e-3, 0.5, 1.0, 50.0]),
       clip=st.floats(0.0, 2.0), dtype=st.sampled_from(FLOATS), seed=st.integers(0, 999))
def test_gradient_clipping_equals_torch(shapes, missing, max_norm, clip, dtype, seed):
    g = torch.Generator().manual_seed(seed)

    def params():
        out = []
        for shape, none in zip(shapes, missing):
            p = nn.Parameter(torch.zeros(shape, dtype=dtype))
            p.grad = None if none else torch.randn(shape, generator=g, dtype=dtype) * 3
            out.append(p)
        return out

    if all(missing[:len(shapes)]):  # torch 2.13's clip_grad_norm_ raises when no gradient is given; ours returns 0
        assert gradients.clip_grad_norm_(params(), max_norm).item() == 0
        return
    state = g.get_state()
    mine, theirs = params(), (g.set_state(state), params())[1]
    total = gradients.clip_grad_norm_(mine, max_norm)
    reference = nn.utils.clip_grad_norm_(theirs, max_norm)
    torch.testing.assert_close(total.to(reference.dtype), reference, **tol(dtype))
    for a, b in zip(mine, theirs):
        assert (a.grad is None) == (b.grad is None)
        if a.grad is not None:
            torch.testing.assert_close(a.grad, b.grad, **tol(dtype))
    gradients.clip_grad_value_(mine, clip)
    nn.utils.clip_grad_value_(theirs, clip)
    for a, b in zip(mine, theirs):
        if a.grad is not None:
            torch.testing.assert_close(a.grad, b.grad, **tol(dtype))


@FEW
@given(loss=st.sampled_from(["cross_entropy", "mse"]), n=st.integers(1, 6), n_in=st.integers(1, 4),
       n_hidden=st.integers(1, 4), n_out=st.integers(1, 4), zero_first=st.booleans(), seed=st.integers(0, 999))
def test_backprop_by_hand_equals_autograd(loss, n, n_in, n_hidden, n_out, zero_first, seed):
    g = torch.Generator().manual_seed(seed)
    params = backprop.init_params(n_in, n_hidden, n_out, seed=seed)
    if zero_first:
        params["W1"].zero_(), params["b1"].zero_()
    X = torch.randn(n, n_in, generator=g, dtype=torch.float64)
    y = torch.randint(0, n_out, (n,), generator=g) if loss == "cross_entropy" else torch.randn(n, n_out,
                                                                                                 dtype=torch.float64)
    for activation in activations.ACTIVATIONS:  # every one the forward pass accepts, step included
        _, cache = backprop.forward(params, X, y, activation, loss)
        by_hand = backprop.backward(params, cache)
        by_autograd = backprop.autograd_gradients(params, X, y, activation, loss)
        for name in params:
            torch.testing.assert_close(by_hand[name], by_autograd[name], atol=1e-12, rtol=1e-10)


# ------------------------------------------------------------------------------------------------ the rest

@given(x=npst.arrays(np.float64, npst.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=30),
                     elements=st.one_of(st.integers(-3, 3).map(float), st.floats(-1e6, 1e6))))
def test_ranks_equal_scipy_with_ties(x):
    ours = attribution.ranks(torch.from_numpy(x))
    expected = torch.from_numpy(rankdata(x.reshape(-1)) - 1.0) if x.size else torch.empty(0, dtype=torch.float64)
    torch.testing.assert_close(ours, expected)


@given(m=st.integers(0, 5), k=st.integers(1, 9), n=st.integers(1, 5), seed=st.integers(0, 999))
def test_int8_matmul_is_exact_and_int8_linear_is_fake_quantization(m, k, n, seed):
    g = torch.Generator().manual_seed(seed)
    a = torch.randint(-127, 128, (m, k), dtype=torch.int8, generator=g)
    b = torch.randint(-127, 128, (n, k), dtype=torch.int8, generator=g)
    assert torch.equal(compression._int8_matmul(a, b), (a.long() @ b.long().t()).int())
    layer = nn.Linear(k, n)
    x = torch.randn(m, k, generator=g)
    xq, sx = compression.quantize_symmetric(x, dim=0)
    wq, sw = compression.quantize_symmetric(layer.weight.detach(), dim=0)
    with torch.no_grad():
        expected = F.linear(compression.dequantize(xq, sx), compression.dequantize(wq, sw), layer.bias)
        torch.testing.assert_close(compression.Int8Linear(layer)(x), expected, atol=1e-5, rtol=1e-5)


@given(theta=tensors((), torch.float64, -7.0, 7.0), gate=st.sampled_from(["rx", "ry", "rz"]),
       n=st.integers(1, 3), data=st.data(), transposed=st.booleans())
def test_quantum_rotations_and_apply_equal_dense_matrices(theta, gate, n, data, transposed):
    pauli = {"rx": quantum.X, "ry": quantum.Y, "rz": quantum.Z}[gate]
    rotation = getattr(quantum, gate)
    assert_same(lambda t: torch.view_as_real(rotation(t)),
                lambda t: torch.view_as_real(torch.matrix_exp(-0.5j * t.to(quantum.DTYPE) * pauli)), theta,
                atol=1e-9)  # matrix_exp itself is off by up to ~2e-11 (Padé approximation at small angles)
    wire = data.draw(st.integers(0, n - 1))
    g = torch.Generator().manual_seed(data.draw(st.integers(0, 999)))
    state = torch.randn(2, 2 ** n, generator=g, dtype=torch.complex128)
    state = (state / state.norm(dim=1, keepdim=True)).reshape(2, *[2] * n)
    matrix = rotation(theta.item())
    matrix = matrix.t() if transposed else matrix
    dense = quantum.dense(matrix, wire, n)
    torch.testing.assert_close(quantum.apply(state, matrix, wire).reshape(2, -1),
                               state.reshape(2, -1) @ dense.T, atol=1e-12, rtol=1e-12)
