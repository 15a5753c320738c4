"""A scale sweep drawn: samples/s and efficiency versus ranks, each rank's time split. GUI thread.

Everything shown comes from ``profiler.analysis.scaling_view.scale_report``: the points and
their ideal (linear) line, efficiency ``E(N) = X_N / (N * X_1)`` against the ideal 100%, the
per-rank stacked bar (compute, exposed gradient communication, input) of the world size
picked below it, the slowest rank relative to the median (flagged past the engine's ratio),
the all-reduce bus bandwidth, and the CPU caveat. This widget only places them.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.form_parts import fit_table_height
from gui.widgets.plot_kit import PageChart
from gui.widgets.theme import WARNING_COLOUR, style_plot
from profiler import units
from profiler.analysis.scaling_view import POINT_HEADERS, SPLIT_PARTS, ScaleReport, point_cells

MEASURED = "#2563EB"
IDEAL = "#9CA3AF"
PART_COLOURS = {"compute": "#2563EB", "comm": "#F59E0B", "input": "#10B981"}
PART_WORDS = {"compute": "compute", "comm": "gradient communication (exposed)", "input": "input wait"}
BAR_WIDTH = 0.6
LEGEND_ROOM = 1.6  # x units right of the last bar, for the split's legend


class PercentAxis(pg.AxisItem):
    """A left axis whose ticks read as percentages of a fraction (``units.percent``)."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [units.percent(v, 0) for v in values]


