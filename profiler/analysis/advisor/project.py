"""Project a measured step onto catalogue devices; find the device a run was measured on.

``Projection`` is one device's answer: measured (the user ran this model there: the measured
figure, never a projection), projected (a band, "projected, not measured", with the source
of its efficiency) or n/a (the reason: no figure for the precision, no FLOP count...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from profiler.analysis.advisor.bands import PROJECTED, Band
from profiler.analysis.advisor.catalogue import Catalogue
from profiler.analysis.advisor.census import StepFacts
from profiler.analysis.advisor.cpus import cores_used, identify_cpu
from profiler.analysis.advisor.efficiency import Choice, Point, choose, measure_point, model_key
from profiler.analysis.advisor.hardware import HardwareDevice, section
from profiler.analysis.advisor.roofline import FITS, MemoryFit, NoFigure, memory_fit, step_time

MEASURED, PROJECTED_STATUS, NA = "measured", "projected", "n/a"


@dataclass(frozen=True)
class Projection:
    """One device for one step. ``samples_per_s`` is exact when measured, a band when projected."""

    device: HardwareDevice
    status: str
    samples_per_s: Band | None = None
    step_time_s: Band | None = None
    bound: str = ""
    choice: Choice | None = None
    fit: MemoryFit | None = None
    measured_run: str | None = None
    reason: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        return {MEASURED: "measured", PROJECTED_STATUS: PROJECTED}.get(self.status, self.reason or NA)


def run_device(run: Mapping[str, Any], catalogue: Catalogue) -> tuple[HardwareDevice | None, str]:
    """(catalogue device the run was measured on, how it was identified); a CPU run gets the
    slice of cores it used and the host's RAM."""
    device_id = str(run.get("device") or "")
    info = section(run, "device_info")
    if device_id == "cpu":
        generic = catalogue.generic_cpus
        cpu, how = identify_cpu(run, catalogue.cpus(), generic)
        cores = cores_used(run)
        if cpu is None or cores is None:
            return None, how if cpu is None else "the run does not say how many cores it used"
        sliced = cpu.slice(cores)
        if info.get("memory_bytes"):
            sliced = sliced.with_memory(float(info["memory_bytes"]), "this machine's RAM (as the run recorded it)")
        return sliced, f"{how}; {cores} core(s) used"
    name = str(info.get("name") or "")
    device = catalogue.match_accelerator(name)
    if device is None:
        return None, f"device {name or device_id!r} is not in the catalogue (add it to hardware.json)"
    return device, f"torch name {name!r} matches {device.name}"


def calibration_points(runs: Sequence[Mapping[str, Any]], catalogue: Catalogue, origin: str) -> list[Point]:
    """Usable measured points of ``runs`` (history or reference runs) on catalogue devices."""
    points = []
    for run in runs:
        device, _ = run_device(run, catalogue)
        if device is None:
            continue
        point = measure_point(run, device, origin)
        if point is not None:
            points.append(point)
    return points


def project(facts: StepFacts, device: HardwareDevice, precision: str, choice: Choice) -> Projection:
    """The projected step on ``device`` with ``choice``'s efficiency; n/a with the reason."""
    fit = memory_fit(facts, device)
    try:
        step, bound = step_time(facts, device, precision, choice.efficiency, choice.per_kernel_s)
    except NoFigure as exc:
        return Projection(device, NA, reason=str(exc), fit=fit)
    if not facts.samples or step.low <= 0:
        return Projection(device, NA, reason="n/a: the run measured no samples per step", fit=fit)
    rate = step.inverse_times(float(facts.samples))
    return Projection(device, PROJECTED_STATUS, rate, step, bound, choice, fit)


def measured(point: Point) -> Projection:
    """A device the model was measured on: its measured rate (exact), not a projection."""
    fit = MemoryFit(FITS, None, None, None, f"fits at batch {point.facts.batch_size} (measured)")
    rate = Band.exact(point.samples_per_s)
    return Projection(point.device, MEASURED, rate, Band.exact(point.step_time_s), fit=fit,
                      measured_run=point.run_id)


def project_all(run: Mapping[str, Any], facts: StepFacts, subject: Point | None, targets: Sequence[HardwareDevice],
                points: Sequence[Point]) -> list[tuple[Projection, Projection | None]]:
    """For each target: (what to show, the blind prediction when the target was measured).

    A target with a measured run of this model shows that run; its prediction is made as if
    that device had never been measured (its own runs left out of the calibration)."""
    key, precision = model_key(run), str(run.get("precision") or "fp32")
    out: list[tuple[Projection, Projection | None]] = []
    for target in targets:
        here = [p for p in points if p.device.id == target.id and p.model_key == key]
        if subject is not None and subject.device.id == target.id:
            here = [subject, *here]
        blind_points = [p for p in points if p.device.id.split("@")[0] != target.id.split("@")[0]]
        if here:
            best = here[0]
            blind_subject = subject if subject is not None and subject.device.id != target.id else None
            blind = project(facts, target, precision, choose(target, blind_subject, blind_points, key, precision))
            out.append((measured(best), blind))
            continue
        out.append((project(facts, target, precision, choose(target, subject, points, key, precision)), None))
    return out
