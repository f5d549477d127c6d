"""Exercise checks of the chapter "Forward propagation, loss and backpropagation": the gradient of softmax
cross-entropy, one backward step through a linear layer, and summing a broadcast gradient back to its shape."""
from __future__ import annotations

import torch
from torch import Tensor

from dlcourse.autograd import unbroadcast as _unbroadcast
from dlcourse.backprop import linear_backward as _linear_backward
from dlcourse.backprop import softmax_cross_entropy_backward as _ce_backward
from dlcourse.checks import Incorrect, NotAttempted, call, exercise, expect_close, expect_tensor, fresh_generator

_g = torch.Generator().manual_seed(7)
_N, _C = 5, 3
_LOGITS = torch.randn(_N, _C, generator=_g, dtype=torch.float64) * 2
_TARGETS = torch.tensor([0, 2, 1, 2, 0])


@exercise("softmax cross-entropy gradient",
          hint="Differentiate -mean_i log softmax(z_i)[y_i]: row i contributes softmax(z_i) - onehot(y_i), "
               "and the mean divides by the batch size N.")
def softmax_cross_entropy_grad(answer) -> str:
    """Check `answer(logits, targets)`: d(mean cross-entropy)/d(logits), shape (N, C)."""
    g = fresh_generator()
    n, c = int(torch.randint(2, 8, (), generator=g)), int(torch.randint(2, 6, (), generator=g))
    fresh = (torch.randn(n, c, generator=g, dtype=torch.float64) * 3, torch.randint(0, c, (n,), generator=g))
    for logits, targets in ((_LOGITS, _TARGETS), fresh):
        n, c = logits.shape
        got = call(answer, logits, targets)
        expected = _ce_backward(logits, targets)
        s = torch.softmax(logits, dim=1)
        one_hot = torch.nn.functional.one_hot(targets, c).double()
        expect_close(got, expected, "your gradient", mistakes={
            "it is N times too large: the loss is a mean over the batch, so divide by N (you summed)": s - one_hot,
            "its sign is flipped: it is softmax minus the one-hot target, not the other way round": (one_hot - s) / n,
            "the one-hot target is missing: subtract 1 at each row's target class": s / n,
            "it is divided by the number of classes C; the mean runs over the N examples": (s - one_hot) / c,
            "that uses the sigmoid of each logit; the probabilities come from the softmax over the row":
                (torch.sigmoid(logits) - one_hot) / n,
            "the softmax runs down the columns (over the batch); take it along each row (dim=1)":
                (torch.softmax(logits, dim=0) - one_hot) / n,
        })
    big = torch.tensor([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]], dtype=torch.float64)
    got_big = call(answer, big, torch.tensor([0, 2]))
    got_big = torch.as_tensor(got_big) if not isinstance(got_big, Tensor) else got_big
    if got_big.shape == (2, 3) and not torch.isfinite(got_big).all():
        raise Incorrect("at logits of ±1000 your gradient contains NaN or infinity: exp(1000) overflows. "
                        "Subtract each row's maximum before exponentiating (or use torch.softmax).")
    expect_close(got_big, _ce_backward(big, torch.tensor([0, 2])), "your gradient at logits of ±1000")
    return "Correct, and stable for huge logits. Each row sums to zero: probability moves from the wrong classes " \
           "to the right one."


def _linear_case(n: int, n_in: int, n_out: int, seed: int) -> tuple[Tensor, Tensor, Tensor]:
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(*s, generator=g, dtype=torch.float64) for s in [(n, n_out), (n, n_in), (n_out, n_in)])


@exercise("linear layer backward",
          hint="Let the shapes decide: dx must be (N, in), dW (out, in), db (out,). For each, find the one "
               "product of grad_out (N, out) with x (N, in) or W (out, in), transposed as needed, that has "
               "that shape; db adds up what the N examples contributed.")
