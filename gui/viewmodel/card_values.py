"""What the summary cards show for one run, live or final, and why a figure is n/a. Qt-free.

Built on the GUI thread from the ``SeriesStore`` (live: the engine's live figures of the
timed window's last seconds) or from a finished result dict (``RunResult.to_dict``). Every
figure comes from ``profiler.metrics``; this module only picks and labels them. The chip
follows the run's state (``run_states``), the same words the status bar uses. MFU is said
against both references (``metrics.references``: "43% of hardware peak, 45% of the best GEMM
measured here"), and warnings that start with ``figures.ERROR_PREFIX`` are errors, kept apart.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gui.viewmodel import run_states
from gui.viewmodel import series_store as sk
from gui.viewmodel.series_store import SeriesStore
from profiler.metrics import keys
from profiler.metrics.comparison import DEVICE, REPEAT, SETTINGS, speedup
from profiler.metrics.contention import BUSY_TAG, contention_of_dict
from profiler.metrics.cpu_share import others_percent, shares_sentence
from profiler.metrics.figures import ERROR_PREFIX, MFU_PLAUSIBLE, Figures, mfu_alarm
from profiler.metrics.quality import partial_reason
from profiler.metrics.references import mfu_parts, reference_lines, references_of
from profiler.metrics.slot_figure import SlotFigure
from profiler.results.result import RunState

NA_WARMING = "n/a: still warming up; figures start with the timed window (warm-up steps never count)."
NA_FIRST_STEP = "n/a: measuring; the first timed step is still running."
NA_PREPARING = "n/a: the engine is still building the model and counting its FLOPs."
NA_NO_FLOPS = "n/a: the engine could not count this model's FLOPs."
NA_NO_STEPS = "n/a: the run ended before any timed step was measured."
NA_NO_BASELINE = ("n/a: run the same workload, size, batch and precision on the CPU in this "
                  "session to get a baseline.")
BASELINE = "baseline"
FIGURE = "figure"  # speedup_kind: the slot shows ``CardValues.slot`` (nothing to compare)
NA_NOTHING_TO_COMPARE = ("n/a: this machine has only the CPU, so there is no speedup to show, and the run "
                         "measured neither its energy nor its MFU.")


@dataclass(frozen=True)
class CardValues:
    """What the cards show; None means n/a. ``device`` picks the accent colour.

    ``basis`` says where the figures come from ("live · last 2.0 s (38 of 412 steps)" or
    "final · whole timed window (412 steps)"); ``na`` maps a metric (samples_per_s, tflops,
    mfu, speedup) to the reason it is n/a; ``warnings`` are the result's quality warnings.
    ``speedup_kind`` is device | settings | repeat | baseline | "" (n/a); a repeat has
    ``spread`` (signed: the run's difference from the earlier one) instead of a speedup.
    ``state`` is the run's state (it picks the chip).
    ``mfu_ceiling`` is MFU against the best GEMM measured here, ``references`` says where
    both references come from (a line each); ``errors`` are error-level warnings (no prefix),
    shown in red; ``cpu`` is this run's CPU share beside the machine's, in words.
    ``samples_per_j`` is the engine's measured energy figure (final only); ``slot`` a figure
    shown in the comparison card's place when there is nothing to compare (``speedup_kind``
    "figure": presentation on a CPU-only machine).
    """

    device: str
    caption: str
    samples_per_s: float | None = None
    flops_per_s: float | None = None
    mfu: float | None = None
    speedup: float | None = None
    speedup_label: str = ""
    live: bool = False
    basis: str = ""
    warming_up: bool = False
    warnings: tuple[str, ...] = ()
    sample_unit: str = "samples"
    flops_per_step: float | None = None
    peak_flops_per_s: float | None = None
    peak_source: str = ""
    baseline_samples_per_s: float | None = None
    batch_size: int | None = None
    params: int | None = None
    failed: bool = False
    na: Mapping[str, str] = field(default_factory=dict)
    speedup_kind: str = ""
    spread: float | None = None
    state: str = ""
    partial: str = ""
    mfu_ceiling: float | None = None
    references: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    cpu: str = ""
    samples_per_j: float | None = None
    slot: SlotFigure | None = None

    @property
    def mfu_lines(self) -> tuple[str, str]:
        """("43% of hardware peak", "45% of the best GEMM measured here")."""
        return mfu_parts(self.mfu, self.mfu_ceiling)

    @property
    def mfu_warning(self) -> str:
        """Why an MFU above 100% cannot be right, or "" when it is plausible or the engine's
        error already says so."""
        if self.mfu is None or self.mfu <= MFU_PLAUSIBLE or self.errors:
            return ""
        return (f"MFU {self.mfu:.0%} is above 100% of the hardware peak: the FLOP count or the peak "
                "is wrong (a bug, reported in the run's warnings). Trust the throughput, not the MFU.")

    @property
    def chip(self) -> tuple[str, str]:
        """(kind, text) of the chip above the cards."""
        return run_states.chip(self.state or ("measuring" if self.live else "completed"))


@dataclass(frozen=True)
class SpeedupParts:
    kind: str = ""
    value: float | None = None
    label: str = ""
    spread: float | None = None
    na: str = ""


def _mfu_na(peak: float | None, source: str | None, flops_reason: str | None) -> str | None:
    if flops_reason:
        return flops_reason
    if not peak:
        why = f" ({source})" if source else ""
        return f"n/a: no peak for this device and precision{why}."
    return None


def _state_of_stage(stage: object) -> str:
    """The run's state from the stage of its last step, for a run whose state was not heard."""
    return {"warmup": RunState.WARMING, "compile": RunState.PREPARING,
            "timed": RunState.MEASURING}.get(str(stage), RunState.PENDING)


