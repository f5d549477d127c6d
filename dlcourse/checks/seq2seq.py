"""Exercise checks of the chapter "Sequence to sequence: translation and speech": attention weights, the teacher-
forcing shift of the decoder's input, and reading keys off frame labels."""
from __future__ import annotations

import torch

from dlcourse import audio
from dlcourse.checks import Incorrect, NotAttempted, call, exercise, expect_close, fresh_generator

_g = torch.Generator().manual_seed(7)
_Q = torch.randn(3, 4, generator=_g, dtype=torch.float64)
_K = torch.randn(3, 6, 4, generator=_g, dtype=torch.float64)
_MASK = torch.tensor([[True] * 6, [True] * 4 + [False] * 2, [True] * 2 + [False] * 4])


def _attention_inputs(g: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Query (N, d), keys (N, S, d), mask (N, S): the fixed ones, or with `g` fresh ones of fresh sizes."""
    if g is None:
        return _Q, _K, _MASK
    n, s, d = (int(v) for v in torch.randint(2, 7, (3,), generator=g))
    lengths = torch.randint(1, s + 1, (n,), generator=g)
    lengths[0] = s
    return (torch.randn(n, d, generator=g, dtype=torch.float64), torch.randn(n, s, d, generator=g, dtype=torch.float64),
            torch.arange(s)[None, :] < lengths[:, None])


@exercise("attention weights", hint="scores[n, j] = keys[n, j] · query[n]; set the scores of padded positions to -inf; "
                                   "softmax over j (the source positions).")
def attention_weights(answer) -> str:
    """Check `answer(query, keys, mask)`: dot-product attention weights (N, S), zero where mask is False."""
    for case, (query, keys, mask) in enumerate((_attention_inputs(), _attention_inputs(fresh_generator()))):
        got = call(answer, query, keys, mask)
        scores = (keys @ query[:, :, None]).squeeze(-1)
        masked = scores.masked_fill(~mask, float("-inf"))
        expected = torch.softmax(masked, -1)
        d = query.shape[-1]
        expect_close(got, expected, "your attention weights" + (" for a second, random input" if case else ""),
                     mistakes={
            "the padding is not masked: padded positions get weight": torch.softmax(scores, -1),
            "no softmax: the weights must be positive and sum to 1": scores,
            "the softmax runs over the batch, not over the source positions": torch.softmax(masked, 0).nan_to_num(0.0),
            "padded scores set to 0 instead of -inf still get weight": torch.softmax(scores.masked_fill(~mask, 0.0), -1),
            "the scores are scaled by 1/sqrt(d): that is the transformer's scaled dot product; this exercise asks "
            "for the plain dot product": torch.softmax(masked / d ** 0.5, -1),
            "the mask is inverted: you kept the padded positions and hid the real ones":
                torch.softmax(scores.masked_fill(mask, float("-inf")), -1).nan_to_num(0.0),
        })
    return "Correct: each row is a distribution over the real source positions."


_TARGET = torch.tensor([[5, 6, 7, 8], [9, 9, 2, 3]])


@exercise("teacher forcing", hint="The decoder's input at step t is the target at step t - 1; at step 0 it is the "
                                 "start token. Drop the last target.")
def decoder_input(answer) -> str:
    """Check `answer(targets, start)`: the decoder input for teacher forcing, [start, y_1, ..., y_{T-1}]."""
    g = fresh_generator()
    n, length = (int(v) for v in torch.randint(2, 6, (2,), generator=g))
    fresh = (torch.randint(3, 20, (n, length), generator=g), int(torch.randint(0, 3, (), generator=g)))
    for targets, start in ((_TARGET, 1), (_TARGET, 2), fresh):
        got = call(answer, targets, start)
        first = torch.full((len(targets), 1), start, dtype=torch.long)
        expected = torch.cat([first, targets[:, :-1]], 1)
        if isinstance(got, torch.Tensor) and got.shape == (len(targets), targets.shape[1] + 1):
            raise Incorrect("your input is one step too long: drop the last target, which is never an input")
        mistakes = {
            "that is the target itself: the decoder would be told the answer it must predict": targets,
            "shifted the wrong way (left): use the previous character, not the next": torch.cat(
                [targets[:, 1:], first], 1),
            "the start token is missing at step 0": torch.cat([torch.zeros_like(first), targets[:, :-1]], 1),
            "the first target is dropped instead of the last: [start, y_2, ..., y_T]": torch.cat(
                [first, targets[:, 1:]], 1),
        }
        for other in (1, 2):
            if other != start:
                mistakes[f"the start token is fixed at {other}: use the `start` you are given ({start})"] = torch.cat(
                    [torch.full_like(first, other), targets[:, :-1]], 1)
        expect_close(got, expected, f"your decoder input (start = {start}, targets of shape {tuple(targets.shape)})",
                     mistakes=mistakes)
    return "Correct: at every step the decoder sees the true previous character."


_CASES = [[0, 0, 3, 3, 3, 0, 0, 3, 3, 0, 5, 5, 5], [1, 1, 0, 0, 12, 12, 12, 0, 2, 2], [0, 0, 0], [7, 7, 7, 7]]
"""Fixed label sequences chosen to separate the typical mistakes (a key pressed twice, silence, a lone key)."""


def _fresh_labels(g: torch.Generator) -> list[int]:
    """A fresh label sequence of 3 to 8 runs of 1 to 4 frames, none of the fixed `_CASES`: at least one key, and
    runs of silence and of keys alternating or repeating as in a real clip."""
    while True:
        runs = int(torch.randint(3, 9, (), generator=g))
        labels: list[int] = []
        for _ in range(runs):
            label = int(torch.randint(0, len(audio.KEYS) + 1, (), generator=g))
            labels += [label] * int(torch.randint(1, 5, (), generator=g))
        if any(labels) and labels not in _CASES:
            return labels


@exercise("reading keys off frames", hint="Walk through the labels; start a new key whenever the label changes to a "
                                         "non-silence value. Label k means KEYS[k - 1].")
def frames_to_keys(answer) -> str:
    """Check `answer(labels)`: the key string of a list of frame labels (0 = silence, k = KEYS[k - 1])."""
    for labels in _CASES + [_fresh_labels(fresh_generator())]:
        expected = audio.collapse(torch.tensor(labels), min_run=1)  # before the answer runs on these labels
        got = call(answer, list(labels))
        if got is None:
            raise NotAttempted("the function returns None")
        if not isinstance(got, str):
            raise Incorrect(f"return a string of keys such as {expected!r}, got {type(got).__name__}")
        if got == expected:
            continue
        every = "".join(audio.KEYS[k - 1] for k in labels if k)
        runs = [k for i, k in enumerate(labels) if i == 0 or k != labels[i - 1]]
        with_silence = "".join(audio.KEYS[k - 1] for k in runs)  # KEYS[-1] is "#": silence read as a key
        unique = "".join(dict.fromkeys(audio.KEYS[k - 1] for k in labels if k))
        if got == every:
            raise Incorrect(f"for {labels} you give {got!r}: every frame became a key; merge runs of equal labels")
        if got == unique:
            raise Incorrect(f"for {labels} you give {got!r}: a key pressed twice (with silence between) is two keys")
        if got == with_silence or got == "".join("_" if k == 0 else audio.KEYS[k - 1] for k in runs):
            raise Incorrect(f"for {labels} you give {got!r}: silence (label 0) is not a key; drop it")
        if len(got) == len(expected) and all(c in audio.KEYS for c in got):
            raise Incorrect(f"for {labels} you give {got!r}, expected {expected!r}: label k is KEYS[k - 1] "
                            "(label 0 is silence)")
        raise Incorrect(f"for {labels} you give {got!r}, expected {expected!r}")
    return "Correct: runs merged, silence dropped."
