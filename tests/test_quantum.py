"""dlcourse.quantum: gates are unitary, the simulator equals dense textbook matrices (values and gradients), qubit
order, the parameter-shift rule equals autograd, shot noise falls as 1/sqrt(N), the classifier learns, and
PennyLane's QNode of the same circuit gives the same values, autograd gradients and parameter-shift gradients."""
import math

import torch
import torch.nn.functional as F

from dlcourse import data
from dlcourse import quantum as qc
from dlcourse.compare import assert_same
from dlcourse.training import accuracy, fit


def test_gates_are_unitary_and_match_matrix_exponentials():
    for gate, P in [(qc.rx, qc.X), (qc.ry, qc.Y), (qc.rz, qc.Z)]:
        for theta in [-2.0, 0.3, 1.7]:
            U = gate(theta)
            assert torch.allclose(U.conj().T @ U, torch.eye(2, dtype=U.dtype), atol=1e-12)
            assert torch.allclose(U, torch.matrix_exp(-0.5j * theta * P), atol=1e-12)
    assert qc.ry(torch.tensor([0.1, 0.2, 0.3])).shape == (3, 2, 2)


def test_bell_state_and_qubit_order():
    bell = qc.apply(qc.apply(qc.zero_state(2), qc.H, 0), qc.CNOT, 0, 1)
    assert torch.allclose(qc.probabilities(bell)[0], torch.tensor([0.5, 0, 0, 0.5], dtype=torch.float64))
    assert qc.probabilities(qc.apply(qc.zero_state(3), qc.X, 2))[0, 1] == 1  # qubit 2 is the right bit
    flipped = qc.apply(qc.apply(qc.zero_state(2), qc.X, 1), qc.CNOT, 1, 0)
    assert qc.probabilities(flipped)[0, 3] == 1


def test_apply_equals_kronecker_products_values_and_gradients():
    def ours(t):
        s = qc.apply(qc.zero_state(3), qc.ry(t[0]), 1)
        s = qc.apply(s, qc.rx(t[1]), 2)
        s = qc.apply(s, qc.CNOT, 1, 0)
        return torch.cat([qc.expval_z(s, w) for w in range(3)])

    def dense(t):
        psi = torch.zeros(8, dtype=qc.DTYPE)
        psi[0] = 1
        psi = qc.dense(torch.matrix_exp(-0.5j * t[0] * qc.Y), 1, 3) @ psi
        psi = qc.dense(torch.matrix_exp(-0.5j * t[1] * qc.X), 2, 3) @ psi
        swap = torch.tensor([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=qc.DTYPE)
        cnot10 = torch.kron(swap @ qc.CNOT @ swap, qc.I2)
        psi = cnot10 @ psi
        return torch.stack([(psi.conj() @ qc.dense(qc.Z, w, 3) @ psi).real for w in range(3)])

    assert_same(ours, dense, torch.tensor([0.7, -1.2], dtype=torch.float64), atol=1e-12)


def test_norm_preserved_and_batched_gates():
    state = torch.randn(4, 8, dtype=qc.DTYPE)
    state = (state / state.norm(dim=1, keepdim=True)).reshape(4, 2, 2, 2)
    out = qc.apply(qc.apply(state, qc.rx(torch.rand(4)), 0), qc.CZ, 0, 2)
    assert torch.allclose(qc.probabilities(out).sum(1), torch.ones(4, dtype=torch.float64), atol=1e-12)
    bloch = qc.bloch_vector(qc.apply(qc.zero_state(1), qc.ry(math.pi / 2), 0))
    assert torch.allclose(bloch, torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.float64), atol=1e-12)


def test_parameter_shift_equals_autograd():
    x = torch.randn(5, 2, dtype=torch.float64)
    w = torch.rand(2, 2, 2, dtype=torch.float64, requires_grad=True)
    f = lambda w: qc.circuit(x, w)
    (auto,) = torch.autograd.grad(f(w).sum(), w)
    assert torch.allclose(qc.parameter_shift(lambda w: f(w).sum(), w), auto, atol=1e-10)
    assert qc.parameter_shift(f, w).shape == (5, 2, 2, 2)


def test_shot_noise_falls_as_one_over_sqrt_shots():
    g = torch.Generator().manual_seed(0)
    w = torch.rand(1, 2, 2, dtype=torch.float64)
    x = torch.zeros(1, 2, dtype=torch.float64)
    p_one = lambda w: (1 - qc.circuit(x, w)[0]) / 2
    few = qc.shot_gradient(p_one, w, 100, g, repeats=400).std(0)
    many = qc.shot_gradient(p_one, w, 10000, g, repeats=400).std(0)
    assert few.shape == w.shape and (few / many).median() > 5


def test_classifier_learns_moons():
    X, y = data.moons(120, noise=0.1, seed=0)
    model = qc.QuantumClassifier(2, 3, seed=0)
    angles = ((X - X.mean(0)) / X.std(0)).double()
    history = fit(model, (angles, y), epochs=40, lr=0.1, batch_size=None, metric=accuracy, progress=False,
                  live_plot=False, device="cpu", loss=lambda o, t: F.binary_cross_entropy_with_logits(o, t.double()))
    assert history.train_metric[-1] >= 0.9


def test_pennylane_qnode_equals_our_simulator_values_and_gradients():
    torch.manual_seed(0)
    for qubits, layers, features, reupload in [(2, 3, 2, True), (3, 2, 5, False), (4, 2, 3, True), (1, 2, 3, True)]:
        x = torch.randn(6, features, dtype=torch.float64)
        w = torch.rand(layers, qubits, 2, dtype=torch.float64) * 2 * math.pi
        qnode = qc.pennylane_circuit(qubits, layers, reupload)
        assert_same(lambda x, w: qc.circuit(x, w, reupload), qnode, x, w, atol=1e-10)


def test_pennylane_parameter_shift_equals_ours():
    torch.manual_seed(1)
    x = torch.randn(5, 3, dtype=torch.float64)
    w = (torch.rand(2, 3, 2, dtype=torch.float64) * 2 * math.pi).requires_grad_(True)
    qnode = qc.pennylane_circuit(3, 2, diff_method="parameter-shift")
    (theirs,) = torch.autograd.grad(qnode(x, w).sum(), w)
    ours = qc.parameter_shift(lambda w: qc.circuit(x, w).sum(), w)
    assert (theirs - ours).abs().max() < 1e-10 and ours.abs().max() > 1e-2


def test_pennylane_reproduces_a_trained_classifier():
    model = qc.QuantumClassifier(2, 3, seed=3)
    angles = torch.randn(4, 2, dtype=torch.float64)
    qnode = qc.pennylane_circuit(2, 3)
    theirs = model.scale * qnode(angles, model.weights) + model.bias
    assert torch.allclose(model(angles), theirs, atol=1e-12, rtol=0)


def test_dense_accepts_a_transposed_or_sliced_gate():
    """Issue 17: torch.kron raised on a non-contiguous gate (H.T, a view of a bigger matrix)."""
    for gate in (qc.H.t(), qc.Y.t(), torch.eye(4, dtype=qc.DTYPE)[::2, ::2], qc.ry(0.3).t()):
        for wire in range(3):
            assert torch.equal(qc.dense(gate, wire, 3), qc.dense(gate.contiguous(), wire, 3))
