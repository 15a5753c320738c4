"""Small collectives the ranks use to agree (when warm-up is over, how many steps to time)
and the all-reduce bandwidth probe.

Every function must be called by every rank of the default process group, in the same
order, or the job hangs until the group's timeout. Tensors live on the device the backend
needs: the rank's accelerator for NCCL/XCCL/HCCL, the CPU for gloo.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.distributed as dist

from profiler.metrics.scaling import allreduce_bandwidth
from profiler.workloads.sync import synchronize

log = logging.getLogger(__name__)

#: all-reduce probe size by device kind: nccl-tests report bus bandwidth for large messages
#: (https://github.com/NVIDIA/nccl-tests/blob/master/doc/PERFORMANCE.md); the CPU gets less
PROBE_BYTES = {"cpu": 8 * 2**20}
ACCELERATOR_PROBE_BYTES = 256 * 2**20
PROBE_WARMUP = 2
PROBE_BUDGET_S = 0.5
PROBE_MAX_ITERS = 20


def comm_device(device: torch.device) -> torch.device:
    """Where collective tensors live for the default group's backend."""
    return torch.device("cpu") if dist.get_backend() == "gloo" else device


def _reduce(value: float, op: Any, device: torch.device) -> float:
    tensor = torch.tensor([float(value)], dtype=torch.float64, device=comm_device(device))
    dist.all_reduce(tensor, op=op)
    return float(tensor.item())


def reduce_max(value: float, device: torch.device) -> float:
    return _reduce(value, dist.ReduceOp.MAX, device)


def reduce_sum(value: float, device: torch.device) -> float:
    return _reduce(value, dist.ReduceOp.SUM, device)


def all_agree(done: bool, device: torch.device) -> bool:
    """True on every rank once every rank says ``done``."""
    return reduce_sum(0.0 if done else 1.0, device) == 0.0


@dataclass(frozen=True)
class AllReduceProbe:
    """One all-reduce size, timed: ``time_s`` per operation (the slowest rank's)."""

    nbytes: int
    dtype: str
    iterations: int
    time_s: float | None
    algbw_bytes_per_s: float | None
    busbw_bytes_per_s: float | None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_probe_bytes(device: torch.device) -> int:
    return PROBE_BYTES.get(device.type, ACCELERATOR_PROBE_BYTES)


def allreduce_probe(device: torch.device, nbytes: int | None = None) -> AllReduceProbe:
    """Time a float32 all-reduce of ``nbytes`` (sum) across the default group.

    Warm-up calls first; then as many timed calls as fit in ``PROBE_BUDGET_S`` (at most
    ``PROBE_MAX_ITERS``), between device synchronisations, with a barrier before."""
    world = dist.get_world_size()
    size = int(nbytes or default_probe_bytes(device))
    numel = max(size // 4, 1)
    if world == 1:
        return AllReduceProbe(numel * 4, "float32", 0, None, None, None,
                              "one rank: an all-reduce moves no data")
    buf = torch.ones(numel, dtype=torch.float32, device=comm_device(device))
    for _ in range(PROBE_WARMUP):
        dist.all_reduce(buf)
    synchronize(buf.device)
    dist.barrier()
    start = time.perf_counter()
    dist.all_reduce(buf)
    synchronize(buf.device)
    one = time.perf_counter() - start
    iters = max(1, min(PROBE_MAX_ITERS, int(PROBE_BUDGET_S / one) if one > 0 else PROBE_MAX_ITERS))
    iters = int(reduce_max(iters, device))  # every rank must make the same number of calls
    dist.barrier()
    start = time.perf_counter()
    for _ in range(iters):
        dist.all_reduce(buf)
    synchronize(buf.device)
    per_op = reduce_max((time.perf_counter() - start) / iters, device)
    algbw, busbw = allreduce_bandwidth(numel * 4, per_op, world)
    log.info("all-reduce %d B x%d: %.3g s/op, busbw %s B/s", numel * 4, iters, per_op, busbw)
    return AllReduceProbe(numel * 4, "float32", iters, per_op, algbw, busbw)
