"""Project a measured step onto catalogue devices; find the device a run was measured on.

``Projection`` is one device's answer: measured (the user ran this model there at the target
batch and precision: the measured figure, never a projection), projected (a band, "projected,
not measured", with the peak it used and the source of its efficiency) or n/a (the reason: no
figure for the precision, no FLOP count, an unsound run...).

GPU targets are projected by the efficiency model fitted to published measurements
(``gpu_model``) from the subject's counted FLOPs: no timing of the subject is needed. Other
targets (CPUs, Apple GPUs, TPUs) carry a measured efficiency (``efficiency.choose``), so they
need a sound measured run: without one they are n/a with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from profiler import units
from profiler.analysis.advisor.bands import PROJECTED, Band
from profiler.analysis.advisor.catalogue import Catalogue
from profiler.analysis.advisor.census import StepFacts
from profiler.analysis.advisor.cpus import cores_used, identify_cpu
from profiler.analysis.advisor.efficiency import Choice, Point, choose, measure_point
from profiler.analysis.advisor.fit import Case
from profiler.analysis.advisor.gpu_model import GpuModel
from profiler.analysis.advisor.hardware import HardwareDevice
from profiler.analysis.advisor.precision import HALF, Peak, peak_for
from profiler.analysis.advisor.roofline import FITS, MemoryFit, NoFigure, memory_fit, step_time
from profiler.analysis.advisor.subject import Subject
from profiler.results.result import RunResult

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
    peak: Peak | None = None

    @property
    def label(self) -> str:
        return {MEASURED: "measured", PROJECTED_STATUS: PROJECTED}.get(self.status, self.reason or NA)

    @property
    def untested(self) -> str:
        """Why a projected figure's error was never measured (``Choice.untested``), or ""."""
        return self.choice.untested if self.status == PROJECTED_STATUS and self.choice is not None else ""


def run_device(run: RunResult, catalogue: Catalogue) -> tuple[HardwareDevice | None, str]:
    """(catalogue device the run was measured on, how it was identified); a CPU run gets the
    slice of cores it used and the host's RAM."""
    device_id = run.spec.device
    info = run.device_info
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


def calibration_points(runs: Sequence[RunResult], catalogue: Catalogue, origin: str) -> list[Point]:
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


def _roofline_precision(precision: str) -> str:
    """The catalogue peak key a non-GPU roofline uses for a target precision."""
    return "fp16" if precision == "amp" else precision


def plain_peak(device: HardwareDevice, precision: str) -> Peak | None:
    figure = device.peak(_roofline_precision(precision))
    if figure is None:
        return None
    kind = "half" if precision in HALF else precision
    return Peak(precision, figure.value, f"{device.name}, {precision.upper()} {units.flops(figure.value)}", kind,
                figure.source)


def project(facts: StepFacts, device: HardwareDevice, precision: str, choice: Choice) -> Projection:
    """The projected step on ``device`` with ``choice``'s efficiency; n/a with the reason."""
    fit = memory_fit(facts, device)
    try:
        step, bound = step_time(facts, device, _roofline_precision(precision), choice.efficiency,
                                choice.per_kernel_s)
    except NoFigure as exc:
        return Projection(device, NA, reason=str(exc), fit=fit)
    if not facts.samples or step.low <= 0:
        return Projection(device, NA, reason="n/a: the run measured no samples per step", fit=fit)
    rate = step.inverse_times(float(facts.samples))
    return Projection(device, PROJECTED_STATUS, rate, step, bound, choice, fit, peak=plain_peak(device, precision))


def project_gpu(subject: Subject, device: HardwareDevice, model: GpuModel) -> Projection:
    """A GPU target from the subject's counted FLOPs and the corpus efficiency model."""
    fit = memory_fit(subject.step, device)
    case = Case(device, subject.precision, subject.facts, subject.batch, subject.family)
    try:
        peak_for(device, subject.precision, subject.facts.conv_share)
        prediction = model.predict(case, subject.model_key)
    except NoFigure as exc:
        return Projection(device, NA, reason=str(exc), fit=fit)
    rate = prediction.samples_per_s
    choice = Choice(prediction.efficiency, None, "corpus", prediction.source, untested=prediction.untested)
    step = rate.inverse_times(float(subject.batch))
    return Projection(device, PROJECTED_STATUS, rate, step, prediction.roof.bound, choice, fit,
                      peak=prediction.roof.peak)


def measured(point: Point) -> Projection:
    """A device the model was measured on: its measured rate (exact), not a projection."""
    fit = memory_fit(point.facts, point.device)
    fit = MemoryFit(FITS, fit.needed_bytes, fit.usable_bytes, fit.largest_batch,
                    f"fits at batch {point.facts.batch_size} (measured)")
    rate = Band.exact(point.samples_per_s)
    return Projection(point.device, MEASURED, rate, Band.exact(point.step_time_s), fit=fit,
                      measured_run=point.run_id, peak=plain_peak(point.device, point.precision))


def _one(run_key: str, subject: Subject, own: Point | None, target: HardwareDevice,
         points: Sequence[Point], gpu: GpuModel | None, refused: str) -> Projection:
    if target.family == "gpu":
        if gpu is None:
            return Projection(target, NA, reason="n/a: no published corpus to fit GPU efficiency to",
                              fit=memory_fit(subject.step, target))
        return project_gpu(subject, target, gpu)
    if refused:
        return Projection(target, NA, reason=f"n/a: {refused}", fit=memory_fit(subject.step, target))
    return project(subject.step, target, subject.precision, choose(target, own, points, run_key, subject.precision))


def project_all(run_key: str, subject: Subject, own: Point | None, targets: Sequence[HardwareDevice],
                points: Sequence[Point], gpu: GpuModel | None = None,
                refused: str = "") -> list[tuple[Projection, Projection | None]]:
    """For each target: (what to show, the blind prediction when the target was measured).

    A target with a measured run of this model at the target batch and precision shows that
    run; its prediction is made as if that device had never been measured (its own runs left
    out of the calibration). ``run_key``: the measured run's ``model_key`` ("" when no run was
    measured); ``refused``: why non-GPU targets cannot be projected (an unsound run, or no run
    at all)."""
    key = run_key if subject.same_as_run and run_key else None
    out: list[tuple[Projection, Projection | None]] = []
    for target in targets:
        here = [p for p in points if key is not None and p.device.id == target.id and p.model_key == key]
        if own is not None and subject.same_as_run and own.device.id == target.id:
            here = [own, *here]
        if here:
            blind_points = [p for p in points if p.device.id.split("@")[0] != target.id.split("@")[0]]
            blind_own = own if own is not None and own.device.id != target.id else None
            out.append((measured(here[0]), _one(run_key, subject, blind_own, target, blind_points, gpu, refused)))
            continue
        out.append((_one(run_key, subject, own, target, points, gpu, refused), None))
    return out
