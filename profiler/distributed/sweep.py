"""The same workload at several world sizes on this machine (``horsepower scale``).

``check_sweep`` rejects, before anything starts, every input that could not run: a world size
below 1, more ranks than the machine has accelerators, a strong-scaling batch that does not
divide, a bad workload, a device kind torch cannot use, a port in use. ``run_scale`` then
launches each world size in turn through torch's elastic agent (``launch``), on loopback,
and stops at the first failure: that point becomes a failed result naming the rank and reason,
the points after it are not run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from profiler.distributed.config import DistConfig, DistConfigError
from profiler.distributed.env import backend_for, rank_device
from profiler.distributed.launch import LaunchOutcome, LaunchPlan, launch
from profiler.distributed.ports import LOOPBACK, EndpointError, check_port_free, free_port
from profiler.results.result import RunResult, RunState, new_run_id

log = logging.getLogger(__name__)

#: seconds a world size may take beyond its collective timeout, warm-up and window
DEADLINE_SLACK_S = 120.0


def parse_nprocs(text: str) -> list[int]:
    """``"1,2,4" -> [1, 2, 4]``; DistConfigError for anything else (0, negatives, repeats)."""
    values = []
    for part in text.split(","):
        part = part.strip()
        if not part.lstrip("-").isdigit():
            raise DistConfigError(f"--nproc takes a comma-separated list of world sizes, got {text!r}")
        value = int(part)
        if value < 1:
            raise DistConfigError(f"a world size must be at least 1 rank, got {value}")
        if value in values:
            raise DistConfigError(f"world size {value} is listed twice in --nproc {text}")
        values.append(value)
    if not values:
        raise DistConfigError("--nproc needs at least one world size")
    return sorted(values)


def devices_here(kind: str) -> tuple[int, str]:
    """(devices of ``kind``, why none) on this machine."""
    from profiler import accelerator

    if kind == "cpu":
        return 1, ""
    count = accelerator.device_count(kind)
    if count:
        return count, ""
    from profiler.devices.discovery import list_devices

    reasons = [d.reason for d in list_devices() if d.kind == kind and not d.available]
    return 0, reasons[0] if reasons else f"torch finds no {kind} device here"


def check_sweep(config: DistConfig, nprocs: Sequence[int], port: int | None = None) -> None:
    """DistConfigError (or EndpointError) for a sweep that cannot run; nothing is started."""
    config.check()
    from profiler.runner.validate import SpecError, validate_spec
    from profiler.workloads import WorkloadError, get_workload

    try:
        preset = get_workload(config.workload).default_batch[config.size]
    except WorkloadError as exc:
        raise DistConfigError(str(exc)) from None
    for n in nprocs:
        config.batches(n, preset)
    count, why = devices_here(config.device)
    if count == 0:
        raise DistConfigError(f"cannot run on {config.device}: {why}")
    if config.device != "cpu" and max(nprocs) > count:
        raise DistConfigError(f"{max(nprocs)} ranks need {max(nprocs)} {config.device} devices (one per rank); "
                              f"this machine has {count}")
    backend_for(config.device)
    _, per_rank = config.batches(nprocs[0], preset)
    spec = config.rank_spec(1, rank_device(config.device, 0), preset).replace(batch_size=per_rank)
    try:
        validate_spec(spec)
    except SpecError as exc:
        raise DistConfigError(str(exc)) from None
    if port is not None:
        check_port_free(LOOPBACK, port)


def default_deadline_s(config: DistConfig) -> float:
    return config.timeout_s + config.warmup_max_s + 3 * (config.duration_s or 0.0) + DEADLINE_SLACK_S


@dataclass
class ScalePoint:
    """One world size: its result dict (failed ones too) and the launch behind it."""

    world_size: int
    result: dict[str, Any]
    outcome: LaunchOutcome

    @property
    def ok(self) -> bool:
        return self.outcome.ok


def failed_result(config: DistConfig, world_size: int, run_id: str, outcome: LaunchOutcome) -> dict[str, Any]:
    """The result of a world size whose launch failed: status failed (stopped when the user
    stopped it), the rank and reason in ``error``, nothing measured."""
    from profiler.workloads import get_workload

    preset = get_workload(config.workload).default_batch[config.size]
    spec = config.rank_spec(world_size, rank_device(config.device, 0), preset)
    result = RunResult(spec=spec, run_id=run_id, status=RunState.STOPPED if outcome.stopped else RunState.FAILED)
    result.error = outcome.reason
    result.advice = ("see the ranks' log with -v; a rank killed by SIGKILL often ran out of host memory"
                     if outcome.failed_rank is not None else "see the log with -v")
    result.distributed = {"world_size": world_size, "nodes": 1, "strategy": config.strategy,
                          "backend": backend_for(config.device), "mode": config.mode,
                          "failed_rank": outcome.failed_rank}
    result.ended_at = time.time()
    return result.to_dict()


def run_scale(config: DistConfig, nprocs: Sequence[int], port: int | None = None,
              deadline_s: float | None = None, cancel: threading.Event | None = None,
              on_point: Callable[[ScalePoint], None] | None = None,
              env: dict[str, str] | None = None) -> list[ScalePoint]:
    """Run ``config`` at each world size of ``nprocs`` (checked with ``check_sweep`` first)."""
    cancel = cancel or threading.Event()
    points: list[ScalePoint] = []
    for n in nprocs:
        if cancel.is_set():
            break
        run_id = new_run_id()
        rdzv_port = port if port is not None else free_port(LOOPBACK)
        plan = LaunchPlan(rank_argv=[*config.to_argv(), "--run-id", run_id], nproc=n,
                          rdzv_endpoint=f"{LOOPBACK}:{rdzv_port}", rdzv_id=f"horsepower-{run_id}",
                          local_addr=LOOPBACK, deadline_s=deadline_s or default_deadline_s(config),
                          env=dict(env or {}))
        log.info("scale: %d rank(s), rendezvous %s", n, plan.rdzv_endpoint)
        outcome = launch(plan, cancel)
        if outcome.ok and outcome.result is None:  # one node holds rank 0: it always writes
            outcome.ok, outcome.reason = False, "every rank finished but rank 0 wrote no result"
        result = outcome.result if outcome.ok and outcome.result else failed_result(config, n, run_id, outcome)
        point = ScalePoint(n, result, outcome)
        points.append(point)
        if on_point is not None:
            on_point(point)
        if not outcome.ok:
            break
    return points


__all__ = ["EndpointError", "ScalePoint", "check_sweep", "failed_result", "parse_nprocs", "run_scale"]
