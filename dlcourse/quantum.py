"""An exact state-vector simulator of small quantum circuits in complex torch tensors, and a variational classifier.

Used by the chapter "Deep learning and quantum computing". A state of n qubits is a batch of 2^n complex
amplitudes of shape (B, 2, ..., 2); axis k + 1 is qubit k, so qubit 0 is the most significant bit of the basis
index (|q0 q1 ... q_{n-1}>, the convention of most textbooks and of PennyLane). Everything is differentiable:
autograd gives exact gradients, `parameter_shift` gives the ones real hardware can measure. `pennylane_circuit`
builds the classifier's circuit in PennyLane, the tool for real work, which the tests check against ours.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import Tensor, nn

from dlcourse import seeding
from dlcourse.extras import require

DTYPE = torch.complex128
I2 = torch.eye(2, dtype=DTYPE)
X = torch.tensor([[0, 1], [1, 0]], dtype=DTYPE)
Y = torch.tensor([[0, -1j], [1j, 0]], dtype=DTYPE)
Z = torch.tensor([[1, 0], [0, -1]], dtype=DTYPE)
H = torch.tensor([[1, 1], [1, -1]], dtype=DTYPE) / math.sqrt(2)
CNOT = torch.tensor([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], dtype=DTYPE)
"""Control = the first of the two wires it acts on, target = the second."""
CZ = torch.diag(torch.tensor([1, 1, 1, -1], dtype=DTYPE))


def _angle(theta: Tensor | float) -> Tensor:
    return torch.as_tensor(theta, dtype=torch.float64)


def rx(theta: Tensor | float) -> Tensor:
    """exp(-i theta X / 2); a batch of angles (B,) gives (B, 2, 2)."""
    t = _angle(theta) / 2
    c, s = torch.cos(t).to(DTYPE), torch.sin(t).to(DTYPE)
    return torch.stack([torch.stack([c, -1j * s], -1), torch.stack([-1j * s, c], -1)], -2)


def ry(theta: Tensor | float) -> Tensor:
    """exp(-i theta Y / 2): a real rotation, [[cos, -sin], [sin, cos]] of the half angle."""
    t = _angle(theta) / 2
    c, s = torch.cos(t).to(DTYPE), torch.sin(t).to(DTYPE)
    return torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)


def rz(theta: Tensor | float) -> Tensor:
    """exp(-i theta Z / 2) = diag(e^{-i theta/2}, e^{i theta/2})."""
    t = _angle(theta) / 2
    zero = torch.zeros_like(t).to(DTYPE)
    return torch.stack([torch.stack([torch.exp(-1j * t.to(DTYPE)), zero], -1),
                        torch.stack([zero, torch.exp(1j * t.to(DTYPE))], -1)], -2)


def zero_state(n: int, batch: int = 1) -> Tensor:
    """|00...0>, shape (batch, 2, ..., 2)."""
    state = torch.zeros(batch, 2 ** n, dtype=DTYPE)
    state[:, 0] = 1
    return state.reshape(batch, *[2] * n)


def n_qubits(state: Tensor) -> int:
    return state.ndim - 1


def apply(state: Tensor, gate: Tensor, *wires: int) -> Tensor:
    """Apply a k-qubit gate (2^k, 2^k), or a batch of them (B, 2^k, 2^k), to `wires` of the state."""
    k, n = len(wires), n_qubits(state)
    axes = [w + 1 for w in wires]
    moved = state.movedim(axes, list(range(n + 1 - k, n + 1)))  # the gate's qubits last, in order
    shape = moved.shape
    flat = moved.reshape(shape[0], -1, 2 ** k)
    if gate.ndim == 2:
        flat = flat @ gate.transpose(0, 1)
    else:  # one gate per batch element
        flat = flat @ gate.transpose(1, 2)
    return flat.reshape(shape).movedim(list(range(n + 1 - k, n + 1)), axes)


def probabilities(state: Tensor) -> Tensor:
    """Measurement probabilities of the 2^n basis states, shape (B, 2^n)."""
    return state.abs().pow(2).reshape(state.shape[0], -1)


def expval_z(state: Tensor, wire: int) -> Tensor:
    """<Z> on one qubit: P(qubit = 0) - P(qubit = 1), shape (B,)."""
    p = state.abs().pow(2).movedim(wire + 1, 1).reshape(state.shape[0], 2, -1).sum(-1)
    return p[:, 0] - p[:, 1]


def dense(gate: Tensor, wire: int, n: int) -> Tensor:
    """The full 2^n x 2^n matrix of a one-qubit gate on `wire` (a Kronecker product): the slow reference."""
    out = torch.ones(1, 1, dtype=DTYPE)
    gate = gate.to(DTYPE).contiguous()  # torch.kron fails on a transposed (non-contiguous) operand
    for w in range(n):
        out = torch.kron(out, gate if w == wire else I2)
    return out


def bloch_vector(state: Tensor) -> Tensor:
    """(<X>, <Y>, <Z>) of a one-qubit state (B, 2), shape (B, 3)."""
    psi = state.reshape(-1, 2)
    return torch.stack([torch.einsum("bi,ij,bj->b", psi.conj(), P, psi).real for P in (X, Y, Z)], -1)


def layer(state: Tensor, weights: Tensor) -> Tensor:
    """One variational layer: RY then RZ on every qubit (weights (n, 2)), then a ring of CNOTs."""
    n = n_qubits(state)
    for q in range(n):
        state = apply(state, ry(weights[q, 0]), q)
        state = apply(state, rz(weights[q, 1]), q)
    for q in range(n if n > 2 else n - 1):
        state = apply(state, CNOT, q, (q + 1) % n)
    return state


def encode(state: Tensor, x: Tensor) -> Tensor:
    """Angle encoding: RY(x_j) on qubit j mod n, for the features of each example (x: (B, d))."""
    for j in range(x.shape[1]):
        state = apply(state, ry(x[:, j]), j % n_qubits(state))
    return state


def circuit(x: Tensor, weights: Tensor, reupload: bool = True) -> Tensor:
    """<Z_0> after encoding x (B, d) and len(weights) layers (L, n, 2); re-uploading encodes before each layer."""
    n = weights.shape[1]
    state = zero_state(n, x.shape[0])
    for i, w in enumerate(weights):
        if reupload or i == 0:
            state = encode(state, x)
        state = layer(state, w)
    return expval_z(state, 0)


class QuantumClassifier(nn.Module):
    """A variational circuit as a PyTorch module: features -> angles -> circuit -> <Z_0> -> a logit."""

    def __init__(self, qubits: int = 2, layers: int = 3, reupload: bool = True, seed: int = 0):
        super().__init__()
        g = seeding.generator(seed)
        self.weights = nn.Parameter(torch.rand(layers, qubits, 2, generator=g, dtype=torch.float64) * 2 * math.pi)
        self.scale = nn.Parameter(torch.tensor(3.0, dtype=torch.float64))
        self.bias = nn.Parameter(torch.tensor(0.0, dtype=torch.float64))
        self.reupload = reupload

    def forward(self, angles: Tensor) -> Tensor:
        return self.scale * circuit(angles.to(torch.float64), self.weights, self.reupload) + self.bias


def pennylane_circuit(qubits: int, layers: int, reupload: bool = True, diff_method: str = "backprop"):
    """`circuit` as a PennyLane QNode on `default.qubit` with the torch interface: qnode(x, weights) -> <Z_0>.

    The same gates in the same order (PennyLane's RY/RZ are exp(-i θ P / 2), CNOT's control is its first wire and
    wire 0 is the left bit, as here); a batch of inputs x (B, d) uses PennyLane's parameter broadcasting. The
    weights (layers, qubits, 2) and x are float64 tensors; `diff_method="parameter-shift"` differentiates as
    hardware would.
    """
    # imported here: it takes about a second, the simulator above does not need it, and it is an extra (quantum)
    qml = require("pennylane", "The PennyLane circuit")

    device = qml.device("default.qubit", wires=qubits)

    @qml.qnode(device, interface="torch", diff_method=diff_method)
    def qnode(x: Tensor, weights: Tensor) -> Tensor:
        for i in range(layers):
            if reupload or i == 0:
                for j in range(x.shape[1]):
                    qml.RY(x[:, j], wires=j % qubits)
            for q in range(qubits):
                qml.RY(weights[i, q, 0], wires=q)
                qml.RZ(weights[i, q, 1], wires=q)
            for q in range(qubits if qubits > 2 else qubits - 1):
                qml.CNOT(wires=[q, (q + 1) % qubits])
        return qml.expval(qml.PauliZ(0))

    return qnode


def parameter_shift(f: Callable[[Tensor], Tensor], params: Tensor, shift: float = math.pi / 2) -> Tensor:
    """d f / d params by the parameter-shift rule (f(θ + π/2) - f(θ - π/2)) / 2, one pair of runs per parameter.

    Exact for gates exp(-i θ P / 2) with a Pauli P; f returns a scalar or a batch (the gradient gets its shape
    in front of the parameters' shape).
    """
    flat = params.detach().reshape(-1)
    grads = []
    for i in range(flat.numel()):
        e = torch.zeros_like(flat)
        e[i] = shift
        plus, minus = f((flat + e).reshape(params.shape)), f((flat - e).reshape(params.shape))
        grads.append((plus - minus) / (2 * math.sin(shift)))
    out = torch.stack(grads, -1)
    return out.reshape(*out.shape[:-1], *params.shape).detach()


def measure_z(p_one: Tensor, shots: int, generator: torch.Generator) -> Tensor:
    """Estimate <Z> = 1 - 2 P(1) from `shots` measurements: what hardware returns instead of the exact value."""
    ones = torch.binomial(torch.full_like(p_one, float(shots)), p_one.clamp(0, 1), generator=generator)
    return 1 - 2 * ones / shots


def shot_gradient(f_p_one: Callable[[Tensor], Tensor], params: Tensor, shots: int, generator: torch.Generator,
                  repeats: int = 1) -> Tensor:
    """Parameter-shift gradients with every expectation estimated from `shots` measurements, as hardware would.

    f_p_one(params) is the exact probability of reading 1 (what the device samples from); returns `repeats`
    independent estimates, shape (repeats, *params.shape).
    """
    flat = params.detach().reshape(-1)
    estimates = []
    for i in range(flat.numel()):
        e = torch.zeros_like(flat)
        e[i] = math.pi / 2
        plus = measure_z(f_p_one((flat + e).reshape(params.shape)).detach().expand(repeats), shots, generator)
        minus = measure_z(f_p_one((flat - e).reshape(params.shape)).detach().expand(repeats), shots, generator)
        estimates.append((plus - minus) / 2)
    return torch.stack(estimates, -1).reshape(repeats, *params.shape)
