"""Exercise checks of the chapter "Efficient models": pruning by magnitude, a model's size in bytes, and the
distillation loss with a temperature."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from dlcourse.checks import Incorrect, call, exercise, expect_close, expect_number, fresh_generator
from dlcourse.compression import Int8Linear, distillation_loss as _distillation_loss, magnitude_mask, size_bytes

_g = torch.Generator().manual_seed(5)
_W = _W0 = torch.randn(6, 8, generator=_g, dtype=torch.float64)


@exercise("prune by magnitude", hint="Rank the weights by their absolute value |w|; zero the smallest "
                                     "round(sparsity * w.numel()) of them and keep the others unchanged.")
def prune_by_magnitude(answer) -> str:
    """Check `answer(w, sparsity)`: w with its `sparsity` fraction of smallest-magnitude entries set to 0."""
    g = fresh_generator()
    fresh_w = torch.randn(int(torch.randint(2, 9, (), generator=g)), int(torch.randint(2, 9, (), generator=g)),
                          generator=g, dtype=torch.float64)
    for _W, amount in ((_W0, 0.75), (_W0, 0.5), (fresh_w, 0.25 + 0.5 * torch.rand((), generator=g).item())):
        got = call(answer, _W, amount)
        k = round(amount * _W.numel())
        order = _W.abs().reshape(-1).argsort()
        largest = _W.clone().reshape(-1)
        largest[order[-k:]] = 0
        signed = _W.clone().reshape(-1)
        signed[_W.reshape(-1).argsort()[:k]] = 0
        inverse = _W * magnitude_mask(_W, 1 - amount)
        per_row = torch.stack([row * magnitude_mask(row, amount) for row in _W])
        expect_close(got, _W * magnitude_mask(_W, amount), f"your pruned weights at sparsity {amount:.3g}", mistakes={
            "you removed the LARGEST weights; magnitude pruning removes the smallest |w|":
                largest.reshape(_W.shape),
            "you ranked by the signed value w, so large negative weights were pruned; rank by |w|":
                signed.reshape(_W.shape),
            "you kept a `sparsity` fraction of the weights; `sparsity` is the fraction to REMOVE": inverse,
            "that is the 0/1 mask; return the weights multiplied by it": magnitude_mask(_W, amount),
            "nothing was pruned": _W,
            "you pruned each row separately (argsort along the last dimension); rank all the weights together, "
            "e.g. on w.reshape(-1)": per_row,
        })
    return "Your pruning keeps the largest-magnitude weights and zeroes the rest, as Han et al. do."


def _example(g: torch.Generator | None = None) -> nn.Module:
    """The fixed model, or with `g` one of fresh sizes with a float64 layer and an int8 one."""
    state = torch.random.get_rng_state()
    torch.manual_seed(0 if g is None else int(torch.randint(0, 2 ** 31, (), generator=g)))
    if g is None:
        model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), Int8Linear(nn.Linear(32, 10)))
        model.register_buffer("temperature", torch.ones(3, dtype=torch.float64))
    else:
        a, b, c = (int(v) for v in torch.randint(2, 40, (3,), generator=g))
        model = nn.Sequential(nn.Linear(a, b).double(), nn.Tanh(), Int8Linear(nn.Linear(b, c)),
                              nn.BatchNorm1d(c))  # BatchNorm: float buffers and an int64 one
    torch.random.set_rng_state(state)
    return model


@exercise("model size", hint="For every parameter AND every buffer, add numel() * element_size(): "
                             "float32 takes 4 bytes, float64 8 and int8 just 1.")
def model_size(answer) -> str:
    """Check `answer(model)`: bytes taken by the model's parameters and buffers."""
    for case, model in enumerate((_example(), _example(fresh_generator()))):
        expected = size_bytes(model)  # before the answer runs: it may change the model
        params = list(model.parameters())
        tensors = params + list(model.buffers())
        mistakes = {
            sum(p.numel() for p in params): "that is the number of parameters, not bytes: multiply each tensor's "
                                            "numel() by its element_size()",
            sum(t.numel() for t in tensors): "that counts numbers, not bytes: multiply by element_size()",
            4 * sum(t.numel() for t in tensors): "you assumed 4 bytes for every number; the int8 weights take 1 "
                                                 "byte and float64 ones 8: use element_size()",
            sum(p.numel() * p.element_size() for p in params): "you left out the buffers (model.buffers()): the "
                                                               "int8 layer keeps its weights there",
            8 * sum(t.numel() for t in tensors): "that counts bits at 8 per number; use bytes, element_size()",
            8 * expected: "that is in bits; the size in bytes is numel() * element_size()",
        }
        got = call(answer, model)
        if isinstance(got, bool) or got is None or isinstance(got, str):
            raise Incorrect(f"return a number of bytes (an int), got {type(got).__name__}")
        got = expect_number(got, "your number of bytes", whole=True)
        if got != expected:
            where = " for a second model of random sizes" if case else ""
            raise Incorrect(mistakes.get(got, f"got {got}, expected {expected} bytes{where}"))
    return f"{size_bytes(_example())} bytes. The int8 layer's weights take a quarter of their float32 size."


