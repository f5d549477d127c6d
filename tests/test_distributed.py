"""dlcourse.distributed: two gloo workers on loopback train to the weights of one process on the combined batch
(by hand and with DDP); a failing or hanging worker gives a clear error, and no process is left behind."""
import os
import time
from pathlib import Path

import pytest
import torch

from dlcourse import distributed


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie counts as ended
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_free_port_is_on_loopback_and_free():
    import socket
    port = distributed.free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_shard_and_single_process_reference():
    config = distributed.DataParallelConfig(steps=3, batch_size=8)
    batches = distributed.make_batches(config)
    x, y = batches[0]
    parts = [distributed.shard(batches[0], r, 2) for r in range(2)]
    assert torch.equal(torch.cat([p[0] for p in parts]), x) and torch.equal(torch.cat([p[1] for p in parts]), y)
    with pytest.raises(ValueError):
        distributed.shard(batches[0], 0, 3)
    a, b = distributed.train_single(config), distributed.train_single(config)
    torch.testing.assert_close(a, b)
    start = distributed.make_model(0).state_dict()
    assert (a["0.weight"] - start["0.weight"]).abs().max() > 0


def test_averaged_shard_gradients_equal_the_combined_batch_gradient():
    """The identity behind data parallelism, checked without processes."""
    config = distributed.DataParallelConfig(batch_size=12)
    x, y = distributed.make_batches(config)[0]
    model = distributed.make_model()
    grads = []
    for r in range(3):
        model.zero_grad()
        xs, ys = distributed.shard((x, y), r, 3)
        torch.nn.functional.cross_entropy(model(xs), ys).backward()
        grads.append([p.grad.clone() for p in model.parameters()])
    model.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    for i, p in enumerate(model.parameters()):
        torch.testing.assert_close(sum(g[i] for g in grads) / 3, p.grad)


def test_scaling_model():
    assert distributed.ring_allreduce_seconds(1, 1e6, 1e9) == 0
    assert distributed.ring_allreduce_seconds(2, 1e6, 1e9, latency=0) == pytest.approx(1e-3)
    assert distributed.scaling_speedup(1, 10**6, 32, 1e-4, 1e9) == 1
    fast = distributed.scaling_speedup(16, 10**6, 512, 1e-4, 1e10)
    slow = distributed.scaling_speedup(16, 10**6, 8, 1e-4, 1e9)
    assert slow < fast <= 16


@pytest.mark.slow
def test_two_workers_train_like_one_process():
    config = distributed.DataParallelConfig(steps=10, batch_size=32, benchmark=True,
                                            benchmark_batches=(8, 256), message_sizes=(1000, 1_000_000))
    run = distributed.run_data_parallel(2, config, timeout=240)
    reference = distributed.train_single(config)
    assert len(run.weights) == 2
    for weights in run.weights:
        torch.testing.assert_close(weights["allreduce"], reference)
        torch.testing.assert_close(weights["ddp"], reference)
    bench = run.benchmark
    assert set(bench["message_seconds"]) == {1000, 1_000_000}
    assert set(bench["step_seconds"]) == {8, 256}
    assert not any(alive(pid) for pid in run.pids)


@pytest.mark.slow
def test_a_failing_worker_gives_a_clear_error_and_no_leftovers():
    before = time.monotonic()
    with pytest.raises(distributed.WorkerError, match="worker 1 of 2 failed.*on purpose") as info:
        distributed.run_data_parallel(2, distributed.DataParallelConfig(fail_rank=1, ddp=False), timeout=240)
    assert "stopped" in str(info.value)
    assert time.monotonic() - before < 120  # no hang: the waiting worker was stopped, not waited for
    assert len(info.value.pids) == 2 and not any(alive(pid) for pid in info.value.pids)


@pytest.mark.slow
def test_a_hanging_worker_hits_the_time_limit_and_is_stopped():
    before = time.monotonic()
    with pytest.raises(distributed.WorkerTimeout, match="did not finish within 20 s") as info:
        distributed.run_data_parallel(2, distributed.DataParallelConfig(hang_rank=0, ddp=False), timeout=20)
    assert time.monotonic() - before < 60
    assert len(info.value.pids) == 2 and not any(alive(pid) for pid in info.value.pids)


def test_uneven_batches_are_refused():
    with pytest.raises(ValueError, match="split evenly"):
        distributed.run_data_parallel(3, distributed.DataParallelConfig(batch_size=64))



def test_the_rendezvous_store_listens_on_loopback_only():
    port = distributed.free_port()
    store = distributed._loopback_store(0, 1, port)
    store.set("key", "value")
    listening = Path("/proc/net/tcp").read_text() + Path("/proc/net/tcp6").read_text()
    assert f"0100007F:{port:04X}" in listening  # 127.0.0.1
    assert f"00000000:{port:04X}" not in listening  # not 0.0.0.0
    assert f"00000000000000000000000000000000:{port:04X}" not in listening  # not ::
    del store
