"""Generated images of discs and squares for segmentation, the IoU score, and a small fully convolutional segmenter.

Used by the chapter "Convolutional networks at work": a network learns to mark the pixels of the discs and leave
the squares alone, which no per-pixel rule on brightness can do.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from dlcourse import seeding


def make_shapes(n: int = 1000, size: int = 24, max_shapes: int = 3, noise: float = 0.15,
                seed: int = 0) -> tuple[Tensor, Tensor]:
    """n grey canvases (n, 1, size, size) with 1..max_shapes discs and squares, and the disc masks (n, size, size).

    Shapes have random centres, sizes (radius or half-side 2.5 to 5.5 pixels) and brightness (0.6 to 1), so
    brightness says nothing about the kind; a later shape covers an earlier one, in the image and in the mask.
    """
    g = seeding.generator(seed)
    coords = torch.arange(size, dtype=torch.float32)
    yy, xx = coords[:, None], coords[None, :]
    images = torch.zeros(n, size, size)
    masks = torch.zeros(n, size, size, dtype=torch.bool)
    count = torch.randint(1, max_shapes + 1, (n,), generator=g)
    for slot in range(max_shapes):
        present = (count > slot)[:, None, None]
        cy, cx = (torch.rand(2, n, 1, 1, generator=g) * (size - 8) + 4).unbind(0)
        radius = torch.rand(n, 1, 1, generator=g) * 3 + 2.5
        is_disc = torch.rand(n, 1, 1, generator=g) < 0.5
        brightness = torch.rand(n, 1, 1, generator=g) * 0.4 + 0.6
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius ** 2
        square = ((yy - cy).abs() <= radius * 0.85) & ((xx - cx).abs() <= radius * 0.85)  # about a disc's area
        inside = torch.where(is_disc, disc, square) & present
        images = torch.where(inside, brightness, images)
        masks = torch.where(inside, is_disc.expand_as(inside), masks)
    images = images + noise * torch.randn(n, size, size, generator=g)
    return images[:, None], masks.long()


def iou(predicted: Tensor, target: Tensor) -> float:
    """Intersection over union of two boolean masks (any shape), pooled over all pixels; 1.0 when both are empty."""
    predicted, target = predicted.bool(), target.bool()
    union = (predicted | target).sum().item()
    return (predicted & target).sum().item() / union if union else 1.0


def iou_metric(logits: Tensor, masks: Tensor) -> Tensor:
    """IoU of the masks that logits (N, 1, H, W) predict (logit > 0) with the true masks (N, H, W), as a tensor."""
    predicted, target = logits[:, 0] > 0, masks.bool()
    union = (predicted | target).sum()
    return torch.where(union > 0, (predicted & target).sum() / union.clamp(min=1), torch.ones((), device=logits.device))


def mask_loss(logits: Tensor, masks: Tensor) -> Tensor:
    """Per-pixel binary cross-entropy between logits (N, 1, H, W) and masks (N, H, W)."""
    return nn.functional.binary_cross_entropy_with_logits(logits[:, 0], masks.float())


class Segmenter(nn.Module):
    """A tiny U-Net: full-resolution features, a half-resolution branch with a wide view (dilated 3x3), upsampled
    and joined to the full-resolution ones, then one logit per pixel."""

    def __init__(self, channels: int = 8):
        super().__init__()
        c = channels
        block = lambda n_in, n_out, dilation=1: [nn.Conv2d(n_in, n_out, 3, padding=dilation, dilation=dilation),
                                                 nn.BatchNorm2d(n_out), nn.ReLU()]
        self.full = nn.Sequential(*block(1, c))
        self.coarse = nn.Sequential(nn.MaxPool2d(2), *block(c, 2 * c), *block(2 * c, 2 * c, dilation=2),
                                  nn.Upsample(scale_factor=2))
        self.head = nn.Sequential(*block(3 * c, c), nn.Conv2d(c, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        features = self.full(x)
        return self.head(torch.cat([features, self.coarse(features)], 1))


def decay_learning_rate(optimizer: torch.optim.Optimizer, factor: float = 0.75):
    """A `fit` callback that multiplies the learning rate by `factor` after every epoch."""
    def callback(epoch: int, history) -> None:
        for group in optimizer.param_groups:
            group["lr"] *= factor
    return callback


def brightness_baseline(images: Tensor, threshold: float = 0.3) -> Tensor:
    """The best a per-pixel rule can do: mark every bright pixel, discs and squares alike; masks (N, H, W)."""
    return images[:, 0] > threshold
