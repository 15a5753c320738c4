"""Shared factories for tests: fabricated results, published runs, tiny specs, fake sweeps, and
small advisor catalogues, devices, step facts and result dicts."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from profiler.analysis.advisor.bands import Band
from profiler.analysis.advisor.catalogue import Catalogue
from profiler.analysis.advisor.census import StepFacts
from profiler.analysis.advisor.cloud import CloudPrice
from profiler.analysis.advisor.corpus import CorpusRow
from profiler.analysis.advisor.fit import Case, roof_of
from profiler.analysis.advisor.gpu_model import GpuModel
from profiler.analysis.advisor.hardware import CoreGroup, Figure, HardwareDevice
from profiler.analysis.advisor.model_facts import ModelFacts, facts_key
from profiler.events import (
    EventBus,
    RunFinished,
    RunNotice,
    RunStateChanged,
    StepFinished,
    TelemetrySample,
)
from profiler.results.result import RunResult
from profiler.results.spec import RunSpec, cpu_model

#: a spawned worker imports torch: allow it this long to publish its first steps
WORKER_START_TIMEOUT_MS = 30_000


def fabricated(run_id: str, device: str = "cpu", step_s: float = 0.01, batch: int = 32,
               energy_j: float | None = None, name: str = "", workload: str = "mlp",
               **spec_fields: object) -> RunResult:
    """A completed result of 20 identical timed steps, as if measured."""
    spec = RunSpec(workload=workload, device=device, batch_size=batch, name=name, **spec_fields)  # type: ignore[arg-type]
    result = RunResult(spec=spec, run_id=run_id, status="completed", batch_size=batch,
                       samples_per_step=batch, flops_per_step=1e9, peak_flops_per_s=1e12)
    result.step_times_s = [step_s] * 20
    result.losses = [2.0 - 0.05 * i for i in range(20)]
    result.energy_j = energy_j
    return result


def publish_run(bus: EventBus, run_id: str, n_steps: int = 5) -> RunResult:
    """Publish a short run's events (steps, host and cuda:0 telemetry, a notice, the result)."""
    bus.publish(RunStateChanged(run_id, "preparing"))
    bus.publish(RunStateChanged(run_id, "measuring"))
    for i in range(n_steps):
        bus.publish(StepFinished(run_id, i, "timed", 0.1 * (i + 1), 0.1, 32, 1.0 / (i + 1)))
        bus.publish(TelemetrySample(run_id, "host", 0.1 * i, {"cpu_util_percent": 50.0 + i,
                                                              "note": "text", "gone": None}))
        bus.publish(TelemetrySample(run_id, "cuda:0", 0.1 * i, {"power_w": 100.0}))
    bus.publish(RunNotice(run_id, "warning", "noisy <b>", 0.3))
    result = fabricated(run_id)
    bus.publish(RunFinished(run_id, result))
    return result


def tiny(duration_s: float = 1.0) -> RunSpec:
    """A CPU MLP small enough for a spawned worker to train in about a second."""
    return RunSpec(
        workload="mlp", device="cpu", batch_size=32, knobs={"width": 64, "depth": 1},
        duration_s=duration_s, warmup_max_steps=10, warmup_max_s=0.5, threads=1,
    )


def fake_sweep_point(spec: RunSpec) -> RunResult:
    """A sweep ``run_fn``: the CPU does 1000 samples/s, an accelerator 2 x width."""
    result = RunResult(spec=spec, status="completed", samples_per_step=100)
    rate = 1000.0 if spec.device == "cpu" else spec.knobs["width"] * 2.0
    result.step_times_s = [100.0 / rate] * 3
    return result


@contextmanager
def mounted_tmpfs(path: Path, size: str = "1m", readonly: bool = False) -> Iterator[Path]:
    """Mount a small tmpfs at ``path`` for the block (root only; the test is skipped where the
    machine cannot mount). ``readonly`` mounts it read-only: root's writes fail with EROFS."""
    import pytest

    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if readonly else "")
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def make_char_device(path: Path, major: int, minor: int) -> Path:
    """A character device node (1,3 is /dev/null, 1,7 is /dev/full); skips without root."""
    import pytest

    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(major, minor))
    except (OSError, AttributeError) as exc:
        pytest.skip(f"cannot make a device node here: {exc}")
    return path


