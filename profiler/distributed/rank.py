"""``run_rank``: everything one rank does, callable from any launcher.

``python -m profiler.distributed.rank_entry`` calls it under ``torchrun``; a Ray Train
``train_loop_per_worker`` or a Kubernetes job's container can call it directly: it reads the
standard environment (``profiler.distributed.env``) and joins the default process group,
creating it (``env://``) when the launcher has not. Rank 0 returns the result dict of the whole
run; every other rank returns None.
"""

from __future__ import annotations

import datetime
import logging
import time
from typing import Any

import torch
import torch.distributed as dist

from profiler import accelerator
from profiler.distributed.assemble import assemble
from profiler.distributed.collectives import allreduce_probe, reduce_sum
from profiler.distributed.config import DistConfig, DistConfigError
from profiler.distributed.energy import NodeEnergyMeter
from profiler.distributed.env import RankEnv, backend_for, node_devices, rank_device, rank_env
from profiler.distributed.faults import RankFault
from profiler.distributed.train import RankReport, RankTrainer
from profiler.results.result import RunResult, new_run_id

log = logging.getLogger(__name__)


def check_rank_device(config: DistConfig, env: RankEnv) -> Any:
    """This rank's DeviceInfo; DistConfigError when the node lacks the device or the spec is bad."""
    from profiler.runner.validate import SpecError, validate_spec
    from profiler.workloads import WorkloadError, get_workload

    try:
        preset = get_workload(config.workload).default_batch[config.size]
        _, per_rank = config.batches(env.world_size, preset)
    except WorkloadError as exc:
        raise DistConfigError(str(exc)) from None
    device = rank_device(config.device, env.device_slot)
    if config.device not in ("cpu", "mps"):
        count = accelerator.device_count(config.device)
        if env.device_slot >= count:
            raise DistConfigError(f"local rank {env.local_rank} has no {config.device} device: this node has {count}")
    spec = config.rank_spec(1, device, preset).replace(batch_size=per_rank)
    try:
        return validate_spec(spec)
    except SpecError as exc:
        raise DistConfigError(str(exc)) from None


def _join_group(config: DistConfig, env: RankEnv, device: torch.device) -> bool:
    """Join (or create) the default group; True when this call created it."""
    if dist.is_initialized():
        return False
    dist.init_process_group(backend_for(config.device), timeout=datetime.timedelta(seconds=config.timeout_s))
    return True


def _node_meter(config: DistConfig, env: RankEnv, report: RankReport) -> NodeEnergyMeter | None:
    """The energy meter of this node, on its local rank 0 only (None elsewhere, or when local
    rank 0 cannot see every device of the node: then the node's energy is n/a, with why)."""
    if not env.is_node_leader:
        return None
    devices = node_devices(config.device, env.local_world_size)
    visible = len(devices) if config.device in ("cpu", "mps") else accelerator.device_count(config.device)
    if visible < len(devices):
        report.node_energy = {"devices": devices, "energy_j": None,
                              "reason": f"local rank 0 sees {visible} of the node's {len(devices)} {config.device} "
                                        "devices, so it cannot meter the node"}
        return None
    return NodeEnergyMeter(devices)


def _train(config: DistConfig, env: RankEnv, device: torch.device, fault: RankFault | None) -> RankReport:
    trainer = RankTrainer(config, env.rank, env.world_size, device, fault)
    report = RankReport(env.rank, env.local_rank, env.node, env.host, str(device), trainer.per_rank,
                        threads=torch.get_num_threads() if device.type == "cpu" else None)
    try:
        step, batches, built, model = trainer.build()
        report.params = built.params
        warm = trainer.warm_up(step, batches, report)
        n = trainer.timed_steps(warm)
        meter = _node_meter(config, env, report)
        if meter is not None:
            meter.start()
        trainer.measure(step, batches, n, report)
        if meter is not None:
            report.node_energy = meter.to_dict(meter.stop())
        trainer.reference(step, batches, model, report)
    finally:
        trainer.close()
    return report


def _peak(config: DistConfig, device: torch.device, report: RankReport) -> None:
    """Every rank probes its device's matmul peak at once (after training, so the probe's
    allocations cannot change what the training measured)."""
    if not config.measure_peak:
        report.peak_source = "peak probe skipped (--no-peak)"
        return
    from profiler.workloads.probes import peak_for

    dist.barrier()
    probe = peak_for(device, config.precision)
    report.peak_flops_per_s = probe.value
    report.peak_source = f"{probe.dtype} matmul n={probe.n}" if probe.value else probe.reason


def run_rank(config: DistConfig, env: RankEnv | None = None, fault: RankFault | None = None,
             run_id: str | None = None, info: Any = None) -> dict[str, Any] | None:
    """Train and measure this rank; rank 0 returns the whole run's result dict.

    ``info`` is ``check_rank_device``'s answer when the caller already checked (DistConfigError
    otherwise comes from here, before the process group is joined)."""
    config.check()
    env = env or rank_env()
    info = info or check_rank_device(config, env)
    device = torch.device(info.id)
    threads = config.rank_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    started = time.time()
    accelerator.set_device(device)  # NCCL, events and gather_object use the current device
    created = _join_group(config, env, device)
    try:
        if dist.get_world_size() != env.world_size:
            raise DistConfigError(f"the process group has {dist.get_world_size()} ranks, WORLD_SIZE says "
                                  f"{env.world_size}")
        report = _train(config, env, device, fault)
        probe = allreduce_probe(device, config.probe_bytes).to_dict()
        _peak(config, device, report)
        reduce_sum(0.0, device)  # every rank is done measuring before results travel
        gathered: list[Any] | None = [None] * env.world_size if env.rank == 0 else None
        dist.gather_object(report.to_dict(), gathered, dst=0)
        if env.rank != 0:
            return None
        assert gathered is not None
        from profiler.workloads import get_workload

        spec = config.rank_spec(env.world_size, info.id, get_workload(config.workload).default_batch[config.size])
        result = RunResult(spec=spec, run_id=run_id or new_run_id(), device_info=info.to_dict(), started_at=started)
        launcher = {"master_addr": env.master_addr, "master_port": env.master_port}
        return assemble(config, gathered, result, dist.get_backend(), probe, launcher).to_dict()
    finally:
        if created:
            dist.destroy_process_group()
