"""Exercise checks of the chapters "Convolutional networks" and "Convolutional networks at work": an output size,
a 2-D correlation, a kernel designed by hand, a receptive field and the IoU score."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from dlcourse.checks import Incorrect, call, exercise, expect_close, expect_tensor, fresh_generator

_SIZES = [(8, 3, 1, 0), (8, 3, 1, 1), (28, 5, 2, 2), (7, 3, 2, 0), (10, 4, 3, 1), (32, 1, 1, 0), (9, 2, 2, 0)]


def _number(value, what: str) -> float:
    if value is None:
        raise Incorrect(f"{what} is None: did you forget to `return` it?")
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise Incorrect(f"{what} should be a number, got {type(value).__name__}")
    if isinstance(value, int) and abs(value) > 10**15:
        raise Incorrect(f"{what} is a number with {len(str(abs(value)))} digits: far too large")
    if not math.isfinite(value):
        raise Incorrect(f"{what} is {value}, not a finite number")
    return value


@exercise("convolution output size", hint="Pad both sides, slide the kernel in steps of `stride`, count the stops: "
                                          "floor((n + 2 padding - kernel) / stride) + 1.")
def conv_output_size(answer) -> str:
    """Check `answer(n, kernel, stride, padding)`: the length of a convolution's output along one axis."""
    floats = False
    g = fresh_generator()
    k, s, p = (int(v) for v in torch.randint(1, 6, (3,), generator=g))
    fresh = (k + int(torch.randint(0, 40, (), generator=g)), k, s, min(p, k - 1))  # a legal case drawn anew
    for n, k, s, p in _SIZES + [fresh]:
        got = _number(call(answer, n, k, s, p), f"your size for n={n}, kernel={k}, stride={s}, padding={p}")
        right = (n + 2 * p - k) // s + 1
        if got == right:
            floats = floats or not isinstance(got, int)
            continue
        case = f"for n={n}, kernel={k}, stride={s}, padding={p} you give {got}, expected {right}"
        mistakes = {
            "the + 1 belongs outside the division: (n + 2p - k) // stride + 1": (n + 2 * p - k + 1) // s,
            "you forgot the + 1 (a kernel that fits exactly still gives one output)": (n + 2 * p - k) // s,
            "the padding goes on both sides: n + 2 * padding": (n + p - k) // s + 1,
            "the size must be rounded down (a partial window gives no output)": (n + 2 * p - k) / s + 1,
            "the stride divides (n + 2p - k), it does not multiply it": (n + 2 * p - k) * s + 1,
        }
        for diagnosis, wrong in mistakes.items():
            if math.isclose(got, wrong) and wrong != right:
                raise Incorrect(f"{case}: {diagnosis}.")
        raise Incorrect(case + ".")
    if floats:
        raise Incorrect("the values are right but some are floats; a size is a whole number: use //")
    return f"All {len(_SIZES)} cases right, paddings and strides included."


_g = torch.Generator().manual_seed(3)
_IMAGE = torch.randn(6, 7, generator=_g, dtype=torch.float64)
_KERNEL = torch.randn(3, 2, generator=_g, dtype=torch.float64)


def _correlate(image: torch.Tensor, kernel: torch.Tensor, padding: int | tuple[int, int] = 0) -> torch.Tensor:
    return F.conv2d(image[None, None], kernel[None, None], padding=padding)[0, 0]


@exercise("2-D correlation", hint="out[i, j] = sum over (a, b) of image[i + a, j + b] * kernel[a, b], for every "
                                  "(i, j) where the kernel fits inside the image.")
