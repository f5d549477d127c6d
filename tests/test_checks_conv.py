"""Checks of the chapters "Convolutional networks" and "Convolutional networks at work" (dlcourse.checks.conv): the
notebooks' solutions pass, their stubs report "not attempted", and typical wrong answers get the right diagnosis."""
import torch
import torch.nn.functional as F

from dlcourse.checks import CORRECT, NOT_ATTEMPTED
from dlcourse.checks import conv as check

from conftest import diagnosis, run_tagged

CNN, APPLICATIONS = "architectures/cnn.ipynb", "architectures/cnn-applications.ipynb"


def test_solutions_shown_in_the_notebooks_pass():
    ns = run_tagged(CNN, "solution", torch=torch, check=check)
    assert check.conv_output_size(ns["conv_output_size_solution"]).status == CORRECT
    assert check.correlate2d(ns["correlate2d_solution"]).status == CORRECT
    assert check.shift_kernel(ns["shift_kernel_solution"]).status == CORRECT
    ns = run_tagged(APPLICATIONS, "solution", torch=torch, check=check)
    assert check.receptive_field(ns["receptive_field_solution"]).status == CORRECT
    assert check.iou(ns["iou_solution"]).status == CORRECT


def test_stubs_in_the_notebooks_are_not_attempted():
    ns = run_tagged(CNN, "exercise-stub", torch=torch, check=check)
    assert check.conv_output_size(ns["conv_output_size"]).status == NOT_ATTEMPTED
    assert check.correlate2d(ns["correlate2d"]).status == NOT_ATTEMPTED
    assert check.shift_kernel(ns["shift_kernel"]).status == NOT_ATTEMPTED
    ns = run_tagged(APPLICATIONS, "exercise-stub", torch=torch, check=check)
    assert check.receptive_field(ns["receptive_field"]).status == NOT_ATTEMPTED
    assert check.iou(ns["iou"]).status == NOT_ATTEMPTED


def test_conv_output_size_mistakes():
    diagnosis(check.conv_output_size(lambda n, k, s, p: (n + 2 * p - k) // s), "+ 1")
    diagnosis(check.conv_output_size(lambda n, k, s, p: (n + p - k) // s + 1), "both sides")
    diagnosis(check.conv_output_size(lambda n, k, s, p: (n + 2 * p - k) / s + 1), "rounded down")
    diagnosis(check.conv_output_size(lambda n, k, s, p: float((n + 2 * p - k) // s + 1)), "float")
    diagnosis(check.conv_output_size(lambda n, k, s, p: (n + 2 * p - k + 1) // s), "outside the division")
    diagnosis(check.conv_output_size(lambda n, k, s, p: n), "expected")


def correlate(flip=(), pad=0, scale=1.0):
    def answer(image, kernel):
        kernel = kernel.flip(flip) if flip else kernel
        return F.conv2d(image[None, None], kernel[None, None], padding=pad)[0, 0] * scale
    return answer


def test_correlate2d_mistakes():
    diagnosis(check.correlate2d(correlate(flip=(0, 1))), "flipped", "cross-correlation")
    diagnosis(check.correlate2d(correlate(flip=(0,))), "one direction")
    same = lambda image, kernel: correlate()(F.pad(image, (0, 1, 1, 1)), kernel)  # output as large as the image
    diagnosis(check.correlate2d(same), "no padding")
    diagnosis(check.correlate2d(lambda image, kernel: correlate()(image, kernel).T), "transposed")
    diagnosis(check.correlate2d(lambda image, kernel: correlate()(image, kernel) / kernel.numel()), "mean")
    diagnosis(check.correlate2d(lambda image, kernel: None), "return")


def one_at(a, b):
    k = torch.zeros(3, 3)
    k[a, b] = 1
    return lambda: k


def test_shift_kernel_mistakes():
    diagnosis(check.shift_kernel(one_at(1, 2)), "to the left", "not flipped")
    diagnosis(check.shift_kernel(one_at(1, 1)), "identity")
    diagnosis(check.shift_kernel(one_at(0, 1)), "down", "Rows")
    diagnosis(check.shift_kernel(one_at(2, 1)), "up")
    diagnosis(check.shift_kernel(lambda: torch.ones(3, 3)), "single 1")
    diagnosis(check.shift_kernel(lambda: torch.ones(2, 2)), "shape")


def test_receptive_field_mistakes():
    diagnosis(check.receptive_field(lambda ks, ss: 1 + sum(k - 1 for k in ks)), "strides were ignored")
    diagnosis(check.receptive_field(lambda ks, ss: sum(ks)), "added up")

    def too_early(ks, ss):
        field, jump = 1, 1
        for k, s in zip(ks, ss):
            jump *= s
            field += (k - 1) * jump
        return field

    diagnosis(check.receptive_field(too_early), "too early")
    diagnosis(check.receptive_field(lambda ks, ss: "17"), "number")


def test_iou_mistakes():
    inter = lambda p, t: (p & t).sum().item()
    diagnosis(check.iou(lambda p, t: inter(p, t) / (p.sum().item() + t.sum().item())), "double-counts")
    diagnosis(check.iou(lambda p, t: 2 * inter(p, t) / (p.sum().item() + t.sum().item())), "Dice")
    diagnosis(check.iou(lambda p, t: inter(p, t) / t.sum().item()), "recall")
    diagnosis(check.iou(lambda p, t: inter(p, t) / p.sum().item()), "precision")
    diagnosis(check.iou(lambda p, t: inter(p, t) / (p | t).sum().item()), "empty masks", "ZeroDivisionError")
    diagnosis(check.iou(lambda p, t: inter(p, t) / max((p | t).sum().item(), 1)), "empty masks")
    diagnosis(check.iou(lambda p, t: torch.tensor(inter(p, t) / (p | t).sum().item())), "empty masks")


def test_broken_answers(monkeypatch):
    monkeypatch.setattr("dlcourse.checks.TIME_LIMIT", 0.5)

    def endless(*args):
        while True:
            pass

    diagnosis(check.correlate2d(endless), "did not finish")
    diagnosis(check.iou(lambda p, t: 1 / 0), "ZeroDivisionError")
    diagnosis(check.shift_kernel("kernel"), "expected a function")


def test_hostile_answers_get_a_clear_verdict():
    diagnosis(check.shift_kernel(lambda: None), "return")
    diagnosis(check.shift_kernel(lambda: torch.zeros(3, 3, dtype=torch.complex64)), "complex")
    diagnosis(check.shift_kernel(lambda: torch.full((3, 3), float("nan"))), "NaN")
    diagnosis(check.conv_output_size(lambda n, k, s, p: float("nan")), "finite")
    diagnosis(check.receptive_field(lambda kernels, strides: 10 ** 400), "too large")
    diagnosis(check.iou(lambda p, t: float("inf")), "finite")
    diagnosis(check.correlate2d(lambda image, kernel: torch.full((4, 6), float("nan"),
                                                                dtype=torch.float64)), "NaN")