def speedup_parts(device: str, run: Mapping[str, Any] | None,
                  baseline: Mapping[str, Any] | None) -> SpeedupParts:
    """The card's comparison of ``run`` (with its samples/s) with ``baseline`` (a comparable
    finished run of this session, from ``Session.baseline_for``), or why there is none."""
    if baseline is None:
        if device == "cpu":
            return SpeedupParts(BASELINE, label="baseline for the other devices")
        return SpeedupParts(na=NA_NO_BASELINE)
    if run is None:
        return SpeedupParts(na=NA_FIRST_STEP)
    found = speedup(run, baseline)
    if found.kind in (DEVICE, SETTINGS):
        return SpeedupParts(found.kind, found.value, found.sentence if found.kind == SETTINGS else found.label)
    if found.kind == REPEAT:
        return SpeedupParts(REPEAT, label="run-to-run spread against the same run before",
                            spread=found.difference)
    return SpeedupParts(na=f"n/a: {found.reason}")


def live_values(store: SeriesStore, run_id: str, run: Mapping[str, Any], caption: str,
                baseline: Mapping[str, Any] | None) -> CardValues:
    """Card figures of a running run: the engine's live figures of the last seconds of the
    timed window, never warm-up. ``run`` is the run as a partial result dict (spec fields,
    device), ``baseline`` a comparable finished result or None."""
    info = sk.description(store, run_id)
    live = store.scalar(run_id, sk.LIVE)
    live = live if isinstance(live, Figures) else None
    state = str(store.scalar(run_id, sk.STATE) or _state_of_stage(store.scalar(run_id, sk.STAGE)))
    device = str(run.get("device") or "")
    warming = live is None
    measuring = state == RunState.MEASURING
    not_yet = NA_FIRST_STEP if measuring else NA_WARMING
    unit = (info.sample_unit if info else "") or "samples"
    flops = info.flops_per_step if info else None
    peak = info.peak_flops_per_s if info else None
    peak_source = info.peak_source if info else None
    if info is None:
        flops_reason: str | None = NA_PREPARING
    elif not flops:
        flops_reason = NA_NO_FLOPS
    else:
        flops_reason = not_yet if warming else None
    rate = live.samples_per_s if live else None
    compared = {**run, "samples_per_s": rate, "batch_size": info.batch_size if info else None,
                "status": RunState.MEASURING} if rate else None
    parts = speedup_parts(device, compared, baseline)
    na = {
        "samples_per_s": not_yet,
        "tflops": flops_reason or "",
        "mfu": _mfu_na(peak, peak_source, flops_reason) or not_yet,
        "speedup": parts.na or not_yet,
    }
    if live is not None:
        basis = f"live · {live.basis}"
    else:
        basis = run_states.words(state)
    alarm = mfu_alarm(live, flops, peak, peak_source) if live is not None else None
    references = tuple(references_of(peak, peak_source, info.peak_inputs, info.ceiling_flops_per_s,
                                     info.ceiling_source)) if info else ()
    return CardValues(
        device, caption, rate, live.flops_per_s if live else None, live.mfu if live else None,
        parts.value if rate else None, parts.label, live=True, basis=basis,
        warming_up=warming, sample_unit=unit, flops_per_step=flops,
        peak_flops_per_s=peak, peak_source=str(peak_source or ""),
        baseline_samples_per_s=baseline.get("samples_per_s") if baseline else None,
        batch_size=info.batch_size if info else None, params=info.params if info else None, na=na,
        speedup_kind=parts.kind if (rate or parts.kind == BASELINE) else "",
        spread=parts.spread if rate else None, state=state,
        mfu_ceiling=live.mfu_ceiling if live else None, references=references,
        errors=(alarm.removeprefix(ERROR_PREFIX),) if alarm else (), cpu=_live_cpu(store, run_id),
    )


