import pytest
import torch

from dlcourse.compare import Comparison, assert_same, compare


def test_equal_functions_compare_equal_in_values_and_gradients():
    x = torch.randn(4, 3, dtype=torch.float64)
    w = torch.randn(3, dtype=torch.float64)
    result = compare(lambda x, w: torch.exp(x @ w), lambda x, w: (x @ w).exp(), x, w)
    assert result.equal and len(result.gradient_errors) == 2
    assert "equal" in repr(result)


def test_a_wrong_gradient_is_caught_even_when_values_agree():
    class Wrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x ** 2

        @staticmethod
        def backward(ctx, grad):
            return grad  # should be 2 x grad

    x = torch.randn(5, dtype=torch.float64)
    result = compare(Wrong.apply, lambda x: x ** 2, x)
    assert result.value_error == 0 and result.gradient_errors[0] > 1e-3
    assert not result.equal
    with pytest.raises(AssertionError, match="differs"):
        assert_same(Wrong.apply, lambda x: x ** 2, x)


def test_tuples_of_outputs_and_non_tensor_arguments():
    x = torch.randn(3, dtype=torch.float64)
    result = compare(lambda x, k: (x * k, x.sin()), lambda x, k: (k * x, torch.sin(x)), x, 2.0)
    assert result.equal


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shapes differ"):
        compare(lambda x: x, lambda x: x[None], torch.ones(2))


def test_inputs_are_not_modified():
    x = torch.ones(3, dtype=torch.int64)  # integers record no gradient, so an in-place edit is allowed
    assert compare(lambda x: x.mul_(2), lambda x: x * 2, x).equal
    assert torch.equal(x, torch.ones(3, dtype=torch.int64))


def test_max_error():
    assert Comparison(1e-9, [1e-3]).max_error == 1e-3


def test_a_nan_where_the_reference_is_finite_is_a_difference():
    """A NaN gradient against torch's 0 (x ** 0 at x = 0, issue 17) compared as equal: NaN slips past max()."""
    x = torch.zeros(3, dtype=torch.float64)
    result = compare(lambda x: x * float("nan"), lambda x: x * 0.0, x)
    assert not result.equal and result.max_error == float("inf")
    class NanGradient(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, grad):
            return grad * float("nan")

    assert not compare(NanGradient.apply, lambda x: x.clone(), x).equal


def test_matching_nans_and_infinities_compare_equal():
    x = torch.tensor([0.0, 1.0, -1.0], dtype=torch.float64)
    assert compare(lambda x: x / 0.0, lambda x: x / 0.0, x).value_error == 0.0
