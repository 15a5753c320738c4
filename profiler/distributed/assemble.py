"""Rank 0 turns every rank's report into one result, like any run's (``RunResult``).

``samples_per_step`` is the global batch; ``step_times_s`` are the steps of the rank whose
timed window was longest (the job's wall time); ``losses`` the mean over ranks per step (in
strong mode the loss of the global batch); FLOPs and peaks are the sum over ranks. The
``distributed`` section keeps per-rank medians, the time split, the straggler, the all-reduce
probe and the energy of each node (counted once per node).
"""

from __future__ import annotations

import logging
import os
import statistics
from typing import Any

from profiler.distributed.config import DistConfig
from profiler.metrics.scaling import SPLIT_NOISE, Straggler, straggler
from profiler.results.result import RunResult, RunState
from profiler.results.spec import capture_environment
from profiler.runner.finish import finish

log = logging.getLogger(__name__)

#: a rank this much slower than the median is named in a warning
STRAGGLER_WARN_RATIO = 1.15
SPLIT_BASIS = {
    "ddp": "comm = exposed gradient all-reduce: the synchronised step minus the same step without "
           "gradient sync (DDP no_sync) on the same rank; it includes waiting for slower ranks",
    "fsdp": "comm = exposed gradient reduce-scatter: the step minus the same step without gradient "
            "sync; FSDP's parameter all-gathers stay inside compute",
}


def _rank_row(report: dict[str, Any]) -> dict[str, Any]:
    times = report["step_times_s"]
    median = statistics.median(times) if times else None
    return {
        "rank": report["rank"], "local_rank": report["local_rank"], "node": report["node"],
        "host": report["host"], "device": report["device"], "threads": report["threads"],
        "steps": len(times), "step_time_s": median,
        "samples_per_s": report["batch_per_rank"] / median if median else None,
        "split": report["split"], "loss_last": report["losses"][-1] if report["losses"] else None,
        "peak_flops_per_s": report["peak_flops_per_s"],
    }


def _node_key(report: dict[str, Any]) -> str:
    return str(report["node"]) if report["node"] is not None else str(report["host"])


def _energy(reports: list[dict[str, Any]], result: RunResult) -> list[dict[str, Any]]:
    by_node = []
    for report in reports:
        if report["node_energy"] is not None:
            by_node.append({"node": report["node"], "host": report["host"], **report["node_energy"]})
    values = [n["energy_j"] for n in by_node]
    nodes = {_node_key(r) for r in reports}
    if values and len(by_node) == len(nodes) and all(v is not None for v in values):
        result.energy_j = float(sum(values))
    else:
        why = "; ".join(n["reason"] for n in by_node if n["reason"]) or "a node reported no energy"
        result.notices.append(f"energy n/a: {why}")
    return by_node


