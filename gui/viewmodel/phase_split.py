"""What the step-phase bar shows for the run in focus, live or final, and why it is n/a. Qt-free.

Where a training step's time goes (data wait, host-to-device copy, forward, backward,
optimizer, device wait) and the verdict on it, both from ``profiler.metrics``: live, the
split of the run's last phase samples (``phases.live_phase_split`` over the store's
``PHASE_SAMPLES``) and ``verdict.verdict`` on it; final, the result's ``phases`` and
``verdict``. This module only picks and labels them. GUI thread (called on the refresh timer).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gui.viewmodel import series_store as sk
from gui.viewmodel.series_store import SeriesStore
from profiler.metrics.phases import LABELS, SHORT_LABELS, live_phase_split, live_sampling_sentence, sampling_sentence
from profiler.metrics.verdict import is_accelerator_id, verdict
from profiler.results.result import RunState
from profiler.results.spec import RunSpec

NA_IDLE = "n/a: no run yet; press Start to see where each training step's time goes."
NA_WAITING = ("n/a: waiting for the first sampled step (about one timed step in {every} is timed phase "
              "by phase, from the start of the timed window)")
NA_WARMING = "n/a: warming up; steps are timed phase by phase once the timed window starts."
NA_OFF = "n/a: phase sampling is off for this run (phase_every 0)."
NA_NONE = ("n/a: this run has no phase split (it ended before a step was sampled, phase sampling was "
           "off, or it was stored before splits existed).")


@dataclass(frozen=True)
class Segment:
    """One phase of the bar: ``fraction`` of the sampled step, ``mean_s`` seconds per step."""

    phase: str
    label: str
    short: str
    fraction: float
    mean_s: float


@dataclass(frozen=True)
class PhaseBarValues:
    """The bar's segments in stacking order (empty: n/a, ``na`` says why), the verdict in
    words (``verdict_kind`` input-bound | compute-bound | launch-bound), what the split
    covers (``basis``) and how it was sampled (``sampling``)."""

    segments: tuple[Segment, ...] = ()
    verdict: str = ""
    verdict_kind: str = ""
    basis: str = ""
    sampling: str = ""
    step_s: float | None = None
    na: str = NA_IDLE

    @property
    def available(self) -> bool:
        return bool(self.segments)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _segments(summary: Mapping[str, Any]) -> tuple[Segment, ...]:
    fraction, mean_s = summary.get("fraction") or {}, summary.get("mean_s") or {}
    return tuple(Segment(name, LABELS.get(name, name), SHORT_LABELS.get(name, name),
                         float(fraction.get(name) or 0.0), float(mean_s.get(name) or 0.0))
                 for name in summary.get("order") or () if name in mean_s)


def live_phase_values(store: SeriesStore, run_id: str, spec: RunSpec) -> PhaseBarValues:
    """The split of a running run's last phase samples, with the verdict on it."""
    samples = store.scalar(run_id, sk.PHASE_SAMPLES)
    samples = samples if isinstance(samples, tuple) else ()
    try:
        summary = live_phase_split(samples) if samples else None
    except ValueError:  # a sample the engine would not have sent: show n/a, never crash the tick
        summary = None
    if summary is None:
        if not spec.phase_every:
            na = NA_OFF
        elif store.scalar(run_id, sk.STATE) == RunState.MEASURING:
            na = NA_WAITING.format(every=spec.phase_every)
        else:
            na = NA_WARMING
        return PhaseBarValues(na=na)
    found = verdict(summary, spec.device, spec.input_pipeline, spec.loader_workers, spec.pin_memory)
    n = len(summary["samples"])
    return PhaseBarValues(
        _segments(summary), found.message if found else "", found.kind if found else "",
        basis=f"live · last {n} sampled step{'' if n == 1 else 's'}",
        sampling=_capital(live_sampling_sentence(spec.phase_every, is_accelerator_id(spec.device))) + ".",
        step_s=summary.get("sampled_step_s"), na="",
    )


def final_phase_values(result: Mapping[str, Any]) -> PhaseBarValues:
    """The split of a finished run, from its result dict (``phases`` and ``verdict``)."""
    summary = result.get("phases")
    if not isinstance(summary, Mapping) or not summary.get("mean_s"):
        return PhaseBarValues(na=NA_NONE)
    verdict = result.get("verdict")
    found: Mapping[str, Any] = verdict if isinstance(verdict, Mapping) else {}
    n = int(summary.get("sampled_steps") or 0)
    return PhaseBarValues(
        _segments(summary), str(found.get("message") or ""), str(found.get("kind") or ""),
        basis=f"final · {n} sampled step{'' if n == 1 else 's'}", sampling=_capital(sampling_sentence(summary)) + ".",
        step_s=summary.get("sampled_step_s"), na="",
    )
