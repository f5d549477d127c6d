"""dlcourse.conv against torch.nn.functional: convolution and pooling, values and gradients."""
import pytest
import torch
import torch.nn.functional as F

from dlcourse import conv
from dlcourse.compare import assert_same

CASES = [  # (N, C, H, W), out channels, kernel, stride, padding
    ((2, 3, 7, 8), 4, (3, 3), 1, 1),
    ((2, 1, 9, 9), 2, (3, 3), 2, 0),
    ((3, 2, 10, 7), 5, (3, 2), (2, 1), (1, 0)),
    ((1, 4, 6, 6), 3, (1, 1), 1, 0),
    ((2, 2, 8, 8), 3, (5, 5), 3, 2),
]


@pytest.mark.parametrize("shape, out, k, stride, padding", CASES)
def test_conv2d_equals_torch(shape, out, k, stride, padding):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(*shape, generator=g, dtype=torch.float64)
    w = torch.randn(out, shape[1], *k, generator=g, dtype=torch.float64)
    b = torch.randn(out, generator=g, dtype=torch.float64)
    assert_same(lambda x, w, b: conv.conv2d(x, w, b, stride, padding),
                lambda x, w, b: F.conv2d(x, w, b, stride, padding), x, w, b, atol=1e-10)
    assert_same(lambda x, w: conv.conv2d(x, w, None, stride, padding),
                lambda x, w: F.conv2d(x, w, None, stride, padding), x, w, atol=1e-10)


@pytest.mark.parametrize("kernel, size", [(2, (8, 8)), ((2, 3), (8, 9)), (4, (8, 12))])
def test_pooling_over_exact_tiles_equals_torch(kernel, size):
    """Windows that tile the image exactly: the chapter's 2x2 pooling of 8x8 maps."""
    x = torch.randn(2, 3, *size, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    assert_same(lambda x: conv.max_pool2d(x, kernel), lambda x: F.max_pool2d(x, kernel), x, atol=1e-12)
    assert_same(lambda x: conv.avg_pool2d(x, kernel), lambda x: F.avg_pool2d(x, kernel), x, atol=1e-12)


@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 1, 1), (3, 2, 1), ((2, 3), (1, 2), 0)])
def test_pooling_equals_torch(kernel, stride, padding):
    x = torch.randn(2, 3, 7, 9, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert_same(lambda x: conv.max_pool2d(x, kernel, stride, padding),
                lambda x: F.max_pool2d(x, kernel, stride, padding), x, atol=1e-12)
    assert_same(lambda x: conv.avg_pool2d(x, kernel, stride, padding),
                lambda x: F.avg_pool2d(x, kernel, stride, padding), x, atol=1e-12)


def test_conv1d_and_loops_equal_torch():
    g = torch.Generator().manual_seed(2)
    x, w, b = (torch.randn(*s, generator=g, dtype=torch.float64) for s in [(2, 3, 20), (4, 3, 5), (4,)])
    assert_same(lambda x, w, b: conv.conv1d(x, w, b, 2, 1), lambda x, w, b: F.conv1d(x, w, b, 2, 1), x, w, b,
                atol=1e-10)
    x2, w2 = torch.randn(2, 3, 6, 6, dtype=torch.float64), torch.randn(2, 3, 3, 3, dtype=torch.float64)
    assert_same(conv.conv2d_loops, F.conv2d, x2, w2, atol=1e-10)


def test_unfold_shape_and_output_size():
    cols = conv.unfold(torch.randn(2, 3, 8, 8), 3, 2, 1)
    assert cols.shape == (2, 4, 4, 9, 3)
    assert conv.output_size(8, 3, 2, 1) == 4 and conv.output_size(28, 5) == 24
    with pytest.raises(ValueError):
        conv.unfold(torch.randn(1, 1, 2, 2), 3)


def test_kernels_and_shifts():
    image = torch.rand(8, 8)
    assert torch.allclose(conv.apply_kernel(image, conv.kernel("identity")), image)
    flat = torch.ones(8, 8)
    assert conv.apply_kernel(flat, conv.kernel("vertical edges (Sobel x)"))[2:-2, 2:-2].abs().max() == 0
    shifted = conv.shift_images(image, 1, -1)
    assert torch.equal(shifted[1:, :-1], image[:-1, 1:]) and shifted[0].abs().sum() == 0
    with pytest.raises(ValueError):
        conv.kernel("nope")


def test_models_have_the_expected_shapes_and_sizes():
    cnn = conv.digits_cnn()
    assert cnn(torch.randn(5, 1, 8, 8)).shape == (5, 10)
    assert conv.count_parameters(cnn) == 16 * 9 + 16 + 32 * 16 * 9 + 32 + 32 * 10 + 10
    assert conv.digits_cnn(global_pool=False)(torch.randn(5, 1, 8, 8)).shape == (5, 10)
    assert conv.cnn1d()(torch.randn(5, 40)).shape == (5, 10)
    assert conv.feature_maps(cnn, torch.randn(2, 1, 8, 8), 2).shape == (2, 16, 8, 8)
    assert conv.count_parameters(conv.digits_cnn(global_pool=False)) == 160 + 4640 + 32 * 4 * 10 + 10


@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 1, 1), (3, 2, 1), ((2, 3), (1, 2), (1, 0))])
def test_max_pool_gives_a_tied_maximum_gradient_to_one_element_as_torch(kernel, stride, padding):
    """Issue 17: all-zero windows (as after a ReLU) split the gradient among the ties; torch gives it to the first."""
    x = torch.relu(torch.randn(2, 3, 7, 9, generator=torch.Generator().manual_seed(3), dtype=torch.float64))
    x[0, 0] = 0.0  # whole channel of ties
    x[1, 1, :, ::2] = float("-inf")  # ties of -inf, where padding must still never win
    assert_same(lambda x: conv.max_pool2d(x, kernel, stride, padding),
                lambda x: F.max_pool2d(x, kernel, stride, padding), x, atol=0)


@pytest.mark.parametrize("dy, dx", [(3, 0), (0, -3), (5, 1), (-7, 2), (4, -9), (2, -1)])
def test_shift_images_by_more_than_the_image_leaves_only_border(dy, dx):
    """Issue 17: a shift as large as the image (or larger) crashed on mismatched slices."""
    images = torch.arange(2 * 3 * 3, dtype=torch.float32).reshape(2, 3, 3) + 1
    shifted = conv.shift_images(images, dy, dx)
    expected = torch.zeros_like(images)
    for i in range(3):
        for j in range(3):
            if 0 <= i - dy < 3 and 0 <= j - dx < 3:
                expected[:, i, j] = images[:, i - dy, j - dx]
    assert torch.equal(shifted, expected)
