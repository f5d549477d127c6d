"""Convolution and pooling from scratch (im2col), hand-designed kernels, and the chapter's small CNNs.

Used by the chapters "Convolutional networks" and "Convolutional networks at work", which show that `conv2d`,
`max_pool2d` and `avg_pool2d` equal `torch.nn.functional`'s in values and gradients.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def output_size(n: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Length of a convolution's output along one axis: floor((n + 2 padding - kernel) / stride) + 1."""
    return (n + 2 * padding - kernel) // stride + 1


def unfold(x: Tensor, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] = 1,
           padding: int | tuple[int, int] = 0, pad_value: float = 0.0) -> Tensor:
    """im2col: every kernel-sized window of x (N, C, H, W), as a tensor (N, oh, ow, kh * kw, C).

    No loop at all: the pixel number of every entry of every window is computed once, as index arithmetic, and a
    single gather (`index_select`) copies them, for all images and channels at once. Channels go last so that a
    window flattens into one row of the matrix that `conv2d` multiplies.
    """
    (kh, kw), (sh, sw), (ph, pw) = _pair(kernel_size), _pair(stride), _pair(padding)
    if ph or pw:
        x = F.pad(x, (pw, pw, ph, ph), value=pad_value)
    n, c, h, w = x.shape
    oh, ow = output_size(h, kh, sh), output_size(w, kw, sw)
    if oh <= 0 or ow <= 0:
        raise ValueError(f"kernel {kh}x{kw} does not fit a padded input of {h}x{w}")
    arange = lambda size: torch.arange(size, device=x.device)
    rows = sh * arange(oh)[:, None, None, None] + arange(kh)[None, None, :, None]  # (oh, 1, kh, 1)
    cols = sw * arange(ow)[None, :, None, None] + arange(kw)[None, None, None, :]  # (1, ow, 1, kw)
    index = (rows * w + cols).reshape(-1)                   # pixel number for (position, kernel entry)
    pixels = x.permute(0, 2, 3, 1).reshape(n, h * w, c)     # (N, H*W, C)
    return pixels.index_select(1, index).reshape(n, oh, ow, kh * kw, c)


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int | tuple[int, int] = 1,
           padding: int | tuple[int, int] = 0) -> Tensor:
    """2-D convolution (cross-correlation, as in deep learning) of x (N, C, H, W) with weight (O, C, kh, kw)."""
    out_channels, channels, kh, kw = weight.shape
    cols = unfold(x, (kh, kw), stride, padding)                    # (N, oh, ow, kh*kw, C)
    n, oh, ow = cols.shape[:3]
    rows = cols.reshape(n * oh * ow, kh * kw * channels)           # one row per output position
    kernel_matrix = weight.permute(2, 3, 1, 0).reshape(kh * kw * channels, out_channels)
    out = rows @ kernel_matrix                                     # the whole convolution: one matrix product
    if bias is not None:
        out = out + bias
    return out.reshape(n, oh, ow, out_channels).permute(0, 3, 1, 2)


def conv1d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int = 1, padding: int = 0) -> Tensor:
    """1-D convolution of x (N, C, L) with weight (O, C, k): a 2-D convolution of height 1."""
    out = conv2d(x[:, :, None], weight[:, :, None], bias, (1, stride), (0, padding))
    return out[:, :, 0]


def max_pool2d(x: Tensor, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None,
               padding: int | tuple[int, int] = 0) -> Tensor:
    """Largest value in each window (stride defaults to the window size; padding never wins)."""
    return _pool(x, kernel_size, stride, padding, "max")


def avg_pool2d(x: Tensor, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None,
               padding: int | tuple[int, int] = 0) -> Tensor:
    """Mean of each window, counting zero padding (as `F.avg_pool2d`'s default does)."""
    return _pool(x, kernel_size, stride, padding, "mean")