def _peaks(config: DistConfig, reports: list[dict[str, Any]], result: RunResult, device_name: str) -> None:
    """The MFU references of the whole job: the hardware peak of every rank's device share
    (``devices.hardware_peak``) and, as the ceiling, the sum of the ranks' GEMM probes (each
    measured after its timed window, so it cannot touch the measured run)."""
    from profiler.devices.hardware_peak import hardware_peak

    ceilings = [r["peak_flops_per_s"] for r in reports]
    if ceilings and all(ceilings):
        result.ceiling_flops_per_s = float(sum(ceilings))
        first = reports[0]["peak_source"]
        result.ceiling_source = f"best GEMM measured here: sum over {len(ceilings)} ranks of {first}"
    else:
        result.ceiling_source = reports[0]["peak_source"] or "not measured"
    device = str(reports[0]["device"])
    if device.split(":")[0] == "cpu":  # every node like this one: its ranks' threads, capped at its cores
        threads = config.rank_threads() or 1
        nodes = len({_node_key(r) for r in reports})
        per_node = max(1, len(reports) // nodes)
        peak = hardware_peak("cpu", device_name, config.precision, threads * per_node)
        scale, what = nodes, f"{nodes} node(s) x {per_node} ranks x {threads} thread(s)"
    else:
        peak = hardware_peak(device, device_name, config.precision, None)
        scale, what = len(reports), f"{len(reports)} x one device"
    if peak.flops_per_s is not None:
        result.peak_flops_per_s = peak.flops_per_s * scale
        result.peak_source = f"{peak.source} ({what})"
        result.peak_inputs = {**peak.inputs, "ranks": len(reports), "scale": scale}
    else:
        result.peak_source = peak.reason or "no hardware peak for this device"


def _flops(config: DistConfig, per_rank: int, world: int, result: RunResult) -> None:
    from profiler.workloads import get_workload
    from profiler.workloads.flops import count_train_flops

    try:
        per = count_train_flops(get_workload(config.workload), config.size, per_rank, config.knobs)
        result.flops_per_step = float(per) * world
    except Exception as exc:
        log.exception("FLOP counting failed")
        result.warnings.append(f"FLOPs could not be counted ({exc}); TFLOP/s and MFU are n/a")


def _warn(reports: list[dict[str, Any]], rows: list[dict[str, Any]], result: RunResult,
          slow: Straggler | None) -> None:
    if slow is not None and (slow.ratio_to_median or 0) > STRAGGLER_WARN_RATIO:
        result.warnings.append(f"rank {slow.rank} is a straggler: its compute takes {slow.ratio_to_median:.2f}x "
                               "the median rank's, and every other rank waits for it each step")
    noisy = [row["rank"] for row in rows if row["split"] and row["split"]["comm_s"]
             < -SPLIT_NOISE * row["split"]["step_s"]]
    if noisy:
        result.warnings.append(f"rank(s) {', '.join(map(str, noisy))}: steps without gradient sync ran slower than "
                               "synchronised ones; the compute/communication split is within the noise")
    if reports[0]["device"] == "cpu":
        per_node: dict[str, int] = {}
        for r in reports:
            per_node[_node_key(r)] = per_node.get(_node_key(r), 0) + (r["threads"] or 1)
        cores = os.cpu_count() or 1
        if max(per_node.values()) > cores:
            result.warnings.append(f"{max(per_node.values())} torch threads on {cores} logical CPUs: ranks share "
                                   "cores, so this measures contention, not scaling")


def assemble(config: DistConfig, reports: list[dict[str, Any]], result: RunResult, backend: str,
             probe: dict[str, Any], launcher: dict[str, Any]) -> RunResult:
    """Fill ``result`` (made by rank 0 with its spec and device) from the gathered ``reports``."""
    reports = sorted(reports, key=lambda r: r["rank"])
    world = len(reports)
    per_rank = reports[0]["batch_per_rank"]
    longest = max(reports, key=lambda r: sum(r["step_times_s"]))
    n = min(len(r["losses"]) for r in reports)
    result.environment = capture_environment(reports[0]["threads"])
    result.batch_size = result.samples_per_step = per_rank * world
    result.params = reports[0]["params"]
    result.step_times_s = list(longest["step_times_s"])
    result.losses = [statistics.fmean(r["losses"][i] for r in reports) for i in range(n)]
    result.warmup_steps = reports[0]["warmup_steps"]
    result.warmup_s = max(r["warmup_s"] for r in reports)
    _flops(config, per_rank, world, result)
    _peaks(config, reports, result, str(result.device_info.get("name", "")))
    rows = [_rank_row(r) for r in reports]
    energy = _energy(reports, result)
    busy = {row["rank"]: row["split"]["input_s"] + row["split"]["compute_s"] for row in rows if row["split"]}
    slow = straggler(busy)
    result.distributed = {
        "world_size": world, "nodes": len({_node_key(r) for r in reports}), "strategy": config.strategy,
        "backend": backend, "mode": config.mode, "batch_per_rank": per_rank, "global_batch": per_rank * world,
        "split_basis": SPLIT_BASIS[config.strategy], "ranks": rows,
        "straggler": slow.to_dict() if slow else None, "allreduce": probe, "energy_by_node": energy,
        "launcher": launcher,
    }
    _warn(reports, rows, result, slow)
    result.status = RunState.COMPLETED
    return finish(result)  # energy was summed per node above; no one sampler watched the job
