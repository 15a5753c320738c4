"""Sweep a knob over devices and find each accelerator's crossover against the baseline.

Runs are sequential (one device busy at a time, so runs do not disturb each other) through an
injected ``run_fn(spec) -> RunResult`` (default ``profiler.worker.run_one``). Runs on
the calling thread; ``cancel`` (a ``threading.Event``) stops between runs (and, with the
default runner, within a run: the stopped point is kept with status ``stopped``).
Every point is checked before the first one starts, so a point that cannot run ends the
sweep before anything ran or was stored.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from profiler.analysis.crossover import Crossover, find_crossover
from profiler.results.model_ref import model_label
from profiler.results.result import RunResult
from profiler.results.spec import RunSpec

log = logging.getLogger(__name__)

RunFn = Callable[[RunSpec], RunResult]
CheckFn = Callable[[RunSpec], object]
BATCH_KNOB = "batch_size"


@dataclass(frozen=True)
class SweepPoint:
    """One (knob value, device) run; ``samples_per_s`` None when it failed (``error`` says why)."""

    value: int
    device: str
    samples_per_s: float | None
    status: str
    run_id: str | None = None
    error: str | None = None
    achieved_flops_per_s: float | None = None
    mfu: float | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class SweepResult:
    """``workload`` is the spec's (``user`` for a user's model, whose reference is ``model``)."""

    workload: str
    knob: str
    values: tuple[int, ...]
    devices: tuple[str, ...]
    baseline: str
    points: tuple[SweepPoint, ...]
    crossovers: dict[str, Crossover] = field(default_factory=dict)
    model: str = ""

    @property
    def label(self) -> str:
        """What was swept, in words: ``mlp`` or a user model's label (``gpt2 (hf)``)."""
        return model_label(self.model) if self.model else self.workload

    def curve(self, device: str) -> dict[float, float | None]:
        """Knob value -> samples/s on ``device``."""
        return _curve(self.points, device)

    @property
    def curves(self) -> dict[str, dict[float, float | None]]:
        return {d: self.curve(d) for d in self.devices}

    def to_dict(self) -> dict[str, Any]:
        return {
            "workload": self.workload, "model": self.model, "knob": self.knob, "values": list(self.values),
            "devices": list(self.devices), "baseline": self.baseline,
            "points": [asdict(p) for p in self.points],
            "crossovers": {d: asdict(c) for d, c in self.crossovers.items()},
        }


def spec_for(workload: str, knob: str, value: int, device: str, base: RunSpec | None) -> RunSpec:
    """The spec of one sweep point: ``base`` with the knob (or batch size) and device set,
    named as a sweep point (``origin="sweep"``)."""
    spec = base or RunSpec(workload=workload)
    spec = spec.replace(workload=workload, device=device, name="", origin="sweep")
    if knob == BATCH_KNOB:
        return spec.replace(batch_size=int(value))
    return spec.replace(knobs={**spec.knobs, knob: int(value)})


def sweep_knobs(workload_name: str) -> list[str]:
    """What a sweep of ``workload_name`` can vary: the batch size, then its knobs by name.
    Raises ``SpecError`` for an unknown workload."""
    from profiler.results.spec import SpecError
    from profiler.workloads import WorkloadError, get_workload

    try:
        workload = get_workload(workload_name)
    except WorkloadError as exc:
        raise SpecError(str(exc)) from None
    return [BATCH_KNOB, *sorted({k for preset in workload.presets.values() for k in preset})]


def user_sweep_knobs(base: RunSpec) -> list[str]:
    """What a sweep of a user's own model (``base.model``) can vary: the batch size, then its
    factory's knobs. Builds the model in a check process (``runner.model_check``: seconds,
    cached); raises ``SpecError`` (with their traceback in ``details``) when it does not pass."""
    from profiler.results.spec import SpecError
    from profiler.runner.model_check import check_model
    from profiler.runner.validate import validate_spec

    if not base.is_user_model:
        raise SpecError(f"{base.workload!r} is a built-in workload, not a user's model")
    validate_spec(base.replace(knobs={}))  # the reference, then the model itself
    check = check_model(base.replace(knobs={}))
    if not check.ok:
        raise SpecError(check.error, check.details)
    return [BATCH_KNOB, *sorted(check.knobs)]


