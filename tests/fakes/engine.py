"""Synthetic engine pieces for GUI tests that need no torch (a catalog, a supervise), and
the worker-process check the tests share."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import psutil

from gui.runs.catalog_loader import Catalog, WorkloadInfo
from profiler.events import EventBus, RunFinished, RunStateChanged, StepFinished, TelemetrySample
from profiler.results.result import RunResult, RunState
from profiler.results.spec import RunSpec


@dataclass(frozen=True)
class FakeDevice:
    id: str
    kind: str
    name: str
    vendor: str = ""
    available: bool = True
    reason: str = ""
    memory_bytes: int | None = None
    compute_units: int | None = None
    compute_unit_name: str = ""
    details: dict[str, Any] = field(default_factory=dict)


CUDA_REASON = "this torch is a CPU-only build; install a CUDA build of torch to use an NVIDIA GPU"


def fake_catalog() -> Catalog:
    return Catalog(
        devices=[
            FakeDevice("cpu", "cpu", "Test CPU 9000", "AMD", memory_bytes=8 * 2**30,
                       compute_units=2, compute_unit_name="logical cores"),
            FakeDevice("cuda", "cuda", "NVIDIA GPU", "NVIDIA", available=False, reason=CUDA_REASON),
        ],
        workloads={
            "mlp": WorkloadInfo("mlp", "MLP (MNIST-shaped)", "Fully connected classifier.",
                                ("S", "M", "L"), {"S": 256, "M": 256, "L": 512}),
        },
        torch_version="2.13.0+fake",
    )


def fake_supervise(spec: RunSpec, bus: EventBus, cancel: threading.Event,
                   run_id: str | None = None, step_s: float = 0.005) -> RunResult:
    """Publishes steps every ``step_s`` and host telemetry at 10 Hz until the duration or cancel."""
    run_id = run_id or "fake"
    result = RunResult(spec=spec, run_id=run_id, batch_size=32, samples_per_step=32,
                       flops_per_step=1e9, peak_flops_per_s=1e11)
    bus.publish(RunStateChanged(run_id, RunState.MEASURING, ""))
    start = time.perf_counter()
    step, next_tel = 0, 0.0
    while not cancel.is_set() and time.perf_counter() - start < (spec.duration_s or 1.0):
        time.sleep(step_s)
        step += 1
        t = time.perf_counter() - start
        result.step_times_s.append(step_s)
        result.losses.append(2.0 / step)
        bus.publish(StepFinished(run_id, step, "timed", t, step_s, 32, 2.0 / step))
        if t >= next_tel:
            next_tel += 0.1
            bus.publish(TelemetrySample(run_id, "host", t, {
                "cpu_util_percent": 50.0, "cpu_per_core_percent": [40.0, 60.0],
                "process_rss_bytes": 300 * 2**20, "cpu_freq_mhz": None,
            }))
            if spec.device != "cpu":
                bus.publish(TelemetrySample(run_id, spec.device, t, {
                    "util_percent": 90.0, "alloc_bytes": 2**30, "reserved_bytes": 2 * 2**30,
                    "power_w": None,
                }))
    result.status = RunState.STOPPED if cancel.is_set() else RunState.COMPLETED
    result.ended_at = time.time()
    bus.publish(RunFinished(run_id, result.to_dict()))
    return result


def raising_supervise(spec: RunSpec, bus: EventBus, cancel: threading.Event,
                      run_id: str | None = None) -> RunResult:
    raise RuntimeError("supervisor exploded")


def worker_children() -> list[psutil.Process]:
    """Child processes of this one, except multiprocessing's long-lived resource tracker."""
    out = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "resource_tracker" in " ".join(child.cmdline()):
                continue
            out.append(child)
        except psutil.Error:
            continue
    return out
