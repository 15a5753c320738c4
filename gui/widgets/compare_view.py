"""Head-to-head comparison of stored runs: table, bar chart, overlaid throughput. GUI thread."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.form_parts import fit_table_height
from gui.widgets.theme import style_plot
from profiler.analysis.compare import HEADERS, Comparison, compare, table_cells
from profiler.analysis.prices import PricesError, load_prices
from profiler.analysis.value import PriceBook
from profiler.history import HistoryStore
from profiler.history.series import throughput_points
from profiler.reports.svg import PALETTE


class CompareView(QWidget):
    """Compare the runs given to ``set_runs``; the baseline picker sets the speedup reference."""

    sig_baseline_changed = Signal(str)
    """The user picked another baseline run (run id). GUI thread."""

    def __init__(self, store: HistoryStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.runs: list[dict[str, Any]] = []
        self.comparison: Comparison | None = None
        self.baseline_box = QComboBox()
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.bars = pg.PlotWidget(title="samples/s")
        self.lines = pg.PlotWidget(title="throughput over time")
        self.lines.setLabel("bottom", "time", units="s")
        self.lines.addLegend()
        top = QHBoxLayout()
        top.addWidget(QLabel("Speedup relative to:"))
        top.addWidget(self.baseline_box, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)
        charts = QHBoxLayout()
        charts.addWidget(self.bars)
        charts.addWidget(self.lines)
        layout.addLayout(charts)
        self.baseline_box.currentIndexChanged.connect(self._on_baseline_box_changed)

    def prices(self) -> PriceBook:
        try:
            return load_prices()
        except PricesError:
            return PriceBook()

    def set_runs(self, run_ids: list[str]) -> None:
        """Load ``run_ids`` from the store; the baseline defaults to the first CPU run."""
        self.runs = [r for r in (self.store.get(i) for i in run_ids) if r is not None]
        self.baseline_box.blockSignals(True)
        self.baseline_box.clear()
        for run in self.runs:
            self.baseline_box.addItem(str(run.get("name") or run["run_id"]), run["run_id"])
        self.baseline_box.blockSignals(False)
        self._render(None)

    def _render(self, baseline: str | None) -> None:
        self.table.setRowCount(0)
        self.bars.clear()
        self.lines.clear()
        if not self.runs:
            self.comparison = None
            return
        self.comparison = compare(self.runs, baseline, self.prices())
        index = self.baseline_box.findData(self.comparison.baseline_id)
        self.baseline_box.blockSignals(True)
        self.baseline_box.setCurrentIndex(index)
        self.baseline_box.blockSignals(False)
        cells = table_cells(self.comparison)
        self.table.setRowCount(len(cells))
        for r, row in enumerate(cells):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        heights = [row.samples_per_s or 0.0 for row in self.comparison.rows]
        self.bars.addItem(pg.BarGraphItem(x=list(range(len(heights))), height=heights, width=0.6,
                                          brushes=[PALETTE[i % len(PALETTE)]
                                                   for i in range(len(heights))]))
        self.bars.getAxis("bottom").setTicks(
            [[(i, row.device) for i, row in enumerate(self.comparison.rows)]])
        for i, run in enumerate(self.runs):
            xs, ys = throughput_points(run["series"], phase=None)
            self.lines.plot(xs, ys, pen=pg.mkPen(PALETTE[i % len(PALETTE)]),
                            name=str(run.get("name") or run["run_id"]))

    def _on_baseline_box_changed(self, index: int) -> None:
        run_id = self.baseline_box.itemData(index)
        if run_id:
            self._render(run_id)
            self.sig_baseline_changed.emit(run_id)

    def set_dark(self, dark: bool) -> None:
        style_plot(self.bars, dark)
        style_plot(self.lines, dark)

    def fit_table(self) -> None:
        """Columns to their contents, the table as tall as its rows: the charts get the rest."""
        self.table.resizeColumnsToContents()
        fit_table_height(self.table)