_S = torch.randn(5, 10, generator=_g, dtype=torch.float64) * 3
_T = torch.randn(5, 10, generator=_g, dtype=torch.float64) * 3


def _kl(student, teacher, T):
    return F.kl_div(F.log_softmax(student / T, -1), F.softmax(teacher / T, -1), reduction="batchmean")


@exercise("distillation loss", hint="Soften both sets of logits by dividing by T, take "
                                    "KL(teacher || student) averaged over the batch, and multiply by T**2.")
def distillation_loss(answer) -> str:
    """Check `answer(student_logits, teacher_logits, T)`: T^2 * KL(softmax(teacher/T) || softmax(student/T))."""
    g = fresh_generator()
    n, classes = (int(v) for v in torch.randint(2, 12, (2,), generator=g))
    fresh = (torch.randn(n, classes, generator=g, dtype=torch.float64) * 3,
             torch.randn(n, classes, generator=g, dtype=torch.float64) * 3, 1.5 + 4 * torch.rand((), generator=g).item())
    for S, Tl, T in ((_S, _T, 4.0), (_S, _T, 2.0), fresh):
        got = call(answer, S, Tl, T)
        expected = _distillation_loss(S, Tl, None, T)
        expect_close(got, expected, f"your loss at T = {T:.3g}" + (" on fresh logits" if S is not _S else ""),
                     mistakes=_distillation_mistakes(S, Tl, T, expected))
    return "The soft-target loss, scaled by T**2 so its gradients keep their size as T changes."


def _distillation_mistakes(S: torch.Tensor, Tl: torch.Tensor, T: float, expected: torch.Tensor) -> dict:
    """The typical wrong distillation losses for student logits S, teacher logits Tl and temperature T."""
    p_t = F.softmax(Tl / T, -1)
    return {
        "the T**2 factor is missing: without it the soft term's gradients shrink like 1/T**2": _kl(S, Tl, T),
        "the loss is divided by T**2 instead of multiplied": _kl(S, Tl, T) / T ** 2,
        "the loss is multiplied by T, not T**2: the softened gradients shrink by 1/T**2, so the factor is T**2":
            T * _kl(S, Tl, T),
        "the KL divergence runs the wrong way: KL(teacher || student), the teacher's probabilities weight it":
            T * T * F.kl_div(F.log_softmax(Tl / T, -1), F.softmax(S / T, -1), reduction="batchmean"),
        "the student's logits were not divided by T": T * T * F.kl_div(F.log_softmax(S, -1), p_t,
                                                                       reduction="batchmean"),
        "no temperature at all (T = 1)": _kl(S, Tl, 1.0),
        "the first argument of F.kl_div must be the student's LOG-probabilities (F.log_softmax), "
        "not probabilities": T * T * F.kl_div(F.softmax(S / T, -1), p_t, reduction="batchmean"),
        "the loss is summed over the batch instead of averaged": len(S) * expected,
        "the KL divergence is averaged over every element (reduction='mean'); average over examples "
        "('batchmean')": expected / S.shape[-1],
        "that is the cross-entropy with the teacher's soft targets, KL plus the teacher's entropy; "
        "subtract the entropy (or use F.kl_div)":
            T * T * -(p_t * F.log_softmax(S / T, -1)).sum(-1).mean(),
    }