# ---- advisor factories --------------------------------------------------------------
TEST_CPU_NAME = "Test CPU 9000 16-Core Processor"


def gpu(device_id: str = "gpu-a", peak_bf16: float = 100e12, peak_fp32: float | None = 20e12,
        bandwidth: float = 1e12, memory: float = 24e9, tdp: float | None = 300.0, price: float | None = 1000.0,
        pattern: str = r"Test GPU A\b", device_class: str = "datacenter-gpu", epoch: bool = False) -> HardwareDevice:
    peaks = {"bf16": Figure(peak_bf16, "test sheet", "2024-01-01", epoch)}
    if peak_fp32:
        peaks["fp32"] = Figure(peak_fp32, "test sheet", "2024-01-01", epoch)
    return HardwareDevice(
        id=device_id, name=device_id.upper(), vendor="Test", device_class=device_class, peaks=peaks,
        memory_bytes=Figure(memory, "test sheet"), bandwidth_bytes_per_s=Figure(bandwidth, "test sheet"),
        tdp_w=Figure(tdp, "test sheet") if tdp else None,
        release_price_usd=Figure(price, "test sheet") if price else None, featured=True, patterns=(pattern,))


def cpu(device_id: str = "test-cpu", cores: int = 16, clock_ghz: float = 4.0, fp32_per_cycle: float = 64.0,
        bandwidth: float = 100e9, tdp: float = 160.0, cache: float | None = None) -> HardwareDevice:
    group = CoreGroup(cores, clock_ghz, {"fp32": fp32_per_cycle}, "test")
    peak = group.peak("fp32") or 0.0
    return HardwareDevice(
        id=device_id, name="Test CPU 9000", vendor="Test", device_class="cpu",
        peaks={"fp32": Figure(peak, "derived")}, bandwidth_bytes_per_s=Figure(bandwidth, "test sheet"),
        tdp_w=Figure(tdp, "test sheet"), release_price_usd=Figure(500.0, "test sheet"), featured=True,
        patterns=(r"Test CPU 9000",), core_groups=(group,), cache_bytes=Figure(cache, "t") if cache else None)


def catalogue(*devices: HardwareDevice, prices: tuple[CloudPrice, ...] = ()) -> Catalogue:
    return Catalogue(tuple(devices), (), prices)


def price(device: str, usd_per_h: float, provider: str = "Cloud") -> CloudPrice:
    return CloudPrice(device, provider, "1 GPU", usd_per_h, "2026-11-01", "https://example.com/prices")


def facts(flops: float = 1e12, samples: int = 100, moved: Band | None = None, params: int = 1000,
          activations: Band | None = None, kernels: float | None = None, batch: int | None = None) -> StepFacts:
    return StepFacts(flops=flops, samples=samples, batch_size=batch or samples, params=params,
                     state_bytes=16.0 * params, activation_bytes=activations,
                     bytes_moved=moved or Band(1e9, 2e9, 4e9), kernels=kernels, how=())


def result(run_id: str, device: str = "cpu", samples_per_s: float = 1000.0, flops_per_step: float = 1e11,
           batch: int = 100, device_name: str = TEST_CPU_NAME, threads: int = 16, precision: str = "fp32",
           workload: str = "own", hostname: str | None = None, **extra: Any) -> dict[str, Any]:
    """A completed result dict with ``samples_per_s`` for a model the advisor estimates from params."""
    return {
        "schema": 2, "run_id": run_id, "name": run_id, "status": "completed", "device": device,
        "workload": workload, "size": "S", "precision": precision, "batch_size": batch,
        "samples_per_step": batch, "params": 1000, "flops_per_step": flops_per_step,
        "samples_per_s": samples_per_s, "energy_j": None, "timed_s": 10.0, "telemetry": {},
        "device_info": {"name": device_name, "memory_bytes": 64e9,
                        "details": {"physical_cores": threads, "torch_threads": threads}},
        "environment": {"cpu_model": device_name if device == "cpu" else cpu_model(),
                        "hostname": hostname or socket.gethostname(), "torch": "2.13.0", "torch_threads": threads},
        "spec": {"workload": workload, "device": device, "threads": threads, "knobs": {}, "precision": precision,
                 "model": "tests:own" if workload == "own" else None},
        "started_at": 1_790_000_000.0, **extra,
    }


