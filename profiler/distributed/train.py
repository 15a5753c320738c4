"""One rank's measured training: the same workload and step as a single-device run, wrapped in
DDP or FSDP, with the stages every rank runs in lock-step.

Stages: warm-up until every rank's step time settled (``WarmupGate``; the ranks agree after
each step), a timed window of the same number of steps on every rank (``StepClock``: device
events on accelerators, the host clock on the CPU), then reference steps without gradient
synchronisation (DDP ``no_sync``, FSDP ``set_requires_gradient_sync(False)``) that measure
compute alone on this rank. The reference steps come after the timed window, so the losses
of the window are those of real data-parallel training; they leave the replicas unequal,
which nothing reads afterwards.

Data: every rank builds the workload with the same seed at the global batch, so all hold the
same weights and the same pool of global batches, and each rank trains on its own slice of
each global batch. In strong mode one rank therefore sees exactly the data that N ranks share.
In input-pipeline mode each rank has its own DataLoader over the same host dataset: it measures
what feeding a rank costs, not a sharded epoch.
Thread: the rank's main thread; the process group must be initialised.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.distributed as dist

from profiler.distributed.collectives import all_agree, reduce_max
from profiler.distributed.config import DistConfig
from profiler.distributed.faults import RankFault
from profiler.metrics.scaling import time_split
from profiler.runner.clock import StepClock
from profiler.runner.precision import plan_precision
from profiler.runner.step import StepFn, make_optimizer, make_step
from profiler.runner.warmup import SETTLE_WINDOW, WarmupGate
from profiler.workloads import get_workload
from profiler.workloads.base import Batch, BuiltWorkload

log = logging.getLogger(__name__)

MAX_TIMED_STEPS = 1_000_000
PIPELINE_SAMPLES = 4096


@dataclass
class RankReport:
    """What one rank measured (seconds; losses of the timed window). JSON-ready via ``to_dict``."""

    rank: int
    local_rank: int
    node: int | None
    host: str
    device: str
    batch_per_rank: int
    warmup_steps: int = 0
    warmup_s: float = 0.0
    step_times_s: list[float] = field(default_factory=list)
    input_s: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    reference_step_s: list[float] = field(default_factory=list)
    reference_input_s: list[float] = field(default_factory=list)
    params: int = 0
    threads: int | None = None
    node_energy: dict[str, Any] | None = None  # node leaders only
    peak_flops_per_s: float | None = None
    peak_source: str = ""

    def split(self) -> dict[str, float] | None:
        """Median step split into input, compute and exposed communication (None: no steps)."""
        if not self.step_times_s or not self.reference_step_s:
            return None
        return time_split(statistics.median(self.step_times_s), statistics.median(self.input_s),
                          statistics.median(self.reference_step_s),
                          statistics.median(self.reference_input_s)).to_dict()

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["split"] = self.split()
        return out


def shard_batches(make_batch: Callable[[], Batch], rank: int, per_rank: int) -> Iterator[Batch]:
    """This rank's slice of each global batch ``make_batch`` returns."""
    lo, hi = rank * per_rank, (rank + 1) * per_rank
    while True:
        inputs, targets = make_batch()
        yield inputs[lo:hi], targets[lo:hi]


def _shard_units(model: torch.nn.Module) -> list[torch.nn.Module]:
    """Children that FSDP shards one by one: every child with parameters, and each item of a
    ModuleList (transformer blocks)."""
    units: list[torch.nn.Module] = []
    for child in model.children():
        if isinstance(child, torch.nn.ModuleList):
            units.extend(m for m in child if any(True for _ in m.parameters()))
        elif any(True for _ in child.parameters()):
            units.append(child)
    return units


def wrap_model(model: torch.nn.Module, strategy: str, device: torch.device) -> torch.nn.Module:
    """``model`` under DDP (gradients all-reduced in buckets during backward) or FSDP2
    (``fully_shard``: parameters sharded per unit, gathered for compute, gradients reduce-scattered)."""
    if strategy == "ddp":
        from torch.nn.parallel import DistributedDataParallel

        ids = [device.index] if device.type != "cpu" and device.index is not None else None
        return DistributedDataParallel(model, device_ids=ids)
    try:
        from torch.distributed.fsdp import fully_shard
    except ImportError:  # torch < 2.6 kept FSDP2 under a private name
        from torch.distributed._composable.fsdp import fully_shard  # type: ignore[no-redef]
    for unit in _shard_units(model):
        fully_shard(unit)
    fully_shard(model)
    return model


