"""dlcourse.hardware: the Python-loop product equals torch's, FLOP counts and intensities follow their formulas,
and the timers measure what the chapter asserts (with generous floors: CI machines vary)."""
import pytest
import torch

from dlcourse import hardware


def test_matmul_loops_equals_torch():
    g = torch.Generator().manual_seed(0)
    A = torch.randn(7, 5, generator=g, dtype=torch.float64)
    B = torch.randn(5, 3, generator=g, dtype=torch.float64)
    C = torch.tensor(hardware.matmul_loops(A.tolist(), B.tolist()), dtype=torch.float64)
    torch.testing.assert_close(C, A @ B)
    with pytest.raises(ValueError):
        hardware.matmul_loops([[1.0, 2.0]], [[1.0], [2.0], [3.0]])


def test_flop_counts_and_intensity():
    assert hardware.matmul_flops(10) == 2000
    assert hardware.matmul_flops(2, 3, 4) == 48
    assert hardware.gflops(2e9, 2.0) == 1.0
    assert hardware.intensity_vector_add() == 1 / 12
    assert hardware.intensity_vector_add(8) == 1 / 24
    assert hardware.intensity_matmul(1024) == pytest.approx(1024 / 6)
    assert hardware.roofline(0.1, 100.0, 50.0) == pytest.approx(5.0)
    assert hardware.roofline(1000.0, 100.0, 50.0) == 100.0


def test_best_time_measures_sleep():
    import time
    assert 0.009 <= hardware.best_time(lambda: time.sleep(0.01), repeat=2) < 0.5


def test_vectorized_is_much_faster_than_loops():
    A, B = torch.randn(48, 48), torch.randn(48, 48)
    loops = hardware.best_time(lambda: hardware.matmul_loops(A.tolist(), B.tolist()), repeat=2)
    with hardware.single_thread():
        vectorized = hardware.best_time(lambda: A @ B, repeat=5, number=20)
    assert loops / vectorized >= 100


def test_throughputs():
    rates = hardware.matmul_throughput([16, 256], budget=0.01)
    assert set(rates) == {16, 256} and all(r > 0 for r in rates.values())
    flops, bandwidth = hardware.vector_add_throughput(1_000_000)
    assert bandwidth == pytest.approx(12 * flops)
    assert rates[256] > flops  # a large product does more arithmetic per second than an add


def test_gpu_name_and_synchronize():
    name = hardware.gpu_name()
    assert name is None or isinstance(name, str)
    hardware.synchronize("cpu")


def test_single_thread_restores_the_thread_count():
    before = torch.get_num_threads()
    with hardware.single_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
