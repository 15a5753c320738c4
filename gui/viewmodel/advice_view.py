"""The advisor's answer as the Advisor tab shows it: plain strings and chart points. Qt-free.

``advice_view(advice)`` turns the engine's ``Advice`` (``profiler.analysis.advisor.advise``)
into what the tab displays, with the engine's own formatting: the table cells are
``profiler.analysis.advisor.text.row_cells`` (the CLI's and the HTML report's columns), the
chart points are ``Advice.chart`` (``pareto.ChartPoint``: time and cost as bands, measured
or projected, on the Pareto front), the calibration rows are ``Advice.calibration``
(``advise.Calibration``). Nothing here works a figure out. Called on the advisor's background
thread (the engine's modules import torch), so the GUI thread only copies strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from profiler import units

if TYPE_CHECKING:
    from profiler.analysis.advisor import Advice
    from profiler.analysis.advisor.pareto import ChartPoint as EnginePoint

#: the limits columns the tab adds to the engine's table (the engine's ``Row`` checks)
LIMIT_HEADERS = ("deadline", "budget")
CHECK_WORDS = {True: "yes", False: "no", None: "maybe"}


@dataclass(frozen=True)
class ChartPoint:
    """One device on the cost-versus-time chart (seconds and money, nominal and band)."""

    name: str
    time_s: float
    cost: float
    time_low_s: float
    time_high_s: float
    cost_low: float
    cost_high: float
    measured: bool
    on_front: bool
    tip: str
    untested: bool = False  # projected with an error no back-test measured (``Projection.untested``)


@dataclass(frozen=True)
class QualityTables:
    """"How good is this advice" as two small tables: per back-test regime, its four scores
    against their targets (``met``: each score's verdict), then how often the faster of two
    GPUs was named right, by how far apart they were projected; and the memory line."""

    score_headers: tuple[tuple[str, str], ...] = ()  # (what, its target)
    scores: tuple[tuple[str, ...], ...] = ()  # the regime, then each score
    met: tuple[tuple[bool, ...], ...] = ()
    order_headers: tuple[str, ...] = ()  # the projected gaps
    orders: tuple[tuple[str, ...], ...] = ()  # the regime, then the share named right per gap ("" none)
    memory: str = ""

    @property
    def empty(self) -> bool:
        return not self.scores and not self.memory


def quality_tables(advice: Advice) -> QualityTables:
    """The tables of ``advice.scorecards`` (empty without a fitted corpus)."""
    from profiler.analysis.advisor.backtest import order_grid

    cards = advice.scorecards
    if not cards:
        return QualityTables(memory=advice.memory_line)
    spans, grid = order_grid(cards)
    orders = tuple((card.title, *(f"{o.share:.0%}" if o is not None else "" for o in row))
                   for card, row in zip(cards, grid, strict=True))
    return QualityTables(
        score_headers=tuple((score.name, score.target) for score in cards[0].scores),
        scores=tuple((card.title, *(score.value for score in card.scores)) for card in cards),
        met=tuple(tuple(score.met for score in card.scores) for card in cards),
        order_headers=spans, orders=orders, memory=advice.memory_line)


@dataclass(frozen=True)
class AdviceView:
    """Everything the Advisor tab shows for one answer."""

    run_id: str
    title: str
    job: str
    recommendation: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    measured: tuple[bool, ...]
    feasible: tuple[bool, ...]
    row_tips: tuple[str, ...]
    chart: tuple[ChartPoint, ...]
    currency: str
    calibration: tuple[tuple[str, ...], ...] = ()
    calibration_headers: tuple[str, ...] = ()  # ``text.CALIBRATION_HEADERS``
    notes: tuple[str, ...] = ()
    credits: tuple[str, ...] = ()
    projected_words: str = "projected, not measured"
    warnings: tuple[str, ...] = ()
    quality: tuple[str, ...] = ()  # "How good is this advice": the back-test against its targets, in words
    quality_tables: QualityTables = QualityTables()  # the same as tables


def job_words(advice: Advice) -> str:
    """``2,000,000 samples (1,000,000 × 2 epochs) · deadline 24 h · budget 2 USD/h · pricing auto``."""
    c = advice.constraints
    parts = [f"{units.count(c.total_samples)} samples ({units.count(c.samples)} × {c.epochs:g} epoch"
             f"{'s' if c.epochs != 1 else ''})"]
    if c.deadline_s:
        parts.append(f"deadline {units.duration(c.deadline_s)}")
    if c.budget_total:
        parts.append(f"budget {units.money(c.budget_total, c.currency)}")
    if c.budget_per_h:
        parts.append(f"budget {units.money(c.budget_per_h, c.currency)}/h")
    parts.append(f"pricing {c.mode}")
    if c.electricity_per_kwh is not None:
        parts.append(f"electricity {units.money(c.electricity_per_kwh, c.currency)}/kWh")
    return " · ".join(parts)


def _row_tip(row: Any, projected: str) -> str:
    p = row.projection
    lines = [f"{row.device.name}: {'measured' if row.measured else projected}"]
    if row.cost.basis:
        lines.append(f"cost: {row.cost.basis}")
    if p.fit is not None and p.fit.message:
        lines.append(f"memory: {p.fit.message}")
    if p.choice is not None and p.choice.source:
        lines.append(f"efficiency from: {p.choice.source}")
    if p.reason:
        lines.append(p.reason)
    return "\n".join(lines)


def _point(point: EnginePoint, currency: str, projected: str) -> ChartPoint:
    t, c = point.time_s, point.cost
    how = "measured" if point.measured else projected
    tip = (f"{point.name} ({how})\ntime to train {units.duration(t.nominal)} ({t.span(units.duration)})"
           f"\ncost {units.money(c.nominal, currency)} ({c.span(lambda v: units.money(v, currency))}) "
           f"[{point.cost_kind or '-'}]"
           + ("\non the Pareto front: nothing is both faster and cheaper" if point.on_front else "")
           + ("\nuntested: how far off this projection may be was never measured" if point.untested else ""))
    return ChartPoint(point.name, t.nominal, c.nominal, t.low, t.high, c.low, c.high, point.measured,
                      point.on_front, tip, point.untested)


def advice_view(advice: Advice) -> AdviceView:
    """The tab's view of ``advice``. Imports the engine's text module: call it off the GUI thread."""
    from profiler.analysis.advisor import PROJECTED
    from profiler.analysis.advisor.text import CALIBRATION_HEADERS, HEADERS, calibration_cells, row_cells

    currency = advice.constraints.currency
    rows = tuple((*row_cells(i + 1, r, currency), CHECK_WORDS[r.meets_deadline], CHECK_WORDS[r.within_budget])
                 for i, r in enumerate(advice.rows))
    basis = f"measured on {advice.subject}" if advice.subject else "counted, not trained here"
    return AdviceView(
        run_id=advice.run_id, title=f"{advice.run_name}, {basis}", job=job_words(advice),
        recommendation=advice.recommendation, headers=(*HEADERS, *LIMIT_HEADERS), rows=rows,
        measured=tuple(r.measured for r in advice.rows), feasible=tuple(r.feasible for r in advice.rows),
        row_tips=tuple(_row_tip(r, PROJECTED) for r in advice.rows),
        chart=tuple(_point(p, currency, PROJECTED) for p in advice.chart
                    if p.time_s.nominal > 0 and p.cost.nominal > 0),
        currency=currency, calibration=tuple(calibration_cells(c) for c in advice.calibration),
        calibration_headers=CALIBRATION_HEADERS,
        notes=(*advice.notes, f"Every figure not marked measured is {PROJECTED}: a roofline of the model's counted "
                              "FLOPs and memory traffic times an efficiency (GPUs: fitted to published "
                              "measurements; others: drawn from measured runs)."),
        credits=advice.credits, projected_words=PROJECTED, warnings=advice.warnings, quality=advice.quality,
        quality_tables=quality_tables(advice),
    )