def correlate2d(answer) -> str:
    """Check `answer(image, kernel)`: 'valid' cross-correlation of one (H, W) image with a (kh, kw) kernel."""
    got = call(answer, _IMAGE, _KERNEL)
    expected = _correlate(_IMAGE, _KERNEL)
    if isinstance(got, torch.Tensor) and got.shape == _IMAGE.shape:
        raise Incorrect(f"your result has the image's shape {tuple(_IMAGE.shape)}: no padding here, the output "
                        f"only has the {tuple(expected.shape)} positions where the kernel fits")
    expect_close(got, expected, "your output", mistakes={
        "that is a true convolution, with the kernel flipped; deep learning's 'convolution' slides the kernel "
        "as it is (cross-correlation)": _correlate(_IMAGE, _KERNEL.flip(0, 1)),
        "the kernel is flipped in one direction only": _correlate(_IMAGE, _KERNEL.flip(0)),
        "you divided by the number of kernel entries (a mean): take the sum":
            _correlate(_IMAGE, _KERNEL) / _KERNEL.numel(),
    })
    square = call(answer, _IMAGE[:5, :5], torch.ones(2, 2, dtype=torch.float64))
    expect_close(square, _correlate(_IMAGE[:5, :5], torch.ones(2, 2, dtype=torch.float64)),
                 "your output for a 5x5 image and a 2x2 kernel of ones")
    g = fresh_generator()
    kh, kw = (int(v) for v in torch.randint(1, 4, (2,), generator=g))
    image = torch.randn(kh + int(torch.randint(0, 6, (), generator=g)), kw + int(torch.randint(0, 6, (), generator=g)),
                        generator=g, dtype=torch.float64)
    kernel = torch.randn(kh, kw, generator=g, dtype=torch.float64)
    expect_close(call(answer, image, kernel), _correlate(image, kernel),
                 f"your output for a random {tuple(image.shape)} image and {tuple(kernel.shape)} kernel")
    return "Your correlation equals F.conv2d on a single channel."


_TEST_IMAGE = torch.arange(1.0, 26.0).reshape(5, 5)
_DIRECTIONS = {(1, 0): "one pixel to the right", (1, 2): "one pixel to the left",
               (0, 1): "one pixel down", (2, 1): "one pixel up", (1, 1): "nowhere (that is the identity)"}


@exercise("a kernel that moves the image", hint="With padding 1, out[i, j] = sum of kernel[a, b] * "
                                               "image[i + a - 1, j + b - 1]. Which single image pixel should "
                                               "out[i, j] copy, and where in the kernel does that put the 1?")
def shift_kernel(answer) -> str:
    """Check `answer()` -> a (3, 3) kernel that, correlated with padding 1, moves an image one pixel right."""
    k = expect_tensor(call(answer), (3, 3), "your kernel")
    if k.is_complex():
        raise Incorrect("your kernel holds complex numbers: a kernel of real numbers is enough here")
    k = k.double()
    got = _correlate(_TEST_IMAGE.double(), k, padding=1)
    right = torch.zeros(3, 3, dtype=torch.float64)
    right[1, 0] = 1
    if torch.allclose(got, _correlate(_TEST_IMAGE.double(), right, padding=1)):
        return "Right: out[i, j] = image[i, j - 1], so the 1 sits left of the centre, at kernel[1, 0]."
    for (a, b), where in _DIRECTIONS.items():
        one = torch.zeros(3, 3, dtype=torch.float64)
        one[a, b] = 1
        if torch.allclose(k, one):
            extra = (" The kernel is not flipped: to copy the pixel on the left, the 1 goes on the left."
                     if (a, b) == (1, 2) else " Rows are the first index, columns the second." if b == 1 else "")
            raise Incorrect(f"your kernel moves the image {where}.{extra}")
    raise Incorrect("your kernel does not just move the image: it should contain a single 1 and zeros elsewhere.")


_LAYERS = [([3], [1]), ([3, 3], [1, 1]), ([5, 3, 3], [2, 2, 2]), ([3, 3, 3], [2, 1, 1]), ([4, 2], [3, 1])]


def _field(kernels, strides) -> int:
    field, jump = 1, 1
    for k, s in zip(kernels, strides):
        field += (k - 1) * jump
        jump *= s
    return field


@exercise("receptive field", hint="Each layer widens the view by (kernel - 1) steps of its input's grid, and a "
                                  "step of that grid spans the product of the strides of all earlier layers.")