def run_result(run_id: str, device: str = "cpu", samples_per_s: float = 1000.0, flops_per_step: float = 1e11,
               batch: int = 100, device_name: str = TEST_CPU_NAME, threads: int = 16, precision: str = "fp32",
               workload: str = "user", hostname: str | None = None, steps: int = 100, model: str = "tests:own",
               **fields: Any) -> RunResult:
    """A run measured at ``samples_per_s`` over ``steps`` equal timed steps (10 s by default), of
    a model the advisor estimates from its 1,000 parameters (``workload="user"``) or a built-in
    (``workload="cnn"``...): every figure derives from its raw fields as in a real run.
    ``fields`` set any other ``RunResult`` field (``status``, ``energy_j``, ``telemetry``...)."""
    spec = RunSpec(workload=workload, device=device, batch_size=batch, precision=precision, threads=threads,
                   name=run_id, model=model if workload == "user" else "")
    run = RunResult(
        spec=spec, run_id=run_id, status="completed", batch_size=batch, samples_per_step=batch, params=1000,
        flops_per_step=flops_per_step, step_times_s=[batch / samples_per_s] * steps, started_at=1_790_000_000.0,
        device_info={"name": device_name, "memory_bytes": 64e9,
                     "details": {"physical_cores": threads, "torch_threads": threads}},
        environment={"cpu_model": device_name if device == "cpu" else cpu_model(),
                     "hostname": hostname or socket.gethostname(), "torch": "2.13.0", "torch_threads": threads})
    for name, value in fields.items():
        if not hasattr(run, name):
            raise TypeError(f"RunResult has no field {name!r}")
        setattr(run, name, value)
    return run


def collect() -> tuple[EventBus, list[object]]:
    """A bus and the list every event published on it lands in."""
    bus = EventBus()
    events: list[object] = []
    bus.subscribe(events.append)
    return bus, events


def no_worker_left() -> bool:
    """No worker process remains (multiprocessing's shared resource tracker is not a worker)."""
    import psutil

    alive = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "resource_tracker" not in " ".join(child.cmdline()):
                alive.append(child)
        except psutil.NoSuchProcess:
            pass
    return not alive


#: how long a condition may take on a loaded machine before a test gives up on it
WAIT_S = 60.0
WAIT_MS = int(WAIT_S * 1000)  # the same, for qtbot.waitUntil


