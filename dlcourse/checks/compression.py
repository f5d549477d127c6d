"""Exercise checks of the chapter "Efficient models": pruning by magnitude, a model's size in bytes, and the
distillation loss with a temperature."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from dlcourse.checks import Incorrect, call, exercise, expect_close
from dlcourse.compression import Int8Linear, distillation_loss as _distillation_loss, magnitude_mask, size_bytes

_g = torch.Generator().manual_seed(5)
_W = torch.randn(6, 8, generator=_g, dtype=torch.float64)


@exercise("prune by magnitude", hint="Rank the weights by their absolute value |w|; zero the smallest "
                                     "round(sparsity * w.numel()) of them and keep the others unchanged.")
def prune_by_magnitude(answer) -> str:
    """Check `answer(w, sparsity)`: w with its `sparsity` fraction of smallest-magnitude entries set to 0."""
    for amount in (0.75, 0.5):
        got = call(answer, _W, amount)
        k = round(amount * _W.numel())
        order = _W.abs().reshape(-1).argsort()
        largest = _W.clone().reshape(-1)
        largest[order[-k:]] = 0
        signed = _W.clone().reshape(-1)
        signed[_W.reshape(-1).argsort()[:k]] = 0
        inverse = _W * magnitude_mask(_W, 1 - amount)
        per_row = torch.stack([row * magnitude_mask(row, amount) for row in _W])
        expect_close(got, _W * magnitude_mask(_W, amount), f"your pruned weights at sparsity {amount}", mistakes={
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


def _example() -> nn.Module:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), Int8Linear(nn.Linear(32, 10)))
    model.register_buffer("temperature", torch.ones(3, dtype=torch.float64))
    return model


@exercise("model size", hint="For every parameter AND every buffer, add numel() * element_size(): "
                             "float32 takes 4 bytes, float64 8 and int8 just 1.")
def model_size(answer) -> str:
    """Check `answer(model)`: bytes taken by the model's parameters and buffers."""
    model = _example()
    expected = size_bytes(model)
    got = call(answer, model)
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        raise Incorrect(f"return a number of bytes (an int), got {type(got).__name__}")
    params = list(model.parameters())
    tensors = params + list(model.buffers())
    mistakes = {
        sum(p.numel() for p in params): "that is the number of parameters, not bytes: multiply each tensor's "
                                        "numel() by its element_size()",
        sum(t.numel() for t in tensors): "that counts numbers, not bytes: multiply by element_size()",
        4 * sum(t.numel() for t in tensors): "you assumed 4 bytes for every number; the int8 weights take 1 byte "
                                             "and the float64 buffer 8: use element_size()",
        sum(p.numel() * p.element_size() for p in params): "you left out the buffers (model.buffers()): the int8 "
                                                           "layer keeps its weights there",
        8 * sum(t.numel() for t in tensors): "that counts bits at 8 per number; use bytes, element_size()",
    }
    if got != expected:
        raise Incorrect(mistakes.get(got, f"got {got}, expected {expected} bytes"))
    return f"{expected} bytes. The int8 layer's weights take a quarter of their float32 size."


_S = torch.randn(5, 10, generator=_g, dtype=torch.float64) * 3
_T = torch.randn(5, 10, generator=_g, dtype=torch.float64) * 3


def _kl(student, teacher, T):
    return F.kl_div(F.log_softmax(student / T, -1), F.softmax(teacher / T, -1), reduction="batchmean")


@exercise("distillation loss", hint="Soften both sets of logits by dividing by T, take "
                                    "KL(teacher || student) averaged over the batch, and multiply by T**2.")
def distillation_loss(answer) -> str:
    """Check `answer(student_logits, teacher_logits, T)`: T^2 * KL(softmax(teacher/T) || softmax(student/T))."""
    for T in (4.0, 2.0):
        got = call(answer, _S, _T, T)
        expected = _distillation_loss(_S, _T, None, T)
        p_t = F.softmax(_T / T, -1)
        expect_close(got, expected, f"your loss at T = {T:g}", mistakes={
            "the T**2 factor is missing: without it the soft term's gradients shrink like 1/T**2": _kl(_S, _T, T),
            "the loss is divided by T**2 instead of multiplied": _kl(_S, _T, T) / T ** 2,
            "the KL divergence runs the wrong way: KL(teacher || student), the teacher's probabilities weight it":
                T * T * F.kl_div(F.log_softmax(_T / T, -1), F.softmax(_S / T, -1), reduction="batchmean"),
            "the student's logits were not divided by T": T * T * F.kl_div(F.log_softmax(_S, -1), p_t,
                                                                           reduction="batchmean"),
            "no temperature at all (T = 1)": _kl(_S, _T, 1.0),
            "the first argument of F.kl_div must be the student's LOG-probabilities (F.log_softmax), "
            "not probabilities": T * T * F.kl_div(F.softmax(_S / T, -1), p_t, reduction="batchmean"),
            "the loss is summed over the batch instead of averaged": 5 * expected,
            "the KL divergence is averaged over every element (reduction='mean'); average over examples "
            "('batchmean')": expected / 10,
            "that is the cross-entropy with the teacher's soft targets, KL plus the teacher's entropy; "
            "subtract the entropy (or use F.kl_div)":
                T * T * -(p_t * F.log_softmax(_S / T, -1)).sum(-1).mean(),
        })
    return "The soft-target loss, scaled by T**2 so its gradients keep their size as T changes."