def final_values(result: Mapping[str, Any], caption: str, baseline: Mapping[str, Any] | None,
                 sample_unit: str = "samples") -> CardValues:
    """Card figures of a finished run, from its result dict (whole timed window)."""
    steps = int(result.get("timed_steps") or 0)
    flops_reason = None if result.get("flops_per_step") else NA_NO_FLOPS
    if not steps:
        flops_reason = NA_NO_STEPS
    status = str(result.get("status") or "")
    failed = status in RunState.UNSUCCESSFUL
    parts = speedup_parts(str(result.get("device") or ""), result, baseline)
    if status in RunState.UNSUCCESSFUL:
        parts = SpeedupParts(na=f"n/a: the run {status}; a speedup needs a run that completed.")
    na = {
        "samples_per_s": NA_NO_STEPS,
        "tflops": flops_reason or "",
        "mfu": _mfu_na(result.get("peak_flops_per_s"), result.get("peak_source"), flops_reason) or "",
        "speedup": NA_NO_STEPS if not steps else parts.na or NA_NO_BASELINE,
    }
    partial = partial_reason(result)
    busy = contention_of_dict(result).contended
    suffix = (f" · {partial}" if partial else "") + (f" · {BUSY_TAG}" if busy else "")
    flagged = [str(w) for w in result.get("warnings") or ()]
    flagged.sort(key=lambda w: not w.startswith("contended"))  # a busy machine is the first thing to see
    errors = tuple(w.removeprefix(ERROR_PREFIX) for w in flagged if w.startswith(ERROR_PREFIX))
    return CardValues(
        str(result.get("device") or ""), caption, result.get("samples_per_s"),
        result.get("achieved_flops_per_s"), result.get("mfu"),
        parts.value if steps else None, parts.label,
        basis=f"final · whole timed window ({steps} steps){suffix}",
        warnings=tuple(w for w in flagged if not w.startswith(ERROR_PREFIX)), sample_unit=sample_unit,
        flops_per_step=result.get("flops_per_step"), peak_flops_per_s=result.get("peak_flops_per_s"),
        peak_source=str(result.get("peak_source") or ""),
        baseline_samples_per_s=baseline.get("samples_per_s") if baseline else None,
        batch_size=result.get("batch_size") or None, params=result.get("params") or None,
        failed=failed, na=na,
        speedup_kind=parts.kind if steps else "", spread=parts.spread, state=status, partial=partial,
        mfu_ceiling=result.get("mfu_ceiling"), references=_references(result), errors=errors,
        cpu=_final_cpu(result), samples_per_j=result.get("samples_per_j"),
    )


def _references(run: Mapping[str, Any]) -> tuple[str, ...]:
    """Where the hardware peak and the best GEMM come from, when the run knows either."""
    if not run or ("peak_source" not in run and "ceiling_source" not in run):
        return ()
    return tuple(reference_lines(run))


def _live_cpu(store: SeriesStore, run_id: str) -> str:
    """The run's process beside the machine, from the latest readings (the Utilization plot's)."""
    host = store.last(run_id, keys.host("cpu_util_percent"))
    share = store.last(run_id, keys.host("process_cpu_share_percent"))
    if host is None and share is None:
        return ""
    others = others_percent(host, store.last(run_id, keys.host("process_cpu_percent")), os.cpu_count())
    return f"CPU now: {shares_sentence(host, share, others)}"


def _final_cpu(result: Mapping[str, Any]) -> str:
    """The run's CPU share beside the machine's over the timed window (means)."""
    shares = [result.get(k) for k in ("host_cpu_percent", "run_cpu_percent", "other_cpu_percent")]
    if all(v is None for v in shares):
        return ""
    return f"CPU over the timed window: {shares_sentence(*shares)}"
