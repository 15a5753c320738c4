"""Synthetic engine pieces for GUI tests that need no torch (a catalog, a supervise), and
the worker-process check the tests share."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import psutil

from gui.runs.catalog_loader import Catalog, WorkloadInfo
from profiler.events import (
    EventBus,
    PhaseSample,
    RunDescribed,
    RunFinished,
    RunStateChanged,
    StepFinished,
    TelemetrySample,
)
from profiler.metrics.phases import PhaseRecord
from profiler.results.description import RunDescription
from profiler.results.result import RunResult, RunState
from profiler.results.spec import RunSpec, TraceRequest


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
    bus.publish(RunFinished(run_id, result))
    return result


#: what ``phased_supervise`` describes its run with: a CPU peak from the ISA table, a measured GEMM
FAKE_PEAK_INPUTS = {"cores": 2, "flop_per_cycle": 32.0, "dtype": "fp32", "isa": "AVX-512 FMA",
                    "clock_ghz": 2.5, "clock_method": "measured: dependent-add chain"}
FAKE_DESCRIBED = {"batch_size": 32, "samples_per_step": 32, "params": 1000, "flops_per_step": 1e9,
                  "peak_flops_per_s": 1.6e11, "peak_source": "ISA table", "peak_inputs": FAKE_PEAK_INPUTS,
                  "ceiling_flops_per_s": 1.25e11, "ceiling_source": "the best GEMM measured here: MKL matmul 2048",
                  "sample_unit": "samples"}


def phased_supervise(phases_s: Mapping[str, float], step_s: float = 0.005,
                     seen: list[TraceRequest | None] | None = None) -> Callable[..., RunResult]:
    """A supervise like ``fake_supervise`` that also describes its run (``FAKE_DESCRIBED``),
    publishes a ``PhaseSample`` of ``phases_s`` every 10th step, and, given a ``trace``, writes
    a small Chrome trace there and keeps it on the result as the real worker does; ``seen``
    collects each call's trace request."""

    def supervise(spec: RunSpec, bus: EventBus, cancel: threading.Event, run_id: str | None = None,
                  trace: TraceRequest | None = None) -> RunResult:
        run_id = run_id or "fake"
        if seen is not None:
            seen.append(trace)
        result = RunResult(spec=spec, run_id=run_id, batch_size=32, samples_per_step=32, flops_per_step=1e9,
                           peak_flops_per_s=1.6e11, peak_source="ISA table", peak_inputs=dict(FAKE_PEAK_INPUTS),
                           ceiling_flops_per_s=1.25e11, ceiling_source=str(FAKE_DESCRIBED["ceiling_source"]))
        record = result.phase_record = PhaseRecord(10, 0.0, in_timed_window=True)
        bus.publish(RunDescribed(run_id, RunDescription(**FAKE_DESCRIBED)))  # type: ignore[arg-type]
        bus.publish(RunStateChanged(run_id, RunState.MEASURING, ""))
        start, step = time.perf_counter(), 0
        while not cancel.is_set() and time.perf_counter() - start < (spec.duration_s or 1.0):
            time.sleep(step_s)
            step += 1
            t = time.perf_counter() - start
            result.step_times_s.append(step_s)
            result.losses.append(2.0 / step)
            bus.publish(StepFinished(run_id, step, "timed", t, step_s, 32, 2.0 / step))
            if step % 10 == 0:
                bus.publish(PhaseSample(run_id, step, t, dict(phases_s)))
                record.sampled_steps += 1
                record.samples.append(dict(phases_s))
                bus.publish(TelemetrySample(run_id, "host", t, {
                    "cpu_util_percent": 90.0, "process_cpu_percent": 76.0, "process_cpu_share_percent": 38.0}))
        if trace is not None and not cancel.is_set():
            events = [{"name": "aten::mm", "ph": "X", "ts": 0, "dur": 5, "pid": 1, "tid": 1}]
            with open(trace.path, "w", encoding="utf-8") as f:
                json.dump({"traceEvents": events}, f)
            result.trace = {"path": os.path.abspath(trace.path), "steps": trace.steps, "activities": ["cpu"],
                            "bytes": os.path.getsize(trace.path), "capture_s": 0.01, "format": "chrome-trace-json"}
        result.status = RunState.STOPPED if cancel.is_set() else RunState.COMPLETED
        result.ended_at = time.time()
        bus.publish(RunFinished(run_id, result))
        return result

    return supervise


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
