"""The advisor's cost-versus-time-to-train chart: log-log, the Pareto front marked. GUI thread.

Plots the engine's chart points (``gui.viewmodel.advice_view.ChartPoint``, from
``profiler.analysis.advisor.pareto``): a measured device is a filled green diamond, a
projected one a hollow circle with its low-high band as whiskers, one whose band no back-test
measured (a GPU vendor the corpus lacks) a grey cross labelled "(untested)"; the Pareto front (nothing
both faster and cheaper) is joined by an orange line and its devices are named. Axis ticks
are decades labelled as durations and money (``profiler.units``); every item is placed at
log10 of its figures on linear axes (pyqtgraph's log mode moves curves but not scatters,
whiskers or labels). Hovering a point shows its figures and bands.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QWidget

from gui.widgets.plot_kit import PageChart
from gui.widgets.theme import PLOT_BG, PLOT_FG
from profiler import units
from profiler.reports.label_layout import place_labels

if TYPE_CHECKING:
    from gui.viewmodel.advice_view import ChartPoint

MEASURED_COLOUR = "#16A34A"
PROJECTED_COLOUR = "#2563EB"
FRONT_COLOUR = "#EA580C"
UNTESTED_COLOUR = "#6B7280"
BAND_COLOUR = (147, 163, 184, 120)
LABEL_CHARS = 26
TITLE = "Cost versus time to train (log-log): lower left is better"


def lg(value: float) -> float:
    """Where ``value`` sits on a log axis."""
    return math.log10(value)


def time_ticks(lo_s: float, hi_s: float) -> list[tuple[float, str]]:
    """``units.duration_ticks`` at log positions."""
    return [(lg(v), words) for v, words in units.duration_ticks(lo_s, hi_s)]


def short(name: str) -> str:
    """``name`` cut to about LABEL_CHARS; a short tail after the last comma (", 2 cores") is
    kept, since it is what tells two slices of one chip apart."""
    if len(name) <= LABEL_CHARS:
        return name
    head, comma, tail = name.rpartition(", ")
    if comma and len(tail) <= LABEL_CHARS // 2:
        return head[:LABEL_CHARS - len(tail) - 3].rstrip() + "…, " + tail
    return name[:LABEL_CHARS - 1] + "…"


def _label_font() -> QFont:
    font = QFont()
    font.setPointSize(9)
    return font


def _label_text(p: ChartPoint) -> str:
    return short(p.name) + (" (measured)" if p.measured else " (untested)" if p.untested else "")


class CostTimeChart(PageChart):
    """Log-log scatter of the advisor's devices with the Pareto front."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background=PLOT_BG["light"])
        self.setMinimumHeight(320)
        item = self.getPlotItem()
        item.setTitle(TITLE, size="10pt", color=PLOT_FG["light"])
        item.setMenuEnabled(False)
        item.hideButtons()
        item.showGrid(x=True, y=True, alpha=0.15)
        self.legend = item.addLegend(offset=(-10, 10), labelTextSize="9pt")
        self.points: tuple = ()
        self.front_names: list[str] = []
        self.labels: list[pg.TextItem] = []
        self.currency = "USD"
        self.dark = False

    def show_points(self, points: Sequence[ChartPoint], currency: str = "USD") -> None:
        """Replace the chart with ``points`` (``ChartPoint``s; time in s, cost in ``currency``)."""
        item = self.getPlotItem()
        item.clear()
        self.legend.clear()
        self.labels = []
        self.points = tuple(points)
        self.currency = currency
        self.front_names = [p.name for p in sorted((p for p in points if p.on_front), key=lambda p: p.time_s)]
        if not points:
            self._empty()
            return
        self._bands(points)
        front = sorted((p for p in points if p.on_front), key=lambda p: p.time_s)
        if len(front) > 1:
            item.plot([lg(p.time_s) for p in front], [lg(p.cost) for p in front], pen=pg.mkPen(FRONT_COLOUR, width=2))
        projected = [p for p in points if not p.measured and not p.untested]
        untested = [p for p in points if not p.measured and p.untested]
        measured = [p for p in points if p.measured]
        if projected:
            item.addItem(self._scatter(projected, "o", None, PROJECTED_COLOUR, "projected, not measured"))
        if untested:  # a band no back-test measured: a hollow cross, never taken for a checked projection
            item.addItem(self._scatter(untested, "x", None, UNTESTED_COLOUR, "projected, untested"))
        if measured:
            item.addItem(self._scatter(measured, "d", MEASURED_COLOUR, MEASURED_COLOUR, "measured"))
        if front:  # front devices: an orange ring on top of their own marker
            ring = pg.ScatterPlotItem([lg(p.time_s) for p in front], [lg(p.cost) for p in front], symbol="o", size=19,
                                      pen=pg.mkPen(FRONT_COLOUR, width=2.5), brush=None,
                                      name="Pareto front: nothing is faster and cheaper")
            item.addItem(ring)
        self._axes(points)
        (x_lo, x_hi), (y_lo, y_hi) = item.viewRange()
        box = item.getViewBox()  # its size now (a panel not yet laid out: a typical one)
        px_x = (x_hi - x_lo) / (box.width() if box.width() > 100 else 480.0)
        px_y = (y_hi - y_lo) / (box.height() if box.height() > 100 else 300.0)
        metrics = QFontMetrics(_label_font())
        named = [p for p in sorted(points, key=lambda p: p.time_s) if p.on_front or p.measured]
        boxes = [(lg(p.time_s), lg(p.cost), metrics.horizontalAdvance(_label_text(p)) * px_x, metrics.height() * px_y)
                 for p in named]
        spots = place_labels(boxes, (x_lo + x_hi) / 2, within=(x_lo, x_hi))
        for p, spot in zip(named, spots, strict=True):
            assert spot is not None  # keep_all: every label is placed
            self._label(p, *spot)

    def _scatter(self, points: Sequence[ChartPoint], symbol: str, fill: str | None, line: str,
                 name: str) -> pg.ScatterPlotItem:
        scatter = pg.ScatterPlotItem(
            [lg(p.time_s) for p in points], [lg(p.cost) for p in points], symbol=symbol, size=11,
            pen=pg.mkPen(line, width=2), brush=pg.mkBrush(fill or PLOT_BG["dark" if self.dark else "light"]),
            hoverable=True, tip=None, name=name, data=[p.tip for p in points])
        scatter.sigHovered.connect(self._on_hovered)
        return scatter

    def _on_hovered(self, _scatter: object, hovered: Sequence, _event: object) -> None:
        self.setToolTip(str(hovered[0].data()) if len(hovered) else "")

    def _bands(self, points: Sequence[ChartPoint]) -> None:
        """Low-high whiskers of each projected point (in the log axes' coordinates)."""
        shown = [p for p in points if not p.measured]
        if not shown:
            return
        x = np.array([lg(p.time_s) for p in shown])
        y = np.array([lg(p.cost) for p in shown])
        whiskers = pg.ErrorBarItem(
            x=x, y=y, left=x - np.array([lg(p.time_low_s) for p in shown]),
            right=np.array([lg(p.time_high_s) for p in shown]) - x,
            top=np.array([lg(p.cost_high) for p in shown]) - y,
            bottom=y - np.array([lg(p.cost_low) for p in shown]), beam=0.0, pen=pg.mkPen(BAND_COLOUR, width=1))
        self.getPlotItem().addItem(whiskers)

    def _label(self, p: ChartPoint, leftwards: bool, below: bool = False) -> None:
        ink = PLOT_FG["dark" if self.dark else "light"]
        colour = MEASURED_COLOUR if p.measured else (FRONT_COLOUR if p.on_front else ink)
        rise = -0.1 if below else 1.1
        anchor = (1.06, rise) if leftwards else (-0.06, rise)
        text = pg.TextItem(_label_text(p), color=colour, anchor=anchor)
        text.setFont(_label_font())
        text.setPos(lg(p.time_s), lg(p.cost))
        self.getPlotItem().addItem(text)
        self.labels.append(text)

    def _axes(self, points: Sequence[ChartPoint]) -> None:
        item = self.getPlotItem()
        times = [v for p in points for v in (p.time_low_s, p.time_high_s, p.time_s) if v > 0]
        costs = [v for p in points for v in (p.cost_low, p.cost_high, p.cost) if v > 0]
        item.getAxis("bottom").setTicks([time_ticks(min(times), max(times)), []])
        item.getAxis("left").setTicks([[(lg(v), units.money(v, self.currency)) for v in
                                        units.decades(min(costs), max(costs))], []])
        item.setLabel("bottom", "time to train (log scale)")
        item.setLabel("left", f"cost of the job, {self.currency} (log scale)")
        lo_x, hi_x = lg(min(times)), lg(max(times))
        lo_y, hi_y = lg(min(costs)), lg(max(costs))
        span = max(hi_x - lo_x, 0.5)
        item.setXRange(lo_x - 0.08 * span, hi_x + 0.08 * span, padding=0)
        rise = max(hi_y - lo_y, 0.5)
        item.setYRange(lo_y - 0.08 * rise, hi_y + 0.35 * rise, padding=0)  # headroom for the legend

    def _empty(self) -> None:
        item = self.getPlotItem()
        item.getAxis("bottom").setTicks(None)
        item.getAxis("left").setTicks(None)
        hint = pg.TextItem("No device has both a time and a cost to plot (see the table's n/a reasons).",
                           color="#6B7280", anchor=(0.5, 0.5))
        item.addItem(hint)
        hint.setPos(0.5, 0.5)

    def set_dark(self, dark: bool) -> None:
        mode = "dark" if dark else "light"
        self.dark = dark
        self.setBackground(PLOT_BG[mode])
        item = self.getPlotItem()
        item.setTitle(TITLE, size="10pt", color=PLOT_FG[mode])
        for name in ("left", "bottom"):
            item.getAxis(name).setPen(PLOT_FG[mode])
            item.getAxis(name).setTextPen(PLOT_FG[mode])
        self.legend.setLabelTextColor(PLOT_FG[mode])
        if self.points:
            self.show_points(self.points, self.currency)
