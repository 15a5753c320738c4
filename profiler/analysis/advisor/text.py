"""The advisor's answer as plain text (the CLI) and as a JSON-ready dict (``--json``, the window).

Columns: rank, device, the peak it used, measured or projected, samples/s, time to train,
energy, cost and its basis, memory fit with the largest batch that fits, what bounds the step,
confidence. A projected figure shows its band; warnings (an unsound run, a self-check outside
its band) come first; the credit lines follow whenever a sourced figure is in the table.

The JSON rows carry, per device, the fields the checks rely on: ``device`` (catalogue name),
``precision``, ``peak_flops_per_s``, ``samples_per_s``, ``samples_per_s_low``,
``samples_per_s_high``, ``measured``, ``fits`` (bool or null) and ``max_batch`` (int or null).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from profiler import units
from profiler.analysis.advisor.advise import Advice, Calibration
from profiler.analysis.advisor.backtest import Scorecard, order_grid
from profiler.analysis.advisor.bands import PROJECTED, UNTESTED, Band
from profiler.analysis.advisor.catalogue import device_to_dict
from profiler.analysis.advisor.costs import ELECTRICITY_HINT
from profiler.analysis.advisor.project import MEASURED, NA, Projection
from profiler.analysis.advisor.roofline import FITS, NO_FIT
from profiler.analysis.advisor.row import Row

HEADERS = ("#", "device", "peak used", "figures", "samples/s", "time to train", "energy", "cost", "fits",
           "max batch", "bound", "confidence")


@dataclass(frozen=True)
class Cell:
    """One cell of the ranked table: its figure, the low-high band of a projected figure ("" when
    exact) and a tag (the cost's basis: buy, rent or own). ``text`` is the one-line form the CLI
    and the window show; the HTML report sets the band on a line of its own."""

    main: str
    band: str = ""
    tag: str = ""

    @property
    def text(self) -> str:
        return self.main + (f" ({self.band})" if self.band else "") + (f" [{self.tag}]" if self.tag else "")


def _band(band: Band | None, fmt: Callable[[float | None], str], exact: bool) -> Cell:
    if band is None:
        return Cell(units.NA)
    if exact:
        return Cell(fmt(band.nominal))
    return Cell(fmt(band.nominal), band.span(fmt))


def peak_words(p: Projection) -> str:
    """The peak a row used without the device name: ``TF32 dense 156 TFLOP/s``."""
    if p.peak is None:
        return units.NA
    prefix = f"{p.device.name}, "
    return p.peak.label[len(prefix):] if p.peak.label.startswith(prefix) else p.peak.label


def fits_flag(p: Projection) -> bool | None:
    """True: fits at the target batch; False: does not; None: unknown or borderline."""
    if p.fit is None:
        return None
    return {FITS: True, NO_FIT: False}.get(p.fit.status)


def row_parts(rank: int, row: Row, currency: str) -> list[Cell]:
    """The ranked table's cells of one row (``HEADERS``), each with its band apart."""
    p = row.projection
    exact = row.measured
    if p.status == NA:  # the reason is listed under the table (``not_projected``): it would widen every row
        return [Cell(str(rank)), Cell(row.device.name), Cell(units.NA), Cell("not projected"),
                *[Cell(units.NA)] * 8]
    energy_exact = exact and row.power is not None and row.power.measured
    cost = _band(row.cost.amount, lambda v: units.money(v, currency), exact and energy_exact)
    fit = p.fit.status if p.fit else units.NA
    confidence = "measured" if exact else UNTESTED if p.untested else (
        p.samples_per_s.confidence if p.samples_per_s else units.NA)
    largest = p.fit.largest_batch if p.fit else None
    return [
        Cell(str(rank)), Cell(row.device.name + (" (yours)" if row.owned else "")), Cell(peak_words(p)),
        Cell("measured" if exact else PROJECTED),
        _band(p.samples_per_s, units.num, exact), _band(row.time_s, units.duration, exact),
        _band(row.energy_wh, lambda v: f"{units.num(v)} Wh", energy_exact),
        Cell(cost.main, cost.band, row.cost.kind or "-"),
        Cell(fit), Cell(units.count(largest) if largest else units.NA), Cell(p.bound or ("measured" if exact else "")),
        Cell(confidence),
    ]


def row_cells(rank: int, row: Row, currency: str) -> list[str]:
    """The ranked table's cells of one row as one line each (the CLI's and the window's)."""
    return [cell.text for cell in row_parts(rank, row, currency)]


#: the predicted-versus-measured table's columns (``calibration_cells``), in every front end
CALIBRATION_HEADERS = ("device", "predicted samples/s", "band", "measured", "error", "inside band")


def calibration_cells(cal: Calibration) -> tuple[str, ...]:
    """One row of the predicted-versus-measured table (``CALIBRATION_HEADERS``)."""
    pred = cal.predicted_samples_per_s
    return (cal.name, units.num(pred.nominal), pred.span(units.num),
            units.num(cal.measured_samples_per_s), f"{cal.error:+.0%}", "yes" if cal.inside_band else "no")


def not_projected_reasons(rows: Sequence[Row]) -> dict[str, list[str]]:
    """Why the n/a rows are not projected (without the "n/a: "), each reason with its devices."""
    reasons: dict[str, list[str]] = {}
    for row in rows:
        if row.projection.status == NA:
            reasons.setdefault(row.projection.reason.removeprefix("n/a: "), []).append(row.device.name)
    return reasons


def not_projected(rows: Sequence[Row]) -> list[str]:
    """Lines naming why the n/a rows are not projected, one per reason with its devices."""
    reasons = not_projected_reasons(rows)
    lines = ["", "Not projected:"] if reasons else []
    for reason, names in reasons.items():
        lines.append(f"  {', '.join(names)}: {reason}")
    return lines


def quality_cells(cards: Sequence[Scorecard], described: bool = False) -> tuple[list[list[str]], list[list[str]]]:
    """The two tables of "How good is this advice" as cells, each header row first: every
    regime's scores against their targets ("84% met"), then how often the faster of two GPUs
    was named right by how far apart they were projected ("23 of 46 (50%)"). ``described``:
    the case in words beside the regime's title (the report has the room)."""
    scores = [["case", *(f"{score.name} ({score.target})" for score in cards[0].scores)]]
    for card in cards:
        case = f"{card.title}: {card.case}, {card.figures} figures" if described else \
            f"{card.title}: {card.figures} figures"
        scores.append([case, *(f"{score.value} {'met' if score.met else 'NOT met'}" for score in card.scores)])
    spans, grid = order_grid(cards)
    orders = [["projected apart", *spans]]
    orders += [[card.title, *(f"{o.in_order} of {o.pairs} ({o.share:.0%})" if o is not None else "" for o in row)]
               for card, row in zip(cards, grid, strict=True)]
    return scores, orders


def quality_text(advice: Advice) -> list[str]:
    """"How good is this advice" as two text tables (``quality_cells``) and the memory line;
    the plain lines when the advice carries no scorecards."""
    if not advice.scorecards:
        return ["How good is this advice (GPU rows):", *(f"  {q}" for q in advice.quality), ""] if advice.quality \
            else []
    scores, orders = quality_cells(advice.scorecards)
    lines = ["How good is this advice (GPU rows): published GPU figures predicted out of sample "
             "(`horsepower advise --backtest` lists them)",
             *(f"  {line}" for line in units.columns(scores).splitlines()), "",
             "Which of two GPUs is faster: how often the one projected faster was the faster published figure",
             *(f"  {line}" for line in units.columns(orders, right=tuple(range(1, len(orders[0])))).splitlines())]
    if advice.memory_line:
        lines += ["", advice.memory_line]
    return [*lines, ""]


def render(advice: Advice, limit: int | None = None) -> str:
    """The whole answer as text: job, table, notes, calibration, recommendation, credits."""
    c = advice.constraints
    lines = [f"WARNING: {w}" for w in advice.warnings] + ([""] if advice.warnings else [])
    t = advice.target
    target = f"; target batch {t.batch}, precision {t.precision}" if t is not None else ""
    basis = f"measured on {advice.subject}" if advice.subject else "counted on the meta device, not trained here"
    lines += [f"Advice for {advice.run_name} ({advice.run_id}), {basis}{target}",
             f"Job: {c.samples:,} samples x {c.epochs:g} epoch(s) = {units.count(c.total_samples)} samples"
             + (f"; deadline {units.duration(c.deadline_s)}" if c.deadline_s else "")
             + (f"; budget {units.money(c.budget_total, c.currency)}" if c.budget_total else "")
             + (f"; budget {units.money(c.budget_per_h, c.currency)}/h" if c.budget_per_h else "")
             + f"; mode {c.mode}", ""]
    rows = advice.rows[:limit] if limit else advice.rows
    table = [list(HEADERS)] + [row_cells(i + 1, r, c.currency) for i, r in enumerate(rows)]
    lines.append(units.columns(table, right=(0, 4, 5, 6, 9)))
    if limit and len(advice.rows) > limit:
        lines.append(f"... {len(advice.rows) - limit} more (--all-rows)")
    lines += not_projected(rows)
    costed = [r for r in rows if r.time_s is not None]
    unpriced = any(r.cost.electricity_unpriced for r in costed)
    lines += ["", f"Costs (electricity not priced: {ELECTRICITY_HINT}):" if unpriced else "Costs:"]
    lines += [f"  {r.device.name}: {r.cost.basis_without_hint}" for r in costed]
    fits = [r for r in rows if r.projection.fit and r.projection.fit.status not in ("fits", "unknown")]
    if fits:
        lines += ["", "Memory:"] + [f"  {r.device.name}: {r.projection.fit.message}" for r in fits
                                    if r.projection.fit]
    if advice.calibration:
        lines += ["", "Predicted (as if never measured) versus measured:"]
        for cal in advice.calibration:
            pred = cal.predicted_samples_per_s
            lines.append(f"  {cal.name}: predicted {units.num(pred.nominal)} samples/s "
                         f"({pred.span(units.num)}), measured "
                         f"{units.num(cal.measured_samples_per_s)}: error {cal.error:+.0%}, "
                         f"{'inside' if cal.inside_band else 'outside'} the band")
    lines += ["", "Recommendation: " + advice.recommendation, ""]
    lines += quality_text(advice)
    lines += [f"Note: {n}" for n in advice.notes]
    lines.append(f"Projected figures are {PROJECTED}: a roofline of the model's counted FLOPs and traffic times "
                 "an efficiency (GPUs: fitted to published measurements; others: drawn from measured runs); "
                 "see `--json` for each source.")
    lines += advice.credits
    return "\n".join(lines)


def _projection(p: Projection) -> dict[str, Any]:
    return {
        "status": p.status, "label": p.label, "reason": p.reason,
        "samples_per_s": p.samples_per_s.to_dict() if p.samples_per_s else None,
        "step_time_s": p.step_time_s.to_dict() if p.step_time_s else None, "bound": p.bound,
        "efficiency": p.choice.efficiency.to_dict() if p.choice else None,
        "per_kernel_s": p.choice.per_kernel_s.to_dict() if p.choice and p.choice.per_kernel_s else None,
        "efficiency_basis": p.choice.basis if p.choice else None,
        "efficiency_source": p.choice.source if p.choice else None,
        "untested": p.untested or None,
        "calibration_runs": list(p.choice.points) if p.choice else [],
        "memory_fit": None if p.fit is None else {
            "status": p.fit.status, "message": p.fit.message, "largest_batch": p.fit.largest_batch,
            "needed_bytes": p.fit.needed_bytes.to_dict() if p.fit.needed_bytes else None,
            "usable_bytes": p.fit.usable_bytes},
        "measured_run": p.measured_run,
    }


def row_dict(rank: int, row: Row, today: dt.date | None = None, precision: str = "") -> dict[str, Any]:
    p = row.projection
    rate = p.samples_per_s
    return {
        "rank": rank, "device": row.device.name, "device_id": row.device.id,
        "precision": p.peak.precision if p.peak is not None else precision,
        "peak_flops_per_s": p.peak.flops_per_s if p.peak is not None else None,
        "peak_used": p.peak.label if p.peak is not None else None,
        "samples_per_s": rate.nominal if rate else None, "samples_per_s_low": rate.low if rate else None,
        "samples_per_s_high": rate.high if rate else None, "fits": fits_flag(p),
        "max_batch": p.fit.largest_batch if p.fit else None,
        "device_info": device_to_dict(row.device, today), "owned": row.owned,
        "measured": row.projection.status == MEASURED, "projection": _projection(row.projection),
        "time_to_train_s": row.time_s.to_dict() if row.time_s else None,
        "energy_wh": row.energy_wh.to_dict() if row.energy_wh else None,
        "energy_measured": bool(row.power and row.power.measured),
        "power_source": row.power.source if row.power else None,
        "cost": row.cost.amount.to_dict() if row.cost.amount else None,
        "cost_per_h": row.cost.per_h.to_dict() if row.cost.per_h else None,
        "cost_kind": row.cost.kind, "cost_basis": row.cost.basis,
        "cloud_price": row.cost.price.to_dict() if row.cost.price else None,
        "meets_deadline": row.meets_deadline, "within_budget": row.within_budget, "feasible": row.feasible,
        "blind_prediction": _projection(row.blind) if row.blind else None,
    }


def to_dict(advice: Advice) -> dict[str, Any]:
    c = advice.constraints
    f = advice.facts
    return {
        "run_id": advice.run_id, "run_name": advice.run_name, "measured_on": advice.subject or None,
        "constraints": {"samples": c.samples, "epochs": c.epochs, "budget_total": c.budget_total,
                        "budget_per_h": c.budget_per_h, "deadline_s": c.deadline_s, "mode": c.mode,
                        "amortise_years": c.amortise_years, "hours_per_day": c.hours_per_day,
                        "electricity_per_kwh": c.electricity_per_kwh, "currency": c.currency},
        "step": {"flops": f.flops, "samples": f.samples, "batch_size": f.batch_size, "params": f.params,
                 "state_bytes": f.state_bytes, "kernels": f.kernels,
                 "activation_bytes": f.activation_bytes.to_dict() if f.activation_bytes else None,
                 "bytes_moved": f.bytes_moved.to_dict(), "how": list(f.how)},
        "target": {"batch": advice.target.batch, "precision": advice.target.precision,
                   "family": advice.target.family, "flops_per_sample": advice.target.facts.flops_per_sample,
                   "conv_share": advice.target.facts.conv_share} if advice.target else None,
        "rows": [row_dict(i + 1, r, precision=advice.target.precision if advice.target else "")
                 for i, r in enumerate(advice.rows)],
        "warnings": list(advice.warnings), "quality": list(advice.quality),
        "chart": [p.to_dict() for p in advice.chart], "calibration": [c.to_dict() for c in advice.calibration],
        "recommendation": advice.recommendation, "notes": list(advice.notes), "credits": list(advice.credits),
        "label_projected": PROJECTED,
    }
