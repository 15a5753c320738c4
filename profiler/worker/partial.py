"""Rebuild what a run measured from its events, for when the worker dies mid-run.

No run data is lost when a worker crashes: the supervisor feeds every event it relays
into a ``PartialRun`` and, if no final result arrives, turns it into a failed result that
keeps every step and telemetry sample received.
"""

from __future__ import annotations

import time
from typing import Any

from profiler.events import (
    Event,
    PhaseSample,
    RunDescribed,
    RunNotice,
    RunStateChanged,
    StepFinished,
    TelemetrySample,
)
from profiler.metrics import keys
from profiler.metrics.phases import PhaseRecord
from profiler.results.result import RunResult, RunState
from profiler.results.spec import RunSpec
from profiler.results.stats import quality_warnings
from profiler.runner.phases import MIN_INTERVAL_S
from profiler.runner.references import reference_warnings
from profiler.runner.sampler import summarize_samples
from profiler.workloads.sync import is_accelerator

MAX_KEPT_SAMPLES = 36_000


class PartialRun:
    """Accumulates a run's events (supervisor thread only)."""

    def __init__(self, spec: RunSpec, run_id: str) -> None:
        self.spec = spec
        self.run_id = run_id
        self.state = RunState.PENDING
        self.started_at = time.time()
        self.warmup_steps = 0
        self.step_times_s: list[float] = []
        self.losses: list[float] = []
        self.samples_per_step = 0
        self.host: list[dict[str, Any]] = []
        self.device: list[dict[str, Any]] = []
        self.notices: list[str] = []
        self.warnings: list[str] = []
        self.described: dict[str, Any] = {}
        self.compile_s: float | None = None
        self.phase_samples: list[dict[str, float]] = []
        self.phase_steps = 0

    def observe(self, event: Event) -> None:
        if isinstance(event, StepFinished):
            self.samples_per_step = event.samples
            if event.phase == "timed":
                self.step_times_s.append(event.step_time_s)
                if event.loss is not None:
                    self.losses.append(event.loss)
            elif event.phase == "warmup":
                self.warmup_steps += 1
            elif event.phase == "compile":
                self.compile_s = event.step_time_s
        elif isinstance(event, TelemetrySample):
            if self.state == RunState.MEASURING and len(self.host) + len(self.device) < MAX_KEPT_SAMPLES:
                (self.host if event.source == keys.HOST else self.device).append(event.values)
        elif isinstance(event, PhaseSample):
            self.phase_steps += 1
            if len(self.phase_samples) < MAX_KEPT_SAMPLES:
                self.phase_samples.append(dict(event.phases))
        elif isinstance(event, RunDescribed):
            self.described = dict(event.info)
        elif isinstance(event, RunStateChanged):
            self.state = event.state
        elif isinstance(event, RunNotice):
            (self.warnings if event.kind == "warning" else self.notices).append(event.message)

    def to_result(self, status: str, error: str | None, advice: str | None = None) -> RunResult:
        result = RunResult(spec=self.spec, run_id=self.run_id, status=status, started_at=self.started_at)
        result.ended_at = time.time()
        result.samples_per_step = self.samples_per_step
        info = self.described
        result.batch_size = info.get("batch_size") or self.spec.batch_size or self.samples_per_step
        result.params = info.get("params") or 0  # 0: the model was never built
        result.flops_per_step = info.get("flops_per_step")
        result.peak_flops_per_s = info.get("peak_flops_per_s")
        result.peak_source = info.get("peak_source")
        result.peak_inputs = dict(info.get("peak_inputs") or {})
        result.ceiling_flops_per_s = info.get("ceiling_flops_per_s")
        result.ceiling_source = info.get("ceiling_source")
        result.ceiling_inputs = dict(info.get("ceiling_inputs") or {})
        result.step_times_s = list(self.step_times_s)
        result.losses = list(self.losses)
        result.warmup_steps = self.warmup_steps
        result.telemetry = summarize_samples(self.host, keys.HOST)
        result.telemetry.update(summarize_samples(self.device, self.spec.device))
        result.compile_s = self.compile_s
        if self.phase_samples:
            inside = not is_accelerator(self.spec.device)  # as the loop does: CPU sampled steps are timed
            result.phase_record = PhaseRecord(self.spec.phase_every, MIN_INTERVAL_S, self.phase_steps,
                                              list(self.phase_samples), in_timed_window=inside)
        result.device_info = dict(info.get("device_info") or {})
        result.notices = list(self.notices)
        result.warnings = list(self.warnings)
        result.warnings.extend(quality_warnings(result.step_times_s))
        result.sample_unit = str(info.get("sample_unit") or "samples")
        result.tokens_per_sample = info.get("tokens_per_sample")
        result.warnings.extend(reference_warnings(result))
        result.error = error
        result.advice = advice
        return result
