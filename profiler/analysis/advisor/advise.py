"""The advisor's answer for one subject: a ranked table, cost-versus-time chart data with the
Pareto front, predicted-versus-measured calibration, and a recommendation in words.

``advise(run, catalogue, constraints, subject=..., gpu=..., history=..., reference=...)`` (runs
as ``RunResult``; ``run`` None for a model counted without training) is
pure given its inputs (no I/O beyond the catalogue and the fitted GPU model already loaded);
the facade in ``profiler.reports.advisor`` builds the subject (a measured run at the target
batch and precision, or a model counted without training) and gathers history and reference
runs for the CLI and the window. An unsound run (``soundness``) is no basis for CPU rows and
calibrates nothing; the answer says why at the top.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from profiler.analysis.advisor.backtest import OrderEvidence, PairOrder, Scorecard
from profiler.analysis.advisor.bands import Band
from profiler.analysis.advisor.catalogue import Catalogue, credits
from profiler.analysis.advisor.census import StepFacts, step_facts
from profiler.analysis.advisor.constraints import Constraints
from profiler.analysis.advisor.corpus import CORPUS_CREDIT
from profiler.analysis.advisor.costs import BOUGHT, Cost, energy_wh, job_cost, power_of
from profiler.analysis.advisor.efficiency import Point, measure_point, model_key
from profiler.analysis.advisor.fit import NEW_GPU, NEW_MODEL
from profiler.analysis.advisor.gpu_model import GpuModel
from profiler.analysis.advisor.hardware import HardwareDevice
from profiler.analysis.advisor.pareto import ChartPoint, pareto_points
from profiler.analysis.advisor.project import NA, Projection, calibration_points, project_all, run_device
from profiler.analysis.advisor.recommend import recommendation
from profiler.analysis.advisor.row import Row
from profiler.analysis.advisor.soundness import refusal, unsound_reason
from profiler.analysis.advisor.subject import Subject, subject_of_run
from profiler.results.result import RunResult


@dataclass(frozen=True)
class Calibration:
    """A device the model was measured on, set against the prediction made as if it had not
    been (``Row.blind``): samples/s measured and predicted, the error (measured / predicted - 1)
    and whether the measurement fell inside the band."""

    device_id: str
    name: str
    run_id: str | None
    measured_samples_per_s: float
    predicted_samples_per_s: Band
    predicted_from: str

    @property
    def error(self) -> float:
        return self.measured_samples_per_s / self.predicted_samples_per_s.nominal - 1.0

    @property
    def inside_band(self) -> bool:
        return self.predicted_samples_per_s.contains(self.measured_samples_per_s)

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device_id, "name": self.name, "run_id": self.run_id,
                "measured_samples_per_s": self.measured_samples_per_s,
                "predicted_samples_per_s": self.predicted_samples_per_s.to_dict(), "error": self.error,
                "inside_band": self.inside_band, "predicted_from": self.predicted_from}


@dataclass(frozen=True)
class Advice:
    run_id: str
    run_name: str
    subject: str
    constraints: Constraints
    facts: StepFacts
    rows: tuple[Row, ...]
    chart: tuple[ChartPoint, ...]
    recommendation: str
    calibration: tuple[Calibration, ...]
    credits: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = field(default_factory=tuple)  # shown above everything else
    target: Subject | None = None
    quality: tuple[str, ...] = field(default_factory=tuple)  # "How good is this advice" lines
    scorecards: tuple[Scorecard, ...] = ()  # the same back-tests, a row per regime (the tables)
    memory_line: str = ""  # the memory verdicts on the corpus's published batches, one line


def _within(value: Band | None, limit: float | None) -> bool | None:
    if limit is None or value is None:
        return None if limit is not None else True
    if value.high <= limit:
        return True
    return False if value.low > limit else None


def _row(projection: Projection, blind: Projection | None, run_for_power: RunResult | None,
         constraints: Constraints, catalogue: Catalogue, owned: bool) -> Row:
    if projection.samples_per_s is None or projection.status == NA:
        return Row(projection, None, None, None, Cost(None, None, "", projection.reason or NA), owned,
                   None, None, blind)
    time_s = projection.samples_per_s.inverse_times(constraints.total_samples)
    power = power_of(projection.device, run_for_power)
    energy = energy_wh(time_s, power)
    cost = job_cost(projection.device, time_s, energy, constraints, catalogue, owned)
    deadline = _within(time_s, constraints.deadline_s)
    budget = _within(cost.amount, constraints.budget_total)
    price = projection.device.release_price_usd
    if cost.kind == BOUGHT and constraints.budget_total is not None and price is not None \
            and price.value > constraints.budget_total:
        budget = False  # buying it costs more up front than the whole budget
    if constraints.budget_per_h is not None:
        hourly = _within(cost.per_h, constraints.budget_per_h)
        budget = hourly if budget is None or hourly is False else budget
    return Row(projection, time_s, energy, power, cost, owned, deadline, budget, blind)


def _rank_key(row: Row, constraints: Constraints) -> tuple[Any, ...]:
    time = row.time_s.nominal if row.time_s is not None else float("inf")
    cost = row.cost.amount.nominal if row.cost.amount is not None else float("inf")
    primary = (cost, time) if constraints.deadline_s is not None else (time, cost)
    return (row.projection.status == NA, not row.feasible, *primary)


def _targets(catalogue: Catalogue, subject_device: HardwareDevice | None, points: Sequence[Point],
             device_ids: Sequence[str] | None, show_all: bool) -> list[HardwareDevice]:
    if device_ids:
        chosen = [d for d in (catalogue.get(i) for i in device_ids) if d is not None]
    elif show_all:
        chosen = list(catalogue.devices)
    else:
        chosen = list(catalogue.featured())
    chosen += [p.device for p in points]
    if subject_device is not None:
        chosen.insert(0, subject_device)
    unique: dict[str, HardwareDevice] = {}
    for device in chosen:
        unique.setdefault(device.id, device)
    return list(unique.values())


def _calibration(rows: Sequence[Row]) -> tuple[Calibration, ...]:
    out = []
    for row in rows:
        if not row.measured or row.blind is None or row.blind.samples_per_s is None:
            continue
        actual = row.projection.samples_per_s
        assert actual is not None
        out.append(Calibration(row.device.id, row.device.name, row.projection.measured_run, actual.nominal,
                               row.blind.samples_per_s, row.blind.choice.source if row.blind.choice else ""))
    return tuple(out)


def _self_check(calibration: Sequence[Calibration], run_id: str) -> str | None:
    own = next((c for c in calibration if c.run_id == run_id), None)
    if own is None or own.inside_band:
        return None
    return (f"This run's own self-check is outside its band: {own.name} was predicted "
            f"{own.predicted_samples_per_s.nominal:,.0f} samples/s and measured "
            f"{own.measured_samples_per_s:,.0f} ({own.error:+.0%}); treat the projections with care.")


def _evidence(pair_orders: Mapping[str, Sequence[PairOrder]], gpu: GpuModel | None,
              subject: Subject) -> OrderEvidence | None:
    """The back-tests' pair orders for the recommendation: of the regime the GPU rows were
    projected in (a kind of model the corpus lacks has no back-test of its own: the new-model
    one), and the leave-one-GPU-out one for a GPU the corpus lacks."""
    if gpu is None or not pair_orders:
        return None
    regime = gpu.regime_for(subject.model_key, subject.family)
    seen = pair_orders.get(regime) or pair_orders.get(NEW_MODEL) or ()
    return OrderEvidence(gpu.devices, tuple(seen), tuple(pair_orders.get(NEW_GPU) or ()))


#: ``Advice.run_id`` of advice for a model counted on meta, not trained (``advise --model``)
COUNTED = "counted"


def advise(run: RunResult | None, catalogue: Catalogue, constraints: Constraints,
           history: Sequence[RunResult] = (), reference: Sequence[RunResult] = (),
           device_ids: Sequence[str] | None = None, show_all: bool = False, subject: Subject | None = None,
           gpu: GpuModel | None = None, pair_orders: Mapping[str, Sequence[PairOrder]] | None = None) -> Advice:
    """Project ``subject`` (default: ``run``'s model at its own batch and precision) onto the
    catalogue under ``constraints``; GPU rows need ``gpu`` (the fitted corpus model), else they
    are n/a. ``run`` None: no run was measured (``advise --model``; ``subject`` is then the
    model counted on meta). ``pair_orders``: per back-test regime, how often two GPUs'
    projections were in the published order (``backtest.pair_orders``), for the
    recommendation's "too close to call"."""
    if run is None:
        if subject is None:
            raise ValueError("advice without a measured run needs the subject (a model counted on meta)")
        return _advise(None, subject, subject.step, catalogue, constraints, history, reference, device_ids,
                       show_all, gpu, pair_orders)
    facts = step_facts(run)
    return _advise(run, subject or subject_of_run(run, facts), facts, catalogue, constraints, history, reference,
                   device_ids, show_all, gpu, pair_orders)


def _advise(run: RunResult | None, subject: Subject, facts: StepFacts, catalogue: Catalogue,
            constraints: Constraints, history: Sequence[RunResult], reference: Sequence[RunResult],
            device_ids: Sequence[str] | None, show_all: bool, gpu: GpuModel | None,
            pair_orders: Mapping[str, Sequence[PairOrder]] | None) -> Advice:
    warnings: list[str] = []
    if run is None:
        refused = ("CPU and Apple GPU targets need a measurement: `horsepower run --model ... --device cpu` "
                   "(or `--device mps` on a Mac), then `horsepower advise RUN`")
        subject_device, how = None, "no run: the model was counted, not trained here"
    else:
        refused = ""
        subject_device, how = run_device(run, catalogue)
        reason = unsound_reason(run)
        if reason is not None:
            warnings.append(refusal(reason))
            refused = f"not projected: {reason}"
    run_id = run.run_id if run is not None else COUNTED
    own = None
    if run is not None and subject_device is not None and not refused:
        own = measure_point(run, subject_device, "subject", facts)
    others = [r for r in history if r.run_id != run_id]
    points = calibration_points(others, catalogue, "history") + calibration_points(reference, catalogue, "reference")
    runs_by_id = {r.run_id: r for r in (*others, *reference)}
    if run is not None:
        runs_by_id[run_id] = run
    host = socket.gethostname()
    run_host = run.environment.get("hostname") if run is not None else None
    mine = subject_device is not None and run_host in (None, "", host)  # an imported run is someone else's
    owned_ids = {subject_device.id} if mine and subject_device is not None else set()
    owned_ids |= {p.device.id for p in points if p.origin == "history"
                  and runs_by_id[p.run_id].environment.get("hostname") == host}
    rows = []
    targets = _targets(catalogue, subject_device, points, device_ids, show_all)
    for shown, blind in project_all(model_key(run) if run is not None else "", subject, own, targets, points, gpu,
                                    refused):
        measured_run = runs_by_id.get(shown.measured_run or "")
        rows.append(_row(shown, blind, measured_run, constraints, catalogue, shown.device.id in owned_ids))
    rows.sort(key=lambda r: _rank_key(r, constraints))
    notes = [f"this run's device: {how}" if run is not None else how,
             f"target: batch {subject.batch}, precision {subject.precision}"
             + ("" if subject.same_as_run or run is None else " (not what the run measured: no row is 'measured')"),
             *subject.notes]
    if subject_device is None and run is not None:
        notes.append("its own efficiency cannot be used: projections rest on measured runs and priors")
    if not constraints.samples_given:
        notes.append(f"no dataset size given: figures are for a job of {constraints.samples:,} samples")
    untested: dict[str, list[str]] = {}
    for row in rows:
        if row.projection.untested:
            untested.setdefault(row.projection.untested, []).append(row.device.name)
    notes += [f"untested ({', '.join(names)}): {why}; never the recommendation" for why, names in untested.items()]
    calibration = _calibration(rows)
    check = _self_check(calibration, run_id)
    if check:
        warnings.append(check)
    shown_devices = [r.device for r in rows]
    extra = (CORPUS_CREDIT,) if gpu is not None and any(r.device.family == "gpu" for r in rows) else ()
    if run is None:
        run_name, measured_on = f"{subject.name} bs{subject.batch} {subject.precision}", ""
    else:
        run_name = run.name or run_id
        measured_on = subject_device.name if subject_device is not None else run.spec.device
    return Advice(
        run_id=run_id, run_name=run_name, subject=measured_on,
        constraints=constraints, facts=subject.step, rows=tuple(rows), chart=pareto_points(rows),
        recommendation=recommendation(rows, constraints, run_id, _evidence(pair_orders or {}, gpu, subject)),
        calibration=calibration, credits=(*(credits() if catalogue.uses_epoch(shown_devices) else ()), *extra),
        notes=tuple(notes), warnings=tuple(warnings), target=subject,
    )