class ScalingView(QWidget):
    """Shows one ``ScaleReport`` (``show_report``); empty until one is given."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: ScaleReport | None = None
        self.title = QLabel("", objectName="sectionLabel", wordWrap=True)
        self.caveat = QLabel("", objectName="caveatLabel", wordWrap=True)
        self.caveat.setStyleSheet(f"color: {WARNING_COLOUR};")
        self.throughput = self._plot("Samples/s by ranks · measured and ideal (linear)", "samples/s")
        self.throughput.addLegend(offset=(10, 10))
        self.efficiency = PageChart(title="Scaling efficiency E(N) = X_N / (N · X_1)",
                                        axisItems={"left": PercentAxis("left")})
        self._style_axes(self.efficiency, "")
        self.split = self._plot("Time per step, by rank · median step", "")
        self.split.setLabel("left", "step time", units="s")
        self.split.getAxis("left").enableAutoSIPrefix(True)
        self.split.setLabel("bottom", "rank")
        self.split.addLegend(offset=(-10, 10))  # top right, beside the bars (see ``LEGEND_ROOM``)
        self.split_size = QComboBox()
        self.split_size.setToolTip("The world size whose ranks the bar chart shows")
        self.straggler = QLabel("", objectName="stragglerLabel", wordWrap=True)
        self.busbw = QLabel("", wordWrap=True)
        self.basis = QLabel("", objectName="mutedLabel", wordWrap=True)
        self.notes = QLabel("", objectName="mutedLabel", wordWrap=True)
        self.table = QTableWidget(0, len(POINT_HEADERS))
        self.table.setHorizontalHeaderLabels(list(POINT_HEADERS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self._layout()
        self.set_dark(False)
        self.split_size.currentIndexChanged.connect(lambda _i: self._draw_split())

    def _plot(self, title: str, y_label: str) -> pg.PlotWidget:
        widget = PageChart(title=title)
        self._style_axes(widget, y_label)
        return widget

    @staticmethod
    def _style_axes(widget: pg.PlotWidget, y_label: str) -> None:
        widget.setMouseEnabled(x=False, y=False)
        widget.hideButtons()
        widget.setLabel("bottom", "ranks (world size)")
        if y_label:
            widget.setLabel("left", y_label)
        widget.getAxis("left").enableAutoSIPrefix(False)
        widget.setMinimumHeight(220)

    def _layout(self) -> None:
        charts = QHBoxLayout()
        charts.addWidget(self.throughput, 1)
        charts.addWidget(self.efficiency, 1)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Time split at"))
        pick.addWidget(self.split_size)
        pick.addWidget(QLabel("ranks"))
        pick.addStretch(1)
        side = QVBoxLayout()
        side.addLayout(pick)
        for label in (self.straggler, self.busbw, self.basis, self.notes):
            side.addWidget(label)
        side.addStretch(1)
        below = QHBoxLayout()
        below.addWidget(self.split, 3)
        below.addLayout(side, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.caveat)
        layout.addWidget(self.table)
        layout.addLayout(charts, 1)
        layout.addLayout(below, 1)

    # ---- showing a report ------------------------------------------------------------
    def show_report(self, report: ScaleReport) -> None:
        """Draw ``report``; the split shows the largest world size that reported one."""
        self.report = report
        self.title.setText(report.title)
        self.caveat.setText(report.caveat)
        self.caveat.setVisible(bool(report.caveat))
        self._fill_table(report)
        self._draw_curves(report)
        sizes = report.world_sizes
        self.split_size.blockSignals(True)
        self.split_size.clear()
        for n in sizes:
            self.split_size.addItem(str(n), n)
        with_bars = [d.world_size for d in report.details if d.bars]
        if with_bars:
            self.split_size.setCurrentIndex(sizes.index(with_bars[-1]))
        self.split_size.blockSignals(False)
        self._draw_split()

    def _fill_table(self, report: ScaleReport) -> None:
        cells = point_cells(report)
        self.table.setRowCount(len(cells))
        for r, row in enumerate(cells):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c != 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        fit_table_height(self.table)

    def _draw_curves(self, report: ScaleReport) -> None:
        self.throughput.clear()
        self.efficiency.clear()
        sizes = report.world_sizes
        measured = [(p.world_size, p.samples_per_s) for p in report.points if p.samples_per_s]
        ideal = [(n, x) for n, x in zip(sizes, report.ideal_samples_per_s, strict=True) if x]
        dash = pg.mkPen(IDEAL, width=2, style=Qt.PenStyle.DashLine)
        if ideal:
            self.throughput.plot([n for n, _ in ideal], [x for _, x in ideal], pen=dash, name="ideal (linear)")
        if measured:
            self.throughput.plot([n for n, _ in measured], [x for _, x in measured], pen=pg.mkPen(MEASURED, width=2),
                                 symbol="o", symbolBrush=MEASURED, symbolPen=None, name="measured")
        tops = [x for _, x in ideal + measured]
        if tops:  # from zero: a throughput axis that starts elsewhere exaggerates the gap
            self.throughput.setYRange(0.0, max(tops), padding=0.08)
        effs = [(p.world_size, p.efficiency) for p in report.points if p.efficiency is not None]
        if sizes:
            self.efficiency.plot([min(sizes), max(sizes)], [1.0, 1.0], pen=dash)
            ideal_text = pg.TextItem("ideal 100%", color=IDEAL, anchor=(1, 1))
            ideal_text.setPos(max(sizes), 1.0)
            self.efficiency.addItem(ideal_text)
        if effs:
            self.efficiency.plot([n for n, _ in effs], [e for _, e in effs], pen=pg.mkPen(MEASURED, width=2),
                                 symbol="o", symbolBrush=MEASURED, symbolPen=None)
            for n, e in effs:
                label = pg.TextItem(units.percent(e, 0), color=MEASURED, anchor=(0.5, 1.3))
                label.setPos(n, e)
                self.efficiency.addItem(label)
        self.efficiency.setYRange(0.0, max([1.0, *(e for _, e in effs)]) + 0.2, padding=0)
        for widget in (self.throughput, self.efficiency):
            widget.getAxis("bottom").setTicks([[(n, str(n)) for n in sizes]])
            if sizes:
                widget.setXRange(min(sizes) - 0.3, max(sizes) + 0.3, padding=0)

    def _draw_split(self) -> None:
        self.split.clear()
        report = self.report
        n = self.split_size.currentData()
        detail = report.detail(int(n)) if report is not None and n is not None else None
        if detail is None:
            for label in (self.straggler, self.busbw, self.basis, self.notes):
                label.setText("")
            return
        for part in SPLIT_PARTS:
            xs = [bar.rank for bar in detail.bars]
            bottoms = [dict((p, b) for p, b, _ in bar.segments)[part] for bar in detail.bars]
            heights = [dict((p, h) for p, _, h in bar.segments)[part] for bar in detail.bars]
            if xs:
                self.split.addItem(pg.BarGraphItem(x=xs, y0=bottoms, height=heights, width=BAR_WIDTH,
                                                   brush=PART_COLOURS[part], pen=pg.mkPen(None),
                                                   name=PART_WORDS[part]))
        self.split.getAxis("bottom").setTicks([[(bar.rank, str(bar.rank)) for bar in detail.bars]])
        if detail.bars:
            self.split.setXRange(-0.6, len(detail.bars) - 0.4 + LEGEND_ROOM, padding=0)
        self.split.setToolTip("\n".join(bar.text for bar in detail.bars))
        if not detail.bars:
            self.straggler.setText(f"{detail.world_size} rank(s): {detail.status}"
                                   + (f": {detail.error}" if detail.error else " · no time split reported"))
        else:
            self.straggler.setText(detail.straggler_text)
        colour = WARNING_COLOUR if detail.straggler_flag or detail.error else ""
        self.straggler.setStyleSheet(f"color: {colour};" if colour else "")
        self.busbw.setText(detail.busbw_text)
        self.basis.setText(detail.split_basis)
        noisy = [str(bar.rank) for bar in detail.bars if bar.noisy]
        extra = [f"rank(s) {', '.join(noisy)}: the split is within the noise"] if noisy else []
        self.notes.setText("\n".join(f"⚠ {w}" for w in [*detail.warnings, *extra]))

    def set_dark(self, dark: bool) -> None:
        for widget in (self.throughput, self.efficiency, self.split):
            style_plot(widget, dark)

    def rendered(self) -> dict[str, Any]:
        """What is drawn, for tests: curve points and the split's bars."""
        curves = {}
        for widget, name in ((self.throughput, "throughput"), (self.efficiency, "efficiency")):
            curves[name] = [tuple(zip(*item.getData(), strict=True)) for item in widget.getPlotItem().listDataItems()]
        bars = [item.opts for item in self.split.getPlotItem().items if isinstance(item, pg.BarGraphItem)]
        return {**curves, "bars": bars}
