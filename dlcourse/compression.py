"""Smaller, faster models: magnitude pruning, int8 quantization and knowledge distillation.

Used by the chapter "Efficient models". Pruning zeroes the smallest weights (Han et al. 2015); quantization stores
weights as 8-bit integers with one scale per output channel and multiplies int8 by int8 (Jacob et al. 2018);
distillation trains a small student on a large teacher's softened outputs (Hinton et al. 2015).
`quantize_dynamic_pytorch` runs PyTorch's own (deprecated) dynamic quantization beside our `Int8Linear`.
"""
from __future__ import annotations

import copy
import io
import time
import warnings
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# ---------------------------------------------------------------- pruning


def prunable(model: nn.Module) -> dict[str, nn.Module]:
    """The layers whose weights we prune: every Linear and Conv layer, by name."""
    return {name: m for name, m in model.named_modules() if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))}


def magnitude_mask(weight: Tensor, sparsity: float) -> Tensor:
    """A 0/1 mask that removes the `round(sparsity * numel)` weights of smallest magnitude."""
    if not 0 <= sparsity <= 1:
        raise ValueError(f"sparsity must lie in [0, 1], got {sparsity}")
    k = round(sparsity * weight.numel())
    mask = torch.ones_like(weight)
    if k > 0:
        # the k smallest magnitudes, found the way torch.nn.utils.prune finds them (so ties break alike)
        smallest = torch.topk(weight.detach().abs().reshape(-1), k, largest=False).indices
        mask.view(-1)[smallest] = 0
    return mask


def magnitude_masks(model: nn.Module, sparsity: float, scope: str = "layer") -> dict[str, Tensor]:
    """Masks for every prunable layer: `sparsity` of each layer ("layer") or of all weights ranked together ("global")."""
    layers = prunable(model)
    if scope == "layer":
        return {name: magnitude_mask(m.weight, sparsity) for name, m in layers.items()}
    if scope != "global":
        raise ValueError(f"scope must be 'layer' or 'global', got {scope!r}")
    flat = torch.cat([m.weight.detach().reshape(-1) for m in layers.values()])
    mask = magnitude_mask(flat, sparsity)
    masks, start = {}, 0
    for name, m in layers.items():
        n = m.weight.numel()
        masks[name] = mask[start:start + n].reshape(m.weight.shape)
        start += n
    return masks


def apply_masks(model: nn.Module, masks: dict[str, Tensor], keep_pruned: bool = True) -> list:
    """Zero the masked weights in place; with `keep_pruned`, also zero their gradients so training keeps them at 0.

    Returns the gradient-hook handles (call `.remove()` on each to let the weights grow back).
    """
    layers = prunable(model)
    handles = []
    with torch.no_grad():
        for name, mask in masks.items():
            weight = layers[name].weight
            mask = mask.to(weight.device)
            weight.mul_(mask)
            if keep_pruned:
                handles.append(weight.register_hook(lambda grad, mask=mask: grad * mask))
    return handles


def sparsity(model: nn.Module) -> float:
    """Fraction of the prunable layers' weights that are exactly zero."""
    weights = [m.weight.detach() for m in prunable(model).values()]
    zeros = sum(int((w == 0).sum()) for w in weights)
    return zeros / sum(w.numel() for w in weights)


# ---------------------------------------------------------------- size and speed


def count_parameters(model: nn.Module) -> int:
    """Number of parameters (learned numbers) of `model`."""
    return sum(p.numel() for p in model.parameters())


def nonzero_numbers(model: nn.Module) -> int:
    """How many of the numbers in the model's `state_dict` are not zero (PyTorch's quantized layers included)."""
    def count(value) -> int:
        if isinstance(value, (tuple, list)):
            return sum(count(v) for v in value)
        if not isinstance(value, Tensor):
            return 0
        return int((value.int_repr() if value.is_quantized else value).count_nonzero())

    return sum(count(value) for value in model.state_dict().values())


def size_bytes(model: nn.Module) -> int:
    """Bytes that the model's parameters and buffers occupy in memory."""
    tensors = list(model.parameters()) + list(model.buffers())
    return sum(t.numel() * t.element_size() for t in tensors)


