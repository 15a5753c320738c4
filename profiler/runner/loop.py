"""The measured training run: prepare, warm up, time a window, summarize.

Thread: ``run_training`` runs on the calling thread (the CLI's main thread or a training worker
process). It publishes events on ``bus`` and checks ``cancel`` after every step.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import torch

from profiler import accelerator
from profiler.devices.discovery import DeviceInfo
from profiler.error_text import first_line
from profiler.events import (
    EventBus,
    PhaseSample,
    RunDescribed,
    RunFinished,
    RunNotice,
    RunStateChanged,
    StepFinished,
)
from profiler.metrics.allocator import allocator_finding
from profiler.metrics.flop_coverage import StepFlops
from profiler.metrics.phases import DATA_WAIT, H2D_COPY
from profiler.metrics.start_progress import step_message
from profiler.results.description import RunDescription
from profiler.results.result import RunResult, RunState, new_run_id
from profiler.results.spec import RunSpec, TraceRequest, capture_environment
from profiler.runner import faults
from profiler.runner.allocator import apply_allocator, minor_faults
from profiler.runner.clock import StepClock
from profiler.runner.deadline import deadline
from profiler.runner.finish import finish
from profiler.runner.oom import free_device_memory, is_oom, largest_fitting_batch, oom_advice
from profiler.runner.phases import BatchFeed, PhaseLog, PhaseSchedule, PhaseTimer, sampled_step
from profiler.runner.precision import plan_precision
from profiler.runner.references import find_references
from profiler.runner.sampler import TelemetrySampler
from profiler.runner.step import StepFn, make_optimizer, make_step
from profiler.runner.trace import capture_trace
from profiler.runner.validate import validate_spec
from profiler.runner.warmup import WarmupGate
from profiler.workloads import workload_for
from profiler.workloads.base import BuiltWorkload
from profiler.workloads.loading import UserCodeError
from profiler.workloads.sync import synchronize
from profiler.workloads.user import check_model_file

log = logging.getLogger(__name__)

#: decides after each step whether a stage (warm-up, timed) is over: (resolved step times, unresolved steps) -> stop?
StopRule = Callable[[list[float], int], bool]

PIPELINE_SAMPLES = 4096  # host-resident samples behind the DataLoader in input-pipeline mode


def run_training(
    spec: RunSpec,
    bus: EventBus | None = None,
    cancel: threading.Event | None = None,
    run_id: str | None = None,
    device_info: DeviceInfo | None = None,
    trace: TraceRequest | None = None,
) -> RunResult:
    """Train ``spec``'s workload and measure it. Raises SpecError for a spec that cannot run
    (before anything starts); every other failure ends in a result with status failed/oom.

    ``device_info`` is ``validate_spec(spec)``'s answer when the caller already validated the
    spec (the spec is validated once per run); without it the spec is validated here.
    ``trace`` asks for a ``torch.profiler`` trace of a few steps after the timed window
    (``profiler.runner.trace``); the caller checked that its path can be written.
    """
    if device_info is None:
        device_info = validate_spec(spec)
    run = _Run(spec, bus or EventBus(), cancel or threading.Event(), run_id or new_run_id(), device_info)
    run.trace_request = trace
    return run.execute()


class _Run:
    def __init__(
        self, spec: RunSpec, bus: EventBus, cancel: threading.Event, run_id: str, device_info: DeviceInfo
    ) -> None:
        self.spec = spec
        self.bus = bus
        self.cancel = cancel
        self.device = torch.device(spec.device)
        self.t0 = time.perf_counter()
        self.result = RunResult(spec=spec, run_id=run_id, device_info=device_info.to_dict())
        self.fault = faults.configured_fault()
        self.sampler: TelemetrySampler | None = None
        self.step_index = 0
        self.nonfinite_losses: list[int] = []  # timed steps whose loss was NaN or infinite
        self.workload = workload_for(spec)  # a user's model is loaded (their code runs) in _build
        self.trace_request: TraceRequest | None = None
        self.phase_timer = PhaseTimer(self.device)
        self.phase_schedule = PhaseSchedule(spec.phase_every, seed=spec.seed, free=not self.phase_timer.synchronizes)
        self.phase_log = PhaseLog(self.phase_schedule, in_timed_window=not self.phase_timer.synchronizes)

    # ---- helpers ---------------------------------------------------------------------
    def now_s(self) -> float:
        return time.perf_counter() - self.t0

    def set_state(self, state: str, message: str = "") -> None:
        self.result.status = state
        self.bus.publish(RunStateChanged(self.result.run_id, state, message))

    def notice(self, kind: str, message: str) -> None:
        if kind == "warning":
            self.result.warnings.append(message)
        else:
            self.result.notices.append(message)
        self.bus.publish(RunNotice(self.result.run_id, kind, message, self.now_s()))

    # ---- stages ----------------------------------------------------------------------
    def execute(self) -> RunResult:
        result = self.result
        self.set_state(RunState.PREPARING, step_message(0, f"building {self.spec.model_label} on {self.spec.device}"))
        with ExitStack() as stack:
            try:
                self._train(stack)
                result.status = RunState.STOPPED if self.cancel.is_set() else RunState.COMPLETED
            except Exception as exc:
                # Drop the failed model, optimizer and batches held by the traceback's frames, so
                # the OOM search below and the next run get the memory back.
                traceback.clear_frames(exc.__traceback__)
                self._fail(exc)
            finally:
                self._finish()
        return result

    def _train(self, stack: ExitStack) -> None:
        spec = self.spec
        if spec.threads is not None:
            torch.set_num_threads(spec.threads)
        said = apply_allocator(spec.allocator)
        if said:
            self.notice("info", said)
        if self.device.type != "cpu" and self.device.index is not None:
            # Events, streams and capability queries use the current device: make it ours.
            accelerator.set_device(self.device)
        self.result.environment = capture_environment(spec.threads)
        built = self._build()
        batches = self._batches(built, stack)
        step = self._prepare_step(built, batches)
        self._start_sampler()
        self._warm_up(step, batches)
        self.result.loss_source = built.loss_source  # known once a step ran
        if not self.cancel.is_set():
            self._measure(step, batches)
        if self.trace_request is not None and not self.cancel.is_set():
            self._record_trace(step, batches, self.trace_request)

    def _build(self) -> BuiltWorkload:
        spec, result = self.spec, self.result
        if spec.is_user_model:
            check_model_file(spec)
        with deadline(spec.build_timeout_s if spec.is_user_model else None):  # bounded in a worker only
            built = self.workload.build(self.device, spec.size, spec.batch_size, spec.knobs, spec.channels_last,
                                        spec.seed)
        if spec.channels_last and not built.channels_last:
            self.notice("info", f"{spec.model_label} has no 2-D convolutions: channels_last ignored")
        result.batch_size = built.batch_size
        result.samples_per_step = built.samples_per_step
        result.params = built.params
        result.sample_unit = built.sample_unit
        result.tokens_per_sample = built.tokens_per_sample
        result.architecture = built.architecture
        library = getattr(getattr(self.workload, "source", None), "library", "")
        if library:
            result.environment["model_library"] = library
        self.set_state(RunState.PREPARING, step_message(1))
        result.flops_per_step = self._count_flops(built)
        self.set_state(RunState.PREPARING, step_message(2))
        self._peaks()
        self.bus.publish(RunDescribed(result.run_id, RunDescription.of(result, spec.model_label)))
        return built

    def _count_flops(self, built: BuiltWorkload) -> float | None:
        """Counted on meta; else on the run's device (noted); else None with the reason. Ops
        with no FLOP formula are named in a warning and in ``result.flop_coverage``."""
        step = self._count_step(built)
        if step is None:
            return None
        self.result.flop_coverage = step
        if step.uncounted:
            self.notice("warning", step.sentence())
        return float(step.flops)

    def _count_step(self, built: BuiltWorkload) -> StepFlops | None:
        from profiler.workloads.flops import count_on_device_step, count_train_step

        spec = self.spec
        try:
            with deadline(spec.build_timeout_s if spec.is_user_model else None):  # rebuilds it on meta
                return count_train_step(self.workload, spec.size, built.batch_size, dict(built.knobs),
                                        channels_last=built.channels_last)
        except Exception as exc:
            meta_reason = first_line(exc)
            log.info("FLOPs of %s not countable on meta: %s", spec.model_label, meta_reason)
        try:
            step = count_on_device_step(built)
        except Exception as exc:
            log.exception("FLOP counting failed")
            if self.device.type != "cpu":
                free_device_memory(self.device)
            self.notice("warning", f"FLOPs n/a: could not count ({first_line(exc)}; on meta: {meta_reason}); "
                                   "TFLOP/s and MFU are n/a")
            return None
        self.notice("info", f"FLOPs counted on {spec.device} (the model does not run on the meta device: "
                            f"{meta_reason})")
        return step

    def _peaks(self) -> None:
        """The hardware peak and the best GEMM measured here, found out of this process: no
        probe allocates here before the timed window (it would change the run's speed)."""
        result = self.result
        refs = find_references(self.spec.device, self.spec.precision, result.device_info)
        result.peak_flops_per_s, result.peak_source = refs.peak.flops_per_s, refs.peak.source
        result.peak_inputs = {**refs.peak.inputs, **({"reason": refs.peak.reason} if refs.peak.reason else {})}
        result.ceiling_flops_per_s, result.ceiling_source = refs.ceiling.flops_per_s, refs.ceiling.source
        result.ceiling_inputs = dict(refs.ceiling.inputs)
        for message in refs.warnings:
            self.notice("warning", message)
        for message in refs.notices:
            self.notice("info", message)

    def _batches(self, built: BuiltWorkload, stack: ExitStack) -> BatchFeed:
        if not self.spec.input_pipeline:
            return BatchFeed(built.make_batch)  # batches already on the device
        from profiler.workloads.pipeline import host_batches, make_loader

        loader = make_loader(built, PIPELINE_SAMPLES, self.spec.loader_workers, self.spec.pin_memory,
                             self.spec.loader_delay_ms)
        stack.callback(_shutdown_loader, loader)
        self.result.input_wait_s = 0.0
        host = host_batches(loader)
        return BatchFeed(host.__next__, self.device)

    def _prepare_step(self, built: BuiltWorkload, batches: BatchFeed) -> StepFn:
        plan = plan_precision(self.spec.device, self.spec.precision)
        optimizer = make_optimizer(built)
        built.model.train()
        if not self.spec.compile:
            return make_step(built, built.model, optimizer, plan)
        self.notice("info", "compiling the model with torch.compile (first step includes compilation)")
        compiled = torch.compile(built.model)
        step = make_step(built, compiled, optimizer, plan)
        start = time.perf_counter()
        try:
            loss = step(batches.next())
            synchronize(self.device)
            self.result.compile_s = time.perf_counter() - start
            self.bus.publish(StepFinished(self.result.run_id, 0, "compile", self.now_s(), self.result.compile_s,
                                          built.samples_per_step, float(loss)))
            return step
        except Exception as exc:
            if is_oom(exc):
                raise
            self.notice("warning", f"torch.compile failed ({first_line(exc, 160)}); ran eager instead")
            return make_step(built, built.model, optimizer, plan)

    def _start_sampler(self) -> None:
        from profiler.devices.registry import open_backends

        uuid = str(self.result.device_info.get("details", {}).get("uuid") or "") or None
        device_id = self.spec.device
        self.sampler = TelemetrySampler(
            self.result.run_id, self.bus, self.t0, self.spec.sample_hz, device_id,
            open_backends=lambda: open_backends(device_id, uuid),
            track_children=self.spec.input_pipeline,
        )
        self.sampler.start()

    def _run_steps(self, step: StepFn, batches: BatchFeed, clock: StepClock, stage: str,
                   stop_when: StopRule, times: list[float]) -> None:
        """Run steps until ``stop_when`` says so, appending synchronized step times (s) to ``times``
        as they resolve: a failure mid-stage keeps every step measured so far. In the timed
        stage the phase schedule picks steps to time phase by phase: on the CPU they stay timed
        steps (a few clock reads change nothing); on an accelerator, where the phases are
        synchronized, they are left out of the timed window."""
        samples = self.result.samples_per_step
        pending: list[tuple[int, torch.Tensor]] = []
        losses = self.result.losses
        run_id = self.result.run_id
        timed = stage == "timed"
        track_wait = self.result.input_wait_s is not None and timed
        clock.start()
        while not self.cancel.is_set():
            sample = timed and self.phase_schedule.due(len(times) + len(pending))
            if sample and self.phase_timer.synchronizes:
                self._emit(clock.pause(), pending, times, losses, run_id, stage, samples)
                self.step_index += 1
                _loss, excluded = self._sample_phases(step, batches, len(times), track_wait=False)
                self.bus.publish(PhaseSample(run_id, self.step_index, self.now_s(), excluded))
                clock.resume()
                if stop_when(times, len(pending)):
                    break
                continue
            self.step_index += 1
            if timed:
                faults.maybe_fire(self.fault, len(times) + len(pending) + 1)
            phases: dict[str, float] | None = None
            if sample:
                loss, phases = self._sample_phases(step, batches, len(times) + len(pending), track_wait)
            elif track_wait:
                wait_start = time.perf_counter()
                batch = batches.next()
                self.result.input_wait_s += time.perf_counter() - wait_start  # type: ignore[operator]
                loss = step(batch)
            else:
                loss = step(batches.next())
            pending.append((self.step_index, loss))
            if clock.step_done():
                self._emit(clock.collect(), pending, times, losses, run_id, stage, samples)
            if phases is not None:
                self.bus.publish(PhaseSample(run_id, self.step_index, self.now_s(), phases))
            if stop_when(times, len(pending)):
                break
        self._emit(clock.finish(), pending, times, losses, run_id, stage, samples)

    def _sample_phases(self, step: StepFn, batches: BatchFeed, timed_steps: int,
                       track_wait: bool) -> tuple[torch.Tensor, dict[str, float]]:
        """One phase-timed step (``profiler.runner.phases``), logged; returns (loss, phases)."""
        loss, phases = sampled_step(step, batches, self.phase_timer)
        self.phase_schedule.taken(timed_steps)
        self.phase_log.add(phases)
        if track_wait:
            self.result.input_wait_s += phases.get(DATA_WAIT, 0.0) + phases.get(H2D_COPY, 0.0)  # type: ignore[operator]
        return loss, phases

    def _record_trace(self, step: StepFn, batches: BatchFeed, request: TraceRequest) -> None:
        """Record ``request.steps`` steps with torch.profiler, after the timed window closed."""
        self.bus.publish(RunNotice(self.result.run_id, "info", f"recording a trace of {request.steps} steps with "
                                   "torch.profiler after the timed window (not in the figures)", self.now_s()))
        try:
            self.result.trace = capture_trace(step, batches, self.device, request, self.cancel.is_set)
            if self.result.trace is None:
                self.notice("info", "the trace was abandoned: the run was stopped while recording it")
        except Exception as exc:  # the measured figures stand; only the trace is missing
            log.exception("trace capture failed")
            self.notice("warning", f"the trace could not be recorded ({type(exc).__name__}: {exc}); "
                                   "the run's figures are unaffected")

    def _emit(self, resolved: list[float], pending: list[tuple[int, torch.Tensor]], times: list[float],
              losses: list[float], run_id: str, stage: str, samples: int) -> None:
        now = self.now_s()
        for step_time in resolved:
            index, loss_t = pending.pop(0)
            value = float(loss_t)
            loss = value if math.isfinite(value) else None  # n/a: JSON has no NaN, and none is stored
            if stage == "timed":
                if loss is None:
                    self.nonfinite_losses.append(index)
                else:
                    losses.append(loss)
            else:
                self.result.warmup_steps += 1  # counted as they happen: a crash keeps the count
            times.append(step_time)
            self.bus.publish(StepFinished(run_id, index, stage, now, step_time, samples, loss))

    def _warm_up(self, step: StepFn, batches: BatchFeed) -> None:
        self.set_state(RunState.WARMING, step_message(3, "warming up until step time settles"))
        gate = WarmupGate(self.spec.warmup_max_steps, self.spec.warmup_max_s)
        seen = 0

        def settled(times: list[float], _pending: int) -> bool:
            nonlocal seen
            done = False
            for t in times[seen:]:
                done = gate.add(t) or done
            seen = len(times)
            return done

        clock = StepClock(self.device, flush_every_s=0.0)  # resolve every step: the gate needs them
        start = time.perf_counter()
        times: list[float] = []
        self._run_steps(step, batches, clock, "warmup", settled, times)
        self.result.warmup_s = time.perf_counter() - start
        if gate.timed_out:
            self.notice("warning", f"step time had not settled after {len(times)} warm-up steps "
                                   f"({self.result.warmup_s:.1f} s); early timed steps may be slow")

    def _measure(self, step: StepFn, batches: BatchFeed) -> None:
        spec = self.spec
        self.set_state(RunState.MEASURING, "timed window")
        assert self.sampler is not None
        self.sampler.mark_window(self.now_s())
        deadline = time.perf_counter() + spec.duration_s if spec.duration_s else math.inf
        max_steps = spec.steps or math.inf

        def done(times: list[float], pending: int) -> bool:
            return len(times) + pending >= max_steps or time.perf_counter() >= deadline

        clock = StepClock(self.device)
        faults = minor_faults()
        self._run_steps(step, batches, clock, "timed", done, self.result.step_times_s)
        self.sampler.close_window(self.now_s())
        after = minor_faults()
        result = self.result
        result.minor_faults = after - faults if faults is not None and after is not None else None
        finding = allocator_finding(spec.device, spec.allocator, result.minor_faults, len(result.step_times_s),
                                    result.timed_s)
        if finding:
            self.notice("warning", finding)

    def _fail(self, exc: Exception) -> None:
        result = self.result
        result.error_details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        if isinstance(exc, UserCodeError):
            result.error_details = exc.details or result.error_details
        if is_oom(exc):
            result.status = RunState.OOM
            result.error = f"out of memory: {first_line(exc, 300, named=False)}"
            free_device_memory(self.device)
            building = not result.batch_size  # the model (or its first batch) did not even build
            batch = result.batch_size or self._planned_batch()
            result.advice = oom_advice(batch, self._fitting_batch(batch), while_building=building)
            log.warning("run %s ran out of memory", result.run_id)
        elif self.spec.is_user_model:
            log.warning("run %s of %s failed: %s", result.run_id, self.spec.model, first_line(exc))
            result.status = RunState.FAILED
            result.error = str(exc) if isinstance(exc, UserCodeError) else first_line(exc, 1000)
            result.advice = (f"the error came from running {self.spec.model_label}: its traceback is in the "
                             "result's error_details; fix the model, or try another precision or batch size")
        else:
            log.exception("run %s failed", result.run_id)
            result.status = RunState.FAILED
            result.error = f"{type(exc).__name__}: {exc}"
            result.advice = "see the log for the traceback; try a smaller size or another precision"

    def _planned_batch(self) -> int:
        """The batch the run was going to use: the spec's, else the workload's preset default
        (a user's model: the default its factory declared)."""
        if self.spec.batch_size:
            return self.spec.batch_size
        declared = getattr(self.workload, "last_batch_size", None)
        if declared:
            return int(declared)
        try:
            return int(self.workload.default_batch[self.spec.size])
        except (AttributeError, KeyError, ValueError, TypeError):
            return 0

    def _fitting_batch(self, batch_size: int) -> int | None:
        """The largest smaller batch that trains one step without running out of memory."""
        if batch_size < 2:
            return None
        spec = self.spec
        workload = self.workload

        def try_batch(batch_size: int) -> None:
            built = workload.build(self.device, spec.size, batch_size, spec.knobs, spec.channels_last, spec.seed)
            plan = plan_precision(spec.device, spec.precision)
            step = make_step(built, built.model, make_optimizer(built), plan)
            step(built.make_batch())
            synchronize(self.device)

        return largest_fitting_batch(batch_size, try_batch, self.device)

    def _finish(self) -> None:
        result, sampler = self.result, self.sampler
        if sampler is not None:
            sampler.stop()
        finish(result, telemetry=sampler.summary() if sampler else None,
               energy_j=sampler.energy_delta_j() if sampler else None,
               throttle=sampler.throttle_messages if sampler else (), phase_record=self.phase_log.record,
               others_cpu=sampler.others_cpu() if sampler else None, nonfinite_losses=self.nonfinite_losses)
        self.bus.publish(RunStateChanged(result.run_id, result.status, result.error or ""))
        self.bus.publish(RunFinished(result.run_id, result))


def _shutdown_loader(loader: Any) -> None:
    from profiler.workloads.pipeline import shutdown_loader

    shutdown_loader(loader)
