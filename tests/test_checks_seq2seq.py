"""Checks of the chapter "Sequence to sequence: translation and speech" (dlcourse.checks.seq2seq)."""
import torch

from dlcourse import audio
from dlcourse.checks import CORRECT, NOT_ATTEMPTED
from dlcourse.checks import seq2seq as check

from conftest import diagnosis, run_tagged

NOTEBOOK = "architectures/seq2seq.ipynb"


def test_solutions_shown_in_the_notebook_pass():
    ns = run_tagged(NOTEBOOK, "solution", torch=torch, check=check, audio=audio)
    assert check.attention_weights(ns["attention_weights_solution"]).status == CORRECT
    assert check.decoder_input(ns["decoder_input_solution"]).status == CORRECT
    assert check.frames_to_keys(ns["frames_to_keys_solution"]).status == CORRECT


def test_stubs_in_the_notebook_are_not_attempted():
    ns = run_tagged(NOTEBOOK, "exercise-stub", torch=torch, check=check, audio=audio)
    for name in ["attention_weights", "decoder_input", "frames_to_keys"]:
        assert getattr(check, name)(ns[name]).status == NOT_ATTEMPTED


def test_attention_mistakes():
    scores = lambda q, k: (k @ q[:, :, None]).squeeze(-1)
    diagnosis(check.attention_weights(lambda q, k, m: torch.softmax(scores(q, k), -1)), "not masked")
    diagnosis(check.attention_weights(lambda q, k, m: scores(q, k).masked_fill(~m, 0)), "differs")
    diagnosis(check.attention_weights(lambda q, k, m: torch.softmax(scores(q, k).masked_fill(~m, 0), -1)), "instead of -inf")
    diagnosis(check.attention_weights(lambda q, k, m: scores(q, k)), "no softmax")


def test_decoder_input_mistakes():
    diagnosis(check.decoder_input(lambda y, s: y), "the target itself")
    diagnosis(check.decoder_input(lambda y, s: torch.cat([y[:, 1:], torch.full((len(y), 1), s)], 1)), "left")
    diagnosis(check.decoder_input(lambda y, s: torch.cat([torch.full((len(y), 1), s), y], 1)), "too long")
    diagnosis(check.decoder_input(lambda y, s: torch.cat([torch.zeros(len(y), 1, dtype=y.dtype), y[:, :-1]], 1)),
              "start token")


def test_frames_to_keys_mistakes():
    keys = audio.KEYS
    diagnosis(check.frames_to_keys(lambda ls: "".join(keys[k - 1] for k in ls if k)), "merge runs")
    diagnosis(check.frames_to_keys(lambda ls: "".join(dict.fromkeys(keys[k - 1] for k in ls if k))), "twice")
    diagnosis(check.frames_to_keys(
        lambda ls: "".join(keys[k - 1] for i, k in enumerate(ls) if i == 0 or k != ls[i - 1])), "silence")
    diagnosis(check.frames_to_keys(
        lambda ls: "".join(keys[k] for i, k in enumerate(ls) if k and (i == 0 or k != ls[i - 1]))), "KEYS[k - 1]")
    diagnosis(check.frames_to_keys(lambda ls: list(ls)), "string")


def test_replayed_answers_and_ignored_arguments_fail():
    """Issue 17: one fixed input, so a replayed output passed, and so did an answer ignoring `start`."""
    from dlcourse.checks import seq2seq as module

    q, k, m = module._attention_inputs()
    replay = torch.softmax((k @ q[:, :, None]).squeeze(-1).masked_fill(~m, float("-inf")), -1)
    diagnosis(check.attention_weights(lambda *a: replay), "random input")
    diagnosis(check.decoder_input(lambda y, s: torch.cat([torch.ones(len(y), 1, dtype=y.dtype), y[:, :-1]], 1)),
              "fixed at 1", "start")
    fixed = torch.cat([torch.ones(2, 1, dtype=torch.long), module._TARGET[:, :-1]], 1)
    diagnosis(check.decoder_input(lambda y, s: fixed))


def test_attention_scaled_by_the_root_of_d_is_named():
    scores = lambda q, k: (k @ q[:, :, None]).squeeze(-1)
    diagnosis(check.attention_weights(
        lambda q, k, m: torch.softmax(scores(q, k).masked_fill(~m, float("-inf")) / q.shape[-1] ** 0.5, -1)),
        "sqrt(d)")
    diagnosis(check.attention_weights(
        lambda q, k, m: torch.softmax(scores(q, k).masked_fill(m, float("-inf")), -1).nan_to_num(0.0)), "inverted")


def test_a_replayed_key_string_fails_on_fresh_labels():
    """Issue 17 (exemptions): the four fixed label sequences were the only inputs, so a lookup table of their
    answers passed; a fresh sequence is now drawn on every call."""
    table = {tuple(labels): audio.collapse(torch.tensor(labels), min_run=1) for labels in check._CASES}
    for _ in range(5):
        diagnosis(check.frames_to_keys(lambda ls: table.get(tuple(ls), "")), "expected")
