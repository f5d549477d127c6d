"""Data-parallel training on a real distributed engine: torch.distributed with the gloo backend, on loopback.

`run_data_parallel` starts worker processes (spawned, so it works from a notebook), each trains a copy of the same
model on its shard of every batch and all-reduces the gradients; `train_single` is the one-process reference on
the combined batch. Every process started is ended, even when a worker fails or hangs. Used by the chapter
"Hardware and parallel computing".
"""
from __future__ import annotations

import logging
import os
import socket
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import Tensor, nn


@dataclass
class DataParallelConfig:
    """What the workers do: `steps` SGD steps on batches of `batch_size` (split evenly over the workers)."""

    steps: int = 20
    batch_size: int = 64
    lr: float = 0.1
    seed: int = 0
    ddp: bool = True  # also train with DistributedDataParallel, which automates the all-reduce
    benchmark: bool = False  # also time compute against communication
    benchmark_batches: tuple[int, ...] = (8, 64, 512)
    message_sizes: tuple[int, ...] = (1_000, 100_000, 1_000_000)
    fail_rank: int | None = None  # a worker that raises, to test clean failure
    hang_rank: int | None = None  # a worker that never finishes, to test the time limit


class WorkerError(RuntimeError):
    """A worker process failed; the message names the worker and its error. `pids`: the processes started."""

    pids: list[int] = []


class WorkerTimeout(TimeoutError):
    """The workers ran past the time limit and were stopped. `pids`: the processes started."""

    pids: list[int] = []


def free_port() -> int:
    """A TCP port on the loopback interface that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_model(seed: int = 0) -> nn.Module:
    """The small float64 network every worker and the reference start from (same seed, same weights)."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(10, 32), nn.Tanh(), nn.Linear(32, 3)).double()


def make_batches(config: DataParallelConfig) -> list[tuple[Tensor, Tensor]]:
    """The sequence of combined batches (inputs, class labels), the same in every process."""
    g = torch.Generator().manual_seed(config.seed + 1)
    teacher = torch.randn(10, 3, generator=g, dtype=torch.float64)
    batches = []
    for _ in range(config.steps):
        x = torch.randn(config.batch_size, 10, generator=g, dtype=torch.float64)
        batches.append((x, (x @ teacher).argmax(1)))
    return batches


def shard(batch: tuple[Tensor, Tensor], rank: int, world_size: int) -> tuple[Tensor, Tensor]:
    """This worker's equal share of a combined batch."""
    x, y = batch
    if len(x) % world_size:
        raise ValueError(f"a batch of {len(x)} does not split evenly over {world_size} workers")
    n = len(x) // world_size
    return x[rank * n:(rank + 1) * n], y[rank * n:(rank + 1) * n]


def train_single(config: DataParallelConfig) -> dict[str, Tensor]:
    """The reference: one process, plain SGD on each combined batch; returns the final weights."""
    model = make_model(config.seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr)
    for x, y in make_batches(config):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def average_gradients(model: nn.Module) -> None:
    """All-reduce every gradient (a sum over workers), then divide by the number of workers: the mean."""
    world_size = dist.get_world_size()
    for p in model.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
            p.grad /= world_size


def _train_allreduce(rank: int, world_size: int, config: DataParallelConfig) -> dict[str, Tensor]:
    model = make_model(config.seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr)
    for batch in make_batches(config):
        x, y = shard(batch, rank, world_size)
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()  # the mean over my shard
        average_gradients(model)  # -> the mean over the combined batch, on every worker
        optimizer.step()
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _train_ddp(rank: int, world_size: int, config: DataParallelConfig) -> dict[str, Tensor]:
    model = nn.parallel.DistributedDataParallel(make_model(config.seed))
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr)
    for batch in make_batches(config):
        x, y = shard(batch, rank, world_size)
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()  # DDP averages during backward
        optimizer.step()
    return {k: v.detach().clone() for k, v in model.module.state_dict().items()}


def _best(fn, repeat: int) -> float:
    dist.barrier()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _benchmark(config: DataParallelConfig) -> dict:
    """Seconds per all-reduce for several message sizes; compute vs all-reduce per step for several batches."""
    messages = {}
    for n in config.message_sizes:
        buffer = torch.ones(n)
        messages[n] = _best(lambda: dist.all_reduce(buffer), 5)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
    grads = torch.zeros(sum(p.numel() for p in model.parameters()))
    steps = {}
    for b in config.benchmark_batches:
        x, y = torch.randn(b, 256), torch.randint(0, 10, (b,))

        def compute():
            model.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()

        steps[b] = (_best(compute, 5), _best(lambda: dist.all_reduce(grads), 5))
    return {"message_seconds": messages, "step_seconds": steps, "parameters": grads.numel()}


def ring_allreduce_seconds(workers: int, nbytes: float, bandwidth: float, latency: float = 5e-5) -> float:
    """Time of a ring all-reduce: each worker sends and receives 2(p-1)/p of the message, in 2(p-1) steps."""
    if workers <= 1:
        return 0.0
    return 2 * (workers - 1) / workers * nbytes / bandwidth + 2 * (workers - 1) * latency