def serialized_size(model: nn.Module) -> int:
    """Bytes of the model's `state_dict` saved with `torch.save`: its size on disk."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes


def latency_ms(model: nn.Module, x: Tensor, repeats: int = 30) -> float:
    """Median wall-clock time of one forward pass on `x`, in milliseconds (after a warm-up)."""
    model.eval()
    times = []
    with torch.inference_mode():
        for i in range(repeats + 3):
            start = time.perf_counter()
            model(x)
            if x.device.type == "cuda":
                torch.cuda.synchronize()
            if i >= 3:
                times.append(time.perf_counter() - start)
    return 1e3 * sorted(times)[len(times) // 2]


# ---------------------------------------------------------------- int8 quantization


def quantize_symmetric(x: Tensor, dim: int | None = None) -> tuple[Tensor, Tensor]:
    """Symmetric int8 quantization: `x ≈ q * scale`, q in [-127, 127]; one scale per slice along `dim` (None: one)."""
    if dim is None:
        top = x.detach().abs().amax()
    else:
        top = x.detach().abs().amax(dim=[d for d in range(x.ndim) if d != dim % x.ndim], keepdim=True)
    scale = top.clamp_min(1e-12) / 127
    q = torch.round(x / scale).clamp(-127, 127).to(torch.int8)
    return q, scale


def dequantize(q: Tensor, scale: Tensor) -> Tensor:
    """The float values that int8 `q` with `scale` stands for."""
    return q.float() * scale


def _int_mm_supported(a: Tensor, b_t: Tensor) -> bool:
    """Whether `torch._int_mm` gives exact results for these int8 operands.

    On CPU: every shape but an inner size of 1, where the kernel returns garbage that changes from run to run
    (torch 2.13, with the transposed weight we pass). On CUDA: > 16 rows and sizes divisible by 8.
    """
    if a.device.type == "cpu":
        return a.shape[1] > 1
    return a.device.type == "cuda" and a.shape[0] > 16 and a.shape[1] % 8 == 0 and b_t.shape[0] % 8 == 0


def _int8_matmul_float(a: Tensor, b_t: Tensor) -> Tensor:
    """`a @ b_t.T` for int8 matrices through float32: exact while every |sum| < 2**24 (k <= 1040 terms of 127**2)."""
    return (a.float() @ b_t.float().t()).round().to(torch.int32)


def _int8_matmul(a: Tensor, b_t: Tensor) -> Tensor:
    """`a @ b_t.T` for int8 matrices, accumulated exactly in int32."""
    if _int_mm_supported(a, b_t):
        return torch._int_mm(a, b_t.t())  # the int8 kernel that torchao's int8 recipes use too
    return _int8_matmul_float(a, b_t)  # other devices (MPS) and shapes the CUDA kernel refuses


class Int8Linear(nn.Module):
    """A Linear layer with int8 weights (one scale per output), inputs quantized per row on the fly."""

    def __init__(self, linear: nn.Linear):
        super().__init__()
        q, scale = quantize_symmetric(linear.weight.detach(), dim=0)
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.register_buffer("weight_int8", q)
        self.register_buffer("weight_scale", scale.reshape(-1).float())
        self.register_buffer("bias", None if linear.bias is None else linear.bias.detach().clone())

    def forward(self, x: Tensor) -> Tensor:
        rows = x.reshape(-1, self.in_features)
        xq, x_scale = quantize_symmetric(rows, dim=0)
        accumulated = _int8_matmul(xq, self.weight_int8)
        y = accumulated.float() * x_scale * self.weight_scale
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, int8 weights"


def quantize_linears(model: nn.Module) -> nn.Module:
    """A copy of `model` whose `nn.Linear` layers are `Int8Linear` (post-training dynamic quantization)."""
    quantized = copy.deepcopy(model)
    for name, module in list(quantized.named_modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, nn.Linear):
                setattr(module, child_name, Int8Linear(child))
    return quantized.eval()


def quantize_dynamic_pytorch(model: nn.Module) -> nn.Module | None:
    """PyTorch's own post-training dynamic int8 quantization of the `nn.Linear` layers of a copy of `model`.

    Uses `torch.ao.quantization.quantize_dynamic`. Returns None, saying why, where this PyTorch no longer has it.
    """
    try:
        from torch.ao.quantization import quantize_dynamic
    except ImportError as error:
        print(f"PyTorch's quantize_dynamic is not available in torch {torch.__version__} ({error}); "
              "it moved to the separate torchao package. Only our Int8Linear is shown.")
        return None
    with warnings.catch_warnings():
        # torch.ao.quantization is deprecated in favour of torchao, and its quantized tensor types with it; both
        # warn on every call. We silence exactly these two warnings, for this call only (the course's tests turn
        # warnings into errors).
        warnings.filterwarnings("ignore", "torch.ao.quantization is deprecated", DeprecationWarning)
        warnings.filterwarnings("ignore", "torch.quantize_per_tensor, torch.quantize_per_channel", UserWarning)
        # its quantized kernels run on the CPU only
        return quantize_dynamic(copy.deepcopy(model).cpu(), {nn.Linear}, dtype=torch.qint8, inplace=True).eval()


# ---------------------------------------------------------------- distillation


def distillation_loss(student_logits: Tensor, teacher_logits: Tensor, labels: Tensor | None = None,
                      temperature: float = 4.0, alpha: float = 0.9) -> Tensor:
    """Hinton's loss: alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * cross-entropy with the labels.

    The T^2 keeps the soft term's gradients the same size whatever the temperature.
    """
    T = temperature
    soft = F.kl_div(F.log_softmax(student_logits / T, dim=-1), F.log_softmax(teacher_logits / T, dim=-1),
                    reduction="batchmean", log_target=True) * T * T
    if labels is None or alpha == 1:
        return soft
    return alpha * soft + (1 - alpha) * F.cross_entropy(student_logits, labels)


def soft_targets(teacher: nn.Module, X: Tensor, labels: Tensor, batch_size: int = 1024) -> Tensor:
    """Targets for `fit`: the teacher's logits for X with the labels appended as a last column."""
    teacher.eval()
    device = next(teacher.parameters()).device
    with torch.no_grad():
        logits = torch.cat([teacher(X[i:i + batch_size].to(device)).cpu() for i in range(0, len(X), batch_size)])
    return torch.cat([logits, labels.reshape(-1, 1).float().cpu()], dim=1)


def distillation_objective(temperature: float = 4.0, alpha: float = 0.9) -> Callable[[Tensor, Tensor], Tensor]:
    """A `fit` loss for targets made by `soft_targets`: `distillation_loss` at this temperature and weight."""
    def objective(outputs: Tensor, targets: Tensor) -> Tensor:
        return distillation_loss(outputs, targets[:, :-1], targets[:, -1].long(), temperature, alpha)

    return objective


def accuracy_of(model: nn.Module, X: Tensor, y: Tensor) -> float:
    """Test accuracy of `model` on (X, y), on the model's device."""
    model.eval()
    tensors = list(model.parameters()) + list(model.buffers())
    device = tensors[0].device if tensors else torch.device("cpu")  # PyTorch's quantized layers hide theirs
    with torch.no_grad():
        return (model(X.to(device)).argmax(-1).cpu() == y.cpu()).float().mean().item()