def no_grad_sync(model: torch.nn.Module, strategy: str) -> AbstractContextManager[Any]:
    """Steps inside skip the gradient collective (DDP all-reduce / FSDP reduce-scatter)."""
    if strategy == "ddp":
        return model.no_sync()  # type: ignore[operator]

    @contextlib.contextmanager
    def fsdp_no_sync() -> Iterator[None]:
        model.set_requires_gradient_sync(False)  # type: ignore[operator]
        try:
            yield
        finally:
            model.set_requires_gradient_sync(True)  # type: ignore[operator]

    return fsdp_no_sync()


class RankTrainer:
    """Builds and runs one rank's share of the job; see the module doc."""

    def __init__(self, config: DistConfig, rank: int, world_size: int, device: torch.device,
                 fault: RankFault | None = None) -> None:
        self.config = config
        self.rank = rank
        self.world_size = world_size
        self.device = device
        self.fault = fault
        self.workload = get_workload(config.workload)
        self.global_batch, self.per_rank = config.batches(world_size, self.workload.default_batch[config.size])
        self._stack = contextlib.ExitStack()

    def build(self) -> tuple[StepFn, Iterator[Batch], BuiltWorkload, torch.nn.Module]:
        cfg = self.config
        built = self.workload.build(self.device, cfg.size, self.global_batch, cfg.knobs, False, cfg.seed)
        per_rank_built = dataclasses.replace(built, batch_size=self.per_rank, samples_per_step=self.per_rank)
        batches: Iterator[Batch]
        if cfg.input_pipeline:
            from profiler.workloads.pipeline import InputPipeline

            pipeline = self._stack.enter_context(InputPipeline(
                per_rank_built, max(PIPELINE_SAMPLES, 4 * self.per_rank), cfg.loader_workers, True))
            batches = iter(pipeline.make_batch, None)  # type: ignore[call-overload]
        else:
            batches = shard_batches(built.make_batch, self.rank, self.per_rank)
        model = wrap_model(built.model, cfg.strategy, self.device)
        model.train()
        plan = plan_precision(str(self.device), cfg.precision)
        # the workload's own optimizer over its (wrapped: DDP shares, FSDP2 shards in place) parameters
        step = make_step(per_rank_built, model, make_optimizer(per_rank_built), plan)
        return step, batches, per_rank_built, model

    def close(self) -> None:
        self._stack.close()

    def _steps(self, step: StepFn, batches: Iterator[Batch], n: int, timed: bool,
               report_times: list[float], report_inputs: list[float], losses: list[torch.Tensor] | None) -> None:
        clock = StepClock(self.device)
        clock.start()
        for i in range(1, n + 1):
            if timed and self.fault is not None:
                self.fault.maybe_fire(self.rank, i)
            start = time.perf_counter()
            batch = next(batches)
            report_inputs.append(time.perf_counter() - start)
            loss = step(batch)
            if losses is not None:
                losses.append(loss)
            if clock.step_done():
                report_times.extend(clock.collect())
        report_times.extend(clock.finish())

    def warm_up(self, step: StepFn, batches: Iterator[Batch], report: RankReport) -> list[float]:
        """Warm up until every rank's gate says so; returns this rank's warm-up step times."""
        cfg = self.config
        gate = WarmupGate(cfg.warmup_max_steps, cfg.warmup_max_s)
        clock = StepClock(self.device, flush_every_s=0.0)
        start = time.perf_counter()
        clock.start()
        done = False
        while True:
            step(next(batches))
            clock.step_done()
            for t in clock.collect():
                done = gate.add(t) or done
            report.warmup_steps += 1
            if all_agree(done, self.device):
                break
        clock.finish()
        report.warmup_s = time.perf_counter() - start
        return gate.times

    def timed_steps(self, warmup_times: list[float]) -> int:
        """Steps every rank times: ``steps``, or enough for ``duration_s`` at the slowest
        rank's settled warm-up pace."""
        if self.config.steps is not None:
            return self.config.steps
        recent = warmup_times[-SETTLE_WINDOW:] or [1.0]
        pace = reduce_max(statistics.median(recent), self.device)
        duration = self.config.duration_s or 1.0
        return int(min(MAX_TIMED_STEPS, max(3, math.ceil(duration / pace))))

    def measure(self, step: StepFn, batches: Iterator[Batch], n: int, report: RankReport) -> None:
        losses: list[torch.Tensor] = []
        self._steps(step, batches, n, True, report.step_times_s, report.input_s, losses)
        report.losses = [float(loss) for loss in losses]

    def reference(self, step: StepFn, batches: Iterator[Batch], model: torch.nn.Module, report: RankReport) -> None:
        """Compute alone: the same steps with no gradient collective, then a barrier."""
        with no_grad_sync(model, self.config.strategy):
            self._steps(step, batches, self.config.reference_steps, False, report.reference_step_s,
                        report.reference_input_s, None)
        dist.barrier()