def _pool(x: Tensor, kernel_size, stride, padding, how: str) -> Tensor:
    stride = stride if stride is not None else kernel_size
    if how == "mean":
        return unfold(x, kernel_size, stride, padding).mean(3).permute(0, 3, 1, 2)
    cols = unfold(x, kernel_size, stride, padding, pad_value=float("-inf"))  # (N, oh, ow, kh*kw, C)
    # The gradient goes to one winner per window, the first maximum in reading order, as in torch; `amax` would
    # split it among tied maxima (an all-zero window after a ReLU). Padding never wins, even over -inf.
    inside = unfold(torch.ones_like(x[:1, :1]), kernel_size, stride, padding).bool()
    winners = ((cols == cols.amax(3, keepdim=True)) & inside).to(torch.uint8)
    first = winners.argmax(3, keepdim=True)  # argmax returns the first of equal values
    return cols.gather(3, first).squeeze(3).permute(0, 3, 1, 2)


def conv2d_loops(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """The definition, written with Python loops over output positions (stride 1, no padding): slow, for contrast."""
    n, _, h, w = x.shape
    out_channels, _, kh, kw = weight.shape
    out = torch.zeros(n, out_channels, h - kh + 1, w - kw + 1, dtype=x.dtype)
    for i in range(h - kh + 1):
        for j in range(w - kw + 1):
            window = x[:, None, :, i:i + kh, j:j + kw]              # (N, 1, C, kh, kw)
            out[:, :, i, j] = (window * weight).sum((2, 3, 4))
    return out if bias is None else out + bias[:, None, None]


KERNELS: dict[str, list[list[float]]] = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "box blur": [[1 / 9] * 3] * 3,
    "gaussian blur": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "vertical edges (Sobel x)": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "horizontal edges (Sobel y)": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "outline (Laplacian)": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
}
"""Classic hand-designed 3x3 image kernels, by name."""


def kernel(name: str) -> Tensor:
    """One of `KERNELS` as a (3, 3) tensor."""
    if name not in KERNELS:
        raise ValueError(f"unknown kernel {name!r}: use one of {', '.join(KERNELS)}")
    return torch.tensor(KERNELS[name], dtype=torch.float32)


def apply_kernel(image: Tensor, k: Tensor) -> Tensor:
    """Filter one grey image (H, W) with a (kh, kw) kernel, zero padding keeping its size (kh, kw odd)."""
    k = torch.as_tensor(k, dtype=image.dtype)
    out = conv2d(image[None, None], k[None, None], padding=(k.shape[0] // 2, k.shape[1] // 2))
    return out[0, 0]


def shift_images(images: Tensor, dy: int, dx: int) -> Tensor:
    """Move images (..., H, W) by dy rows and dx columns, filling the uncovered border with zeros."""
    out = torch.zeros_like(images)
    h, w = images.shape[-2:]
    if abs(dy) >= h or abs(dx) >= w:  # moved out of the frame entirely: only border is left
        return out
    out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        images[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def digits_cnn(channels: tuple[int, int] = (16, 32), global_pool: bool = True, classes: int = 10) -> nn.Sequential:
    """A small CNN for 8x8 digits: two 3x3 conv + ReLU layers, then a linear classifier.

    global_pool=True keeps the full 8x8 resolution and takes each channel's maximum over all positions (features
    that do not depend on where a pattern is); False max-pools twice (8x8 -> 4x4 -> 2x2) and flattens, so the
    classifier sees where each feature was.
    """
    c1, c2 = channels
    if global_pool:
        return nn.Sequential(nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(),
                             nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(c2, classes))
    return nn.Sequential(nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(c2 * 4, classes))


def cnn1d(channels: int = 25, classes: int = 10, length: int = 40) -> nn.Sequential:
    """A 1-D CNN for MNIST-1D signals (N, length): three conv layers (stride 2) and a linear classifier."""
    return nn.Sequential(
        nn.Unflatten(1, (1, length)),
        nn.Conv1d(1, channels, 5, stride=2, padding=1), nn.ReLU(),
        nn.Conv1d(channels, channels, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv1d(channels, channels, 3, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(channels * output_size(output_size(output_size(length, 5, 2, 1), 3, 2, 1), 3, 2, 1),
                                classes))


def feature_maps(model: nn.Sequential, x: Tensor, upto: int) -> Tensor:
    """The output of the first `upto` modules of `model` on x, without gradients."""
    with torch.no_grad():
        return model[:upto](x)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable numbers in a model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