def linear_backward(answer) -> str:
    """Check `answer(grad_out, x, W)` -> (dx, dW, db) for out = x @ W.T + b."""
    fresh = fresh_generator()
    n, n_in, n_out = (int(v) for v in torch.randint(2, 6, (3,), generator=fresh))
    cases = [(4, 3, 2, 0), (3, 3, 3, 1), (n, n_in, n_out, int(torch.randint(2, 2 ** 31, (), generator=fresh)))]
    for n, n_in, n_out, seed in cases:  # the square case catches transposes shapes hide; the last is fresh
        grad_out, x, W = _linear_case(n, n_in, n_out, seed)
        try:
            result = call(answer, grad_out, x, W)
        except Incorrect as exc:
            if "cannot be multiplied" in str(exc) or "size mismatch" in str(exc):
                raise Incorrect(f"{exc}. The shapes do not fit: which factor needs a transpose? grad_out is "
                                f"(N, out) = {tuple(grad_out.shape)}, x is (N, in), W is (out, in).") from None
            raise
        if result is None:
            raise NotAttempted("the function returns None")
        if not isinstance(result, (tuple, list)) or len(result) != 3:
            raise Incorrect("return three gradients: dx, dW, db")
        dx, dW, db = result
        good_dx, good_dW, good_db = _linear_backward(grad_out, x, W)
        if isinstance(dW, Tensor) and tuple(dW.shape) == (n_in, n_out) and n_in != n_out:
            raise Incorrect(f"dW has shape {tuple(dW.shape)} but W is {tuple(W.shape)}: a gradient always has the "
                            "shape of its variable. x.T @ grad_out is dW transposed: use grad_out.T @ x.")
        if isinstance(db, Tensor) and db.shape != good_db.shape:
            if tuple(db.shape) == (n,):
                raise Incorrect(f"db has shape {tuple(db.shape)}, one number per example: you summed over the "
                                "wrong axis. Sum over the batch (axis 0) to get one number per output.")
            if db.ndim == 0:
                raise Incorrect("db is a single number: you summed over every axis. Sum over the batch (axis 0) "
                                "only, one number per output.")
        dx_mistakes = {"its sign is flipped": -good_dx,
                       "it is divided by N: the 1/N of the mean is already inside grad_out": good_dx / n}
        if n_in == n_out:  # only then does the transposed product have the right shape
            dx_mistakes["it multiplies by W.T; since out = x @ W.T, dx = grad_out @ W (no transpose)"] = \
                grad_out @ W.T
        expect_close(dx, good_dx, "dx", mistakes=dx_mistakes)
        expect_close(dW, good_dW, "dW", mistakes={
            "it is transposed: x.T @ grad_out; the gradient of W is grad_out.T @ x": (x.T @ grad_out),
            "its sign is flipped": -good_dW,
            "it is divided by N: the 1/N of the mean is already inside grad_out": good_dW / n})
        expect_close(db, good_db, "db", mistakes={
            "it is the mean over the batch; sum instead (the 1/N is already inside grad_out)": good_db / n,
            "its sign is flipped": -good_db,
            "it sums over the wrong axis (axis 1, over the outputs)": grad_out.sum(1)})
    return "All three gradients are right: each has the shape of its variable, and the batch is summed over."


_BROADCAST_CASES = [((4, 3), (3,)), ((4, 3), (1, 3)), ((4, 3), (4, 1)), ((2, 4, 3), (4, 1)), ((4, 3), ()),
                    ((4, 3), (4, 3))]


@exercise("sum a broadcast gradient",
          hint="First sum over the leading axes that the operand did not have; then sum, with keepdim=True, over "
               "every axis where the operand has length 1 but the gradient does not.")
def unbroadcast(answer) -> str:
    """Check `answer(grad, shape)`: grad summed down to `shape`, the shape of the operand that was broadcast."""
    g = fresh_generator()  # fresh values on every call, for every shape
    for grad_shape, shape in _BROADCAST_CASES:
        grad = torch.randn(*grad_shape, generator=g, dtype=torch.float64)
        expected = _unbroadcast(grad, shape)
        got = call(answer, grad, shape)
        what = f"your result for a gradient of shape {grad_shape} and an operand of shape {shape}"
        if isinstance(got, Tensor) and tuple(got.shape) != shape:
            if got.numel() == expected.numel() and torch.allclose(got.reshape(shape).double(), expected):
                raise Incorrect(f"{what} has the right numbers but shape {tuple(got.shape)}: keep the summed "
                                "length-1 axes (keepdim=True) so it matches the operand.")
            if got.ndim > len(shape):
                raise Incorrect(f"{what} has shape {tuple(got.shape)}: sum away the leading axes the operand "
                                "does not have, and sum (keepdim=True) where it has length 1.")
            if got.ndim == len(shape) and any(a != b and b == 1 for a, b in zip(got.shape, shape)):
                raise Incorrect(f"{what} has shape {tuple(got.shape)}: where the operand has length 1, "
                                "broadcasting copied it; sum the gradient over that axis (keepdim=True).")
        count = grad.numel() // max(expected.numel(), 1)
        expect_close(got, expected, what, mistakes={
            "it is the mean over the copies; each copy passes back its full gradient, so sum": expected / count,
        } if count > 1 else {})
    return "Correct for every case: this is the rule the engine applies to every operand of every operation."