def wait_until(condition: Callable[[], object], timeout_s: float = WAIT_S, what: str = "the condition") -> None:
    """Poll ``condition`` until it holds; AssertionError after ``timeout_s`` (generous: a busy
    machine is slow, never wrong). The way tests wait: never a fixed sleep."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout_s:g} s")
        time.sleep(0.01)


def stop_process(proc: subprocess.Popen[Any], group: bool = False) -> None:
    """Kill ``proc`` (its whole process group with ``group``) if it still runs and reap it: call
    it in a ``finally`` so that no test leaves a child behind, whatever failed."""
    if proc.poll() is None:
        try:
            if group:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        except (ProcessLookupError, PermissionError):
            pass
    try:
        proc.communicate(timeout=WAIT_S)
    except (subprocess.TimeoutExpired, ValueError):
        pass


def scale_result(run_id: str, world_size: int, step_s: float, splits: list[tuple[float, float, float]] | None = None,
                 batch: int = 64, started_at: float = 1.0e9, mode: str = "strong", strategy: str = "ddp",
                 busbw: float | None = 1.0e9, status: str = "completed") -> dict[str, Any]:
    """A fabricated scale point (``horsepower scale``'s result dict) of ``world_size`` CPU ranks over
    gloo: 20 timed steps of ``step_s``; ``splits`` are each rank's (input, compute, comm) seconds,
    whose sum is that rank's step time; the straggler and all-reduce probe as the engine writes them."""
    spec = RunSpec(workload="mlp", device="cpu", batch_size=batch, threads=1, world_size=world_size, phase_every=0)
    result = RunResult(spec=spec, run_id=run_id, status=status, batch_size=batch, samples_per_step=batch)
    result.step_times_s = [step_s] * 20 if status == "completed" else []
    result.started_at = started_at
    splits = splits or [(0.0001, step_s * 0.8, step_s * 0.2 - 0.0001)] * world_size
    ranks = [{"rank": r, "local_rank": r, "node": 0, "host": "testhost", "device": "cpu", "threads": 1,
              "steps": 20, "step_time_s": sum(s), "samples_per_s": None,
              "split": {"step_s": sum(s), "input_s": s[0], "compute_s": s[1], "comm_s": s[2]},
              "loss_last": 1.0, "peak_flops_per_s": None} for r, s in enumerate(splits)]
    busy = {r: s[0] + s[1] for r, s in enumerate(splits)}
    slowest = max(busy, key=lambda r: (busy[r], -r))
    median = sorted(busy.values())[len(busy) // 2] if len(busy) % 2 else \
        sum(sorted(busy.values())[len(busy) // 2 - 1:len(busy) // 2 + 1]) / 2
    probe = ({"nbytes": 8 * 2**20, "time_s": 8 * 2**20 / busbw, "algbw_bytes_per_s": busbw,
              "busbw_bytes_per_s": busbw, "reason": ""} if world_size > 1 and busbw else
             {"nbytes": 8 * 2**20, "time_s": None, "algbw_bytes_per_s": None, "busbw_bytes_per_s": None,
              "reason": "one rank: an all-reduce moves no data"})
    result.distributed = {
        "world_size": world_size, "nodes": 1, "strategy": strategy, "backend": "gloo", "mode": mode,
        "batch_per_rank": batch // world_size if mode == "strong" else batch,
        "global_batch": batch if mode == "strong" else batch * world_size,
        "split_basis": "comm = exposed gradient all-reduce", "ranks": ranks,
        "straggler": {"rank": slowest, "busy_s": busy[slowest], "median_busy_s": median,
                      "ratio_to_median": busy[slowest] / median},
        "allreduce": probe, "energy_by_node": [], "launcher": {},
    }
    result.environment = {"logical_cpus": 2, "hostname": "testhost"}
    return result.to_dict()


#: the fixture corpus's models: (FLOPs per sample, parameters, convolution share, activation bytes per sample)
FIXTURE_MODELS = ((24e9, 25_000_000, 1.0, 9e7), (8e11, 3e8, 0.0, 1.4e9), (1e11, 1e8, 0.5, 3e8),
                  (4e10, 5e7, 0.9, 2e8), (3e11, 2e8, 0.0, 6e8), (6e10, 6e7, 0.2, 1e8))


def fixture_corpus(*devices: HardwareDevice, efficiency: float = 0.3, models: int = 3,
                   sources: int = 1) -> tuple[list[CorpusRow], dict[str, ModelFacts]]:
    """Corpus rows of ``models`` fixture models (the first of family cnn, the rest bert) on
    ``devices`` at fp32 and bf16, each measured by ``sources`` sources, published at
    ``efficiency`` of its roof rate times a small fixed spread; and the models' counted facts."""
    facts = [ModelFacts(f"fixture-{i}", {}, flops, params, share, act, "fixture")
             for i, (flops, params, share, act) in enumerate(FIXTURE_MODELS[:models])]
    facts_by_key = {facts_key(m.ref, {}): m for m in facts}
    rows = []
    spread = (0.9, 1.0, 1.1, 0.95, 1.05, 0.92, 1.08)
    for d, device in enumerate(devices):
        for m, model in enumerate(facts):
            for precision in ("fp32", "bf16"):
                if device.peak(precision) is None:
                    continue
                for source in range(sources):
                    case = Case(device, precision, model, 64, "cnn" if m == 0 else "bert")
                    rate = roof_of(case).rate * efficiency * spread[(d + m + source) % len(spread)]
                    rows.append(CorpusRow(f"{device.id}-{m}-{precision}-{source}", case.family or "cnn", model.ref,
                                          model.ref, {}, 64, precision, device, rate, f"fixture-{source}", "", ""))
    return rows, facts_by_key


def gpu_model(*devices: HardwareDevice, efficiency: float = 0.3) -> GpuModel:
    """A GPU efficiency model fitted to a fixture corpus (``fixture_corpus``: three models)."""
    rows, facts_by_key = fixture_corpus(*devices, efficiency=efficiency)
    return GpuModel.build(rows, facts_by_key)