def scaling_speedup(workers: int, parameters: int, batch_per_worker: int, seconds_per_sample: float,
                    bandwidth: float, latency: float = 5e-5) -> float:
    """Examples per second with `workers` data-parallel workers, relative to one (no overlap of the two phases)."""
    compute = batch_per_worker * seconds_per_sample
    communicate = ring_allreduce_seconds(workers, 4 * parameters, bandwidth, latency)
    return workers * compute / (compute + communicate)


def _loopback_store(rank: int, world_size: int, port: int) -> dist.TCPStore:
    """The rendezvous store on MASTER_ADDR:MASTER_PORT; rank 0 serves it from a socket bound to loopback only."""
    fd = None
    if rank == 0:  # left alone, the store would listen on every network interface
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen()
        fd = listener.detach()  # the store owns the socket from now on
    return dist.TCPStore("127.0.0.1", port, world_size, is_master=rank == 0, timeout=timedelta(seconds=60),
                         master_listen_fd=fd)


def worker(rank: int, world_size: int, port: int, config: DataParallelConfig, folder: str) -> None:
    """One worker process: join the group on 127.0.0.1:`port`, train, save results to `folder`."""
    log = open(Path(folder) / f"rank{rank}.log", "w")
    os.dup2(log.fileno(), 1)  # keep the workers' messages out of the notebook; the parent shows them on failure
    os.dup2(log.fileno(), 2)
    torch.set_num_threads(1)  # one core per worker
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), GLOO_SOCKET_IFNAME="lo")
    dist.init_process_group("gloo", store=_loopback_store(rank, world_size, port), rank=rank,
                            world_size=world_size, timeout=timedelta(seconds=60))
    try:
        if config.fail_rank == rank:
            raise RuntimeError(f"worker {rank} failed on purpose (a simulated crash)")
        if config.hang_rank == rank:
            time.sleep(3600)
        result: dict = {"allreduce": _train_allreduce(rank, world_size, config)}
        if config.ddp:
            result["ddp"] = _train_ddp(rank, world_size, config)
        if config.benchmark:
            result["benchmark"] = _benchmark(config)
        torch.save(result, Path(folder) / f"rank{rank}.pt")
        dist.barrier()
    finally:
        dist.destroy_process_group()


@dataclass
class DataParallelResult:
    """Each worker's final weights (by method) and, when asked for, rank 0's timings."""

    weights: list[dict[str, dict[str, Tensor]]]
    benchmark: dict | None
    seconds: float
    pids: list[int]


def _stop(context) -> None:
    for process in context.processes:
        if process.is_alive():
            process.kill()
    for process in context.processes:
        process.join(10)


def run_data_parallel(world_size: int = 2, config: DataParallelConfig | None = None,
                      timeout: float = 120.0) -> DataParallelResult:
    """Start `world_size` workers, wait for them at most `timeout` s, end them all whatever happens."""
    config = config or DataParallelConfig()
    if config.batch_size % world_size:
        raise ValueError(f"batch_size {config.batch_size} must split evenly over {world_size} workers")
    start = time.perf_counter()
    spawn_log = logging.getLogger("torch.multiprocessing.spawn")
    level = spawn_log.level
    spawn_log.setLevel(logging.ERROR)  # we report failures ourselves, in one clear message
    with tempfile.TemporaryDirectory(prefix="dlcourse-ddp-") as folder:
        context = mp.start_processes(worker, args=(world_size, free_port(), config, folder),
                                     nprocs=world_size, join=False, start_method="spawn")
        pids = context.pids()
        try:
            deadline = time.monotonic() + timeout
            while not context.join(timeout=max(0.0, min(1.0, deadline - time.monotonic())) or 0.01):
                if time.monotonic() >= deadline:
                    error: Exception = WorkerTimeout(f"the workers did not finish within {timeout:g} s; "
                                                     "all were stopped")
                    error.pids = pids  # type: ignore[attr-defined]
                    raise error
        except mp.ProcessRaisedException as exc:
            message = str(exc).strip().splitlines()[-1]
            error = WorkerError(f"worker {exc.error_index} of {world_size} failed with {message}; "
                                "the other workers were stopped")
            error.pids = pids  # type: ignore[attr-defined]
            raise error from None
        except mp.ProcessExitedException as exc:
            log_file = Path(folder) / f"rank{exc.error_index}.log"
            tail = log_file.read_text()[-500:] if log_file.exists() else "(no log: it died while starting)"
            error = WorkerError(f"worker {exc.error_index} of {world_size} died ({exc}); the other workers were "
                                f"stopped. Its log ends:\n{tail}")
            error.pids = pids  # type: ignore[attr-defined]
            raise error from None
        finally:
            _stop(context)
            spawn_log.setLevel(level)
        weights = [torch.load(Path(folder) / f"rank{r}.pt") for r in range(world_size)]
    benchmark = weights[0].pop("benchmark", None)
    for w in weights[1:]:
        w.pop("benchmark", None)
    return DataParallelResult(weights, benchmark, time.perf_counter() - start, pids)
