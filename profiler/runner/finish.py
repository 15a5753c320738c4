"""The one way a result is finished: its telemetry, energy and every warning about its figures.

Used by the training loop (``profiler.runner.loop``), by the supervisor's rebuild of a dead
worker's run (``profiler.worker.partial``) and by rank 0's assembly of a distributed run
(``profiler.distributed.assemble``), so a result says the same things however it ended.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from profiler.metrics.phases import PhaseRecord
from profiler.results.result import RunResult, RunState
from profiler.results.stats import quality_warnings
from profiler.runner.references import reference_warnings

NAN_LOSS_EFFECT = "the numbers may not reflect real training"
NAN_LOSS = f"loss became NaN or infinite: {NAN_LOSS_EFFECT}"


def finish(
    result: RunResult,
    *,
    telemetry: dict[str, dict[str, float | None]] | None = None,
    energy_j: float | None = None,
    throttle: Sequence[str] = (),
    phase_record: PhaseRecord | None = None,
    others_cpu: dict[str, Any] | None = None,
    nonfinite_losses: Sequence[int] = (),
) -> RunResult:
    """Complete ``result`` (its ``status`` already set) and stamp ``ended_at``; returns it.

    ``telemetry`` is the timed window's summary (``summarize_samples``; None keeps the result's),
    ``energy_j`` the device energy inside the window (None keeps the result's), ``throttle`` one
    message per throttling episode (added as warnings), ``phase_record`` the phase-sampled steps
    (kept when it holds any) and ``others_cpu`` the other processes' CPU before and during the
    run (``TelemetrySampler.others_cpu``; None keeps the result's). Then the step-time quality
    warnings (when anything was timed, or the run completed without a timed step), the reference
    warnings (MFU above the peak, CPU contention), a NaN/infinite loss warning (``nonfinite_losses``:
    the timed steps whose loss was NaN or infinite, kept out of ``losses`` as n/a) and, for a
    one-process CPU run, the threads it used.
    """
    if phase_record is not None and phase_record.samples:
        result.phase_record = phase_record
    if telemetry is not None:
        result.telemetry = telemetry
    if energy_j is not None:
        result.energy_j = energy_j
    if others_cpu is not None:
        result.others_cpu = others_cpu  # before the warnings: they judge contention from it
    result.warnings.extend(throttle)
    if result.step_times_s or result.status == RunState.COMPLETED:
        result.warnings.extend(quality_warnings(result.step_times_s))
    result.warnings.extend(reference_warnings(result))
    if nonfinite_losses:
        total = len(nonfinite_losses) + len(result.losses)
        result.warnings.append(f"loss was NaN or infinite at {len(nonfinite_losses)} of {total} timed steps "
                               f"(first at step {nonfinite_losses[0]}; shown as n/a): {NAN_LOSS_EFFECT}")
    elif result.losses and not all(math.isfinite(x) for x in result.losses):
        result.warnings.append(NAN_LOSS)
    if result.spec.device.split(":")[0] == "cpu" and result.distributed is None:
        threads = result.environment.get("torch_threads")
        cores = result.environment.get("logical_cpus")
        if threads and cores and threads < cores:
            result.notices.append(f"used {threads} of {cores} CPU threads")
    result.ended_at = time.time()
    return result
