"""Words and partial curves for a sweep in progress. Qt-free; called on the GUI thread."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from profiler import units
from profiler.analysis.sweep import SweepPoint, SweepResult


def partial_result(request: dict[str, Any], points: Sequence[SweepPoint]) -> SweepResult:
    """A ``SweepResult`` of the points done so far (no crossovers yet), for plotting."""
    devices = tuple(request.get("devices") or dict.fromkeys(p.device for p in points))
    values = tuple(sorted({int(v) for v in request.get("values") or [p.value for p in points]}))
    baseline = next((d for d in devices if d.startswith("cpu")), devices[0] if devices else "")
    return SweepResult(str(request.get("workload", "")), str(request.get("knob", "")), values,
                       devices, baseline, tuple(points), {})


def point_text(point: SweepPoint, knob: str = "") -> str:
    """'width 256 on cpu: 12,300 samples/s' (or the reason it has no figure)."""
    head = f"{knob} {point.value} on {point.device}".strip()
    if point.samples_per_s is not None:
        return f"{head}: {units.num(point.samples_per_s)} samples/s"
    return f"{head}: {point.status}" + (f" ({point.error})" if point.error else "")


def finished_text(result: SweepResult, stopped: bool, elapsed_s: float) -> str:
    """One line for the end of a sweep: points measured, failures, time taken."""
    measured = sum(1 for p in result.points if p.samples_per_s is not None)
    failed = [p for p in result.points if p.samples_per_s is None]
    total = len(result.values) * len(result.devices)
    head = "Stopped" if stopped else "Done"
    text = f"{head}: {measured} of {total} points measured in {units.duration(elapsed_s)}"
    if failed:
        text += f"; {len(failed)} without a figure (first: {point_text(failed[0], result.knob)})"
    return text + ". Every point is in the History tab."