def receptive_field(answer) -> str:
    """Check `answer(kernels, strides)`: how many input samples one output of a stack of 1-D convolutions sees."""
    g = fresh_generator()
    depth = int(torch.randint(1, 5, (), generator=g))
    fresh = ([int(v) for v in torch.randint(1, 8, (depth,), generator=g)],
             [int(v) for v in torch.randint(1, 4, (depth,), generator=g)])
    for kernels, strides in _LAYERS + [fresh]:
        got = _number(call(answer, list(kernels), list(strides)), f"your field for kernels {kernels}, strides "
                                                                  f"{strides}")
        right = _field(kernels, strides)
        if got == right:
            continue
        case = f"for kernels {kernels} and strides {strides} you give {got}, expected {right}"
        later = 1 + sum((k - 1) * math.prod(strides[:i + 1]) for i, k in enumerate(kernels))
        mistakes = {"the strides were ignored: a stride spreads every later layer's view": _field(kernels, [1] * 9),
                    "the kernel sizes were added up, but neighbouring windows overlap: add (kernel - 1)": sum(kernels),
                    "each layer's own stride was counted too early: only the strides of the layers *before* it "
                    "scale its kernel": later}
        for diagnosis, wrong in mistakes.items():
            if got == wrong and wrong != right:
                raise Incorrect(f"{case}: {diagnosis}.")
        raise Incorrect(case + ".")
    return "Right. The 1-D CNN of this chapter sees 1 + 4 + 2·2 + 2·4 = 17 samples per output of its last layer."


_gm = torch.Generator().manual_seed(5)
_PRED = torch.rand(4, 6, 6, generator=_gm) < 0.3
_TRUE = torch.rand(4, 6, 6, generator=_gm) < 0.3


@exercise("intersection over union", hint="Count the pixels in both masks (&) and in either (|); divide. Two empty "
                                          "masks agree perfectly: return 1.0.")
def iou(answer) -> str:
    """Check `answer(predicted, target)` on boolean masks: |P ∩ T| / |P ∪ T| as a Python float, 1.0 for two empties."""
    g = fresh_generator()
    shape = tuple(int(v) for v in torch.randint(2, 9, (3,), generator=g))
    fresh = (torch.rand(shape, generator=g) < 0.4, torch.rand(shape, generator=g) < 0.4)
    fresh[0].reshape(-1)[0] = fresh[1].reshape(-1)[0] = True  # never two empty masks here
    for predicted, target in ((_PRED, _TRUE), fresh):
        inter, p, t = _iou_case(answer, predicted, target)
    same = _number(call(answer, _TRUE, _TRUE), "your IoU of a mask with itself")
    if not math.isclose(same, 1.0):
        raise Incorrect(f"a mask compared with itself should give 1.0, you give {same}")
    empty = torch.zeros(3, 3, dtype=torch.bool)
    nothing = call(answer, empty, empty)
    if nothing is None or (isinstance(nothing, float) and math.isnan(nothing)) or \
            _number(nothing, "your IoU of two empty masks") != 1.0:
        raise Incorrect(f"two empty masks should give 1.0 (they agree everywhere), you give {nothing}")
    inter, p, t = (_PRED & _TRUE).sum().item(), _PRED.sum().item(), _TRUE.sum().item()
    return f"Right: {inter} pixels in both, {p + t - inter} in either, IoU {inter / (p + t - inter):.3f}."


def _iou_case(answer, predicted: torch.Tensor, target: torch.Tensor) -> tuple[int, int, int]:
    inter, p, t = (predicted & target).sum().item(), predicted.sum().item(), target.sum().item()
    right = inter / (p + t - inter)
    got = _number(call(answer, predicted, target), "your IoU" + ("" if predicted is _PRED else
                                                                 " for a second pair of random masks"))
    if not math.isclose(got, right, rel_tol=1e-6):
        mistakes = {"the union double-counts the overlap: |P ∪ T| = |P| + |T| - |P ∩ T|": inter / (p + t),
                    "that is the Dice score 2|P ∩ T| / (|P| + |T|), a relative of IoU": 2 * inter / (p + t),
                    "that divides by the true mask only (recall), not by the union": inter / t,
                    "that divides by the predicted mask only (precision), not by the union": inter / p,
                    "the masks were swapped into 1 - IoU": 1 - right}
        for diagnosis, wrong in mistakes.items():
            if math.isclose(got, wrong, rel_tol=1e-6):
                raise Incorrect(f"your IoU is {got:.4f}, expected {right:.4f}: {diagnosis}.")
        raise Incorrect(f"your IoU is {got:.4f}, expected {right:.4f}.")
    return inter, p, t