def check_sweep(workload: str, knob: str, values: Sequence[int], devices: Sequence[str],
                base: RunSpec | None = None) -> None:
    """Raise ``SpecError`` (one line naming the valid choices) for a sweep that cannot run:
    an unknown workload or knob, no or non-positive values, no devices, or any point the
    engine would reject (a device that does not exist, a precision it cannot run, a model
    that does not fit). Checked before the first point starts, so nothing is recorded.
    A user's own model (``workload`` "user") is named by ``base`` (``base.model``)."""
    from profiler.results.model_ref import USER_WORKLOAD
    from profiler.results.spec import SpecError
    from profiler.runner.validate import validate_specs

    if workload == USER_WORKLOAD:
        if base is None or not base.is_user_model:
            raise SpecError("a sweep of your own model needs its spec as the base (RunSpec.model names it)")
        knobs = user_sweep_knobs(base)
    else:
        knobs = sweep_knobs(workload)
    if knob not in knobs:
        what = base.model_label if base is not None and workload == USER_WORKLOAD else workload
        raise SpecError(f"unknown knob {knob!r} for {what}; choose from {', '.join(knobs)}")
    if not values or any(int(v) <= 0 for v in values):
        raise SpecError("sweep values must be positive integers, e.g. 64,256,1024")
    if not devices:
        raise SpecError("pick at least one device to sweep on")
    validate_specs([spec_for(workload, knob, value, device, base)
                    for device in devices for value in sorted(set(int(v) for v in values))])


def sweep(
    workload: str,
    knob: str,
    values: Sequence[int],
    devices: Sequence[str],
    run_fn: RunFn | None = None,
    base: RunSpec | None = None,
    cancel: threading.Event | None = None,
    on_point: Callable[[SweepPoint], None] | None = None,
    check: CheckFn | None = None,
) -> SweepResult:
    """Run every (value, device), values ascending; crossovers vs CPU (else the first device).

    ``check(spec)`` (default: ``validate_spec`` when ``run_fn`` is the default runner, else
    none) runs on every point before the first starts; its ``SpecError`` ends the sweep then.
    """
    if not values or not devices:
        raise ValueError("a sweep needs at least one knob value and one device")
    stop = cancel or threading.Event()
    ordered = tuple(sorted(set(int(v) for v in values)))
    specs = [(value, device, spec_for(workload, knob, value, device, base))
             for value in ordered for device in devices]
    run: RunFn
    if run_fn is None:
        from profiler.runner.validate import validate_specs
        from profiler.worker.run_one import run_one

        if check is None:
            validate_specs([spec for _value, _device, spec in specs])  # one check process for a user model

        def run(spec: RunSpec) -> RunResult:
            return run_one(spec, cancel=stop)
    else:
        run = run_fn
    if check is not None:
        for _value, _device, spec in specs:
            check(spec)
    points: list[SweepPoint] = []
    for value, device, spec in specs:
        if stop.is_set():
            break
        try:
            result = run(spec)
            point = SweepPoint(value, device, result.samples_per_s, result.status,
                               result.run_id, result.error, result.achieved_flops_per_s,
                               result.mfu, tuple(result.warnings))
        except Exception as exc:  # one failed point must not end the sweep
            log.warning("sweep point %s=%s on %s failed: %s", knob, value, device, exc)
            point = SweepPoint(value, device, None, "failed", None, str(exc))
        points.append(point)
        if on_point is not None:
            on_point(point)
    baseline = next((d for d in devices if d.startswith("cpu")), devices[0])
    base_curve = _curve(points, baseline)
    crossovers = {
        device: find_crossover(base_curve, _curve(points, device), knob, device, baseline)
        for device in devices if device != baseline
    }
    model = base.model if base is not None and base.is_user_model else ""
    return SweepResult(workload, knob, ordered, tuple(devices), baseline, tuple(points), crossovers, model)


def _curve(points: Sequence[SweepPoint], device: str) -> dict[float, float | None]:
    return {p.value: p.samples_per_s for p in points if p.device == device}
