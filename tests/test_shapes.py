"""dlcourse.shapes: the generated canvases, the IoU score and the segmenter's shapes."""
import pytest
import torch

from dlcourse import shapes


def test_canvases_are_reproducible_and_masks_mark_discs():
    images, masks = shapes.make_shapes(20, size=24, noise=0.0, seed=4)
    again, _ = shapes.make_shapes(20, size=24, noise=0.0, seed=4)
    assert images.shape == (20, 1, 24, 24) and masks.shape == (20, 24, 24) and torch.equal(images, again)
    assert masks.dtype == torch.int64 and set(masks.unique().tolist()) <= {0, 1}
    assert (images[:, 0][masks.bool()] >= 0.6).all()  # every disc pixel is painted
    assert 0.02 < masks.float().mean() < 0.2


def test_iou():
    a = torch.tensor([[1, 1, 0, 0]])
    b = torch.tensor([[0, 1, 1, 0]])
    assert shapes.iou(a, b) == pytest.approx(1 / 3)
    assert shapes.iou(torch.zeros(3), torch.zeros(3)) == 1.0
    logits = torch.tensor([[[[1.0, 1.0, -1.0, -1.0]]]])
    assert shapes.iou_metric(logits, b[None]).item() == pytest.approx(1 / 3)


def test_segmenter_keeps_the_image_size_and_the_decay_callback():
    net = shapes.Segmenter(4)
    assert net(torch.randn(3, 1, 24, 24)).shape == (3, 1, 24, 24)
    opt = torch.optim.SGD(net.parameters(), lr=1.0)
    shapes.decay_learning_rate(opt, 0.5)(0, None)
    assert opt.param_groups[0]["lr"] == 0.5
    assert shapes.mask_loss(torch.zeros(2, 1, 4, 4), torch.zeros(2, 4, 4, dtype=torch.long)).item() > 0
    assert shapes.brightness_baseline(torch.ones(2, 1, 4, 4)).all()
