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
from profiler.results.description import RunDescription
from profiler.results.result import RunResult, RunState
from profiler.results.spec import RunSpec
from profiler.runner.finish import finish
from profiler.runner.phases import MIN_INTERVAL_S
from profiler.runner.sampler import energy_in_window, energy_points, summarize_samples
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
        self.energy: list[tuple[float, float]] = []  # (t_s, the device's cumulative energy_j), any state
        self.notices: list[str] = []
        self.warnings: list[str] = []
        self.throttle: list[str] = []
        self.description: RunDescription | None = None
        self.compile_s: float | None = None
        self.phase_samples: list[dict[str, float]] = []
        self.phase_steps = 0
        self.window: tuple[float, float] | None = None  # (start, end) t_s of the timed steps seen
        #: the worker's last resident set size reading, any stage (bytes; None before one)
        self.last_rss_bytes: float | None = None

    def observe(self, event: Event) -> None:
        if isinstance(event, StepFinished):
            self.samples_per_step = event.samples
            if event.stage == "timed":
                self.step_times_s.append(event.step_time_s)
                if event.loss is not None:
                    self.losses.append(event.loss)
                start = self.window[0] if self.window else event.t_s - event.step_time_s
                self.window = (start, event.t_s)
            elif event.stage == "warmup":
                self.warmup_steps += 1
            elif event.stage == "compile":
                self.compile_s = event.step_time_s
        elif isinstance(event, TelemetrySample):
            if event.source != keys.HOST and len(self.energy) < MAX_KEPT_SAMPLES:
                self.energy.extend(energy_points([(event.t_s, event.values)]))
            rss = event.values.get("process_rss_bytes") if event.source == keys.HOST else None
            if isinstance(rss, (int, float)) and not isinstance(rss, bool):
                self.last_rss_bytes = float(rss)
            if self.state == RunState.MEASURING and len(self.host) + len(self.device) < MAX_KEPT_SAMPLES:
                (self.host if event.source == keys.HOST else self.device).append(event.values)
        elif isinstance(event, PhaseSample):
            self.phase_steps += 1
            if len(self.phase_samples) < MAX_KEPT_SAMPLES:
                self.phase_samples.append(dict(event.phases))
        elif isinstance(event, RunDescribed):
            self.description = event.description
        elif isinstance(event, RunStateChanged):
            self.state = event.state
        elif isinstance(event, RunNotice):
            if event.kind == "throttle":
                self.throttle.append(event.message)
            else:
                (self.warnings if event.kind == "warning" else self.notices).append(event.message)

    def to_result(self, status: str, error: str | None, advice: str | None = None) -> RunResult:
        """The run as far as its events tell, finished like any run (``profiler.runner.finish``)."""
        result = RunResult(spec=self.spec, run_id=self.run_id, status=status, started_at=self.started_at)
        result.samples_per_step = self.samples_per_step
        if self.description is not None:
            self.description.fill(result)
        result.batch_size = result.batch_size or self.spec.batch_size or self.samples_per_step
        result.step_times_s = list(self.step_times_s)
        result.losses = list(self.losses)
        result.warmup_steps = self.warmup_steps
        result.compile_s = self.compile_s
        result.notices = list(self.notices)
        result.warnings = list(self.warnings)
        result.error = error
        result.advice = advice
        telemetry = summarize_samples(self.host, keys.HOST)
        telemetry.update(summarize_samples(self.device, self.spec.device))
        energy = energy_in_window(self.energy, *self.window) if self.window else None
        record = None
        if self.phase_samples:
            inside = not is_accelerator(self.spec.device)  # as the loop does: CPU sampled steps are timed
            record = PhaseRecord(self.spec.phase_every, MIN_INTERVAL_S, self.phase_steps,
                                 list(self.phase_samples), in_timed_window=inside)
        return finish(result, telemetry=telemetry, energy_j=energy, throttle=self.throttle, phase_record=record)
