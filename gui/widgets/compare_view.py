"""Head-to-head comparison of stored runs: table, bars and throughput over time. GUI thread.

Every figure and every verdict comes from the engine (``profiler.analysis.compare``): a
speedup is shown only for runs comparable with the baseline (the same model and settings
on another device, or other settings on the same device, labelled); a repeat shows its
run-to-run spread; any other run is greyed with the reason. Labels are the runs' names
made unique (``profiler.metrics.naming.distinct_labels``). The over-time chart is the
smoothed timed window (``profiler.metrics.series``): warm-up left out, no per-step spikes.
``content`` is the part a PNG export shows (no baseline picker).
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
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
from gui.widgets.theme import PLOT_FG, WARNING_COLOUR, style_plot
from profiler import units
from profiler.analysis.compare import Comparison, comparable_count, compare, headers, table_cells
from profiler.analysis.prices import PricesError, load_prices
from profiler.analysis.value import PriceBook
from profiler.history import HistoryStore
from profiler.metrics.figures import MFU_PLAUSIBLE
from profiler.metrics.series import series_throughput
from profiler.reports.svg import MUTED, PALETTE

GREY = "#9CA3AF"
SPEEDUP_COL = 9
MFU_COL = 6
NUMERIC_FROM = 4


def _colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


class CompareView(QWidget):
    """Compare the runs given to ``set_runs``; the baseline picker sets the speedup reference."""

    sig_baseline_changed = Signal(str)
    """The user picked another baseline run (run id). GUI thread."""

    def __init__(self, store: HistoryStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.runs: list[dict[str, Any]] = []
        self.comparison: Comparison | None = None
        self.dark = False
        self.baseline_box = QComboBox()
        self.baseline_box.setToolTip("The run every speedup is relative to; the number says how many "
                                     "of the other runs can honestly be compared with it.")
        self.baseline_label = QLabel("", objectName="sectionLabel", wordWrap=True)
        self.table = QTableWidget(0, len(headers()))
        self.table.setHorizontalHeaderLabels(list(headers()))
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.bars = PageChart(title="Samples/s · speedup")
        self.bars.setMouseEnabled(x=False, y=False)
        self.bars.hideButtons()
        self.bars.getAxis("bottom").enableAutoSIPrefix(False)
        self.lines = PageChart(title="Samples/s over time · 1 s average, no warm-up")
        self.lines.setToolTip("Each run's samples/s over its timed window, averaged over 1 s (warm-up "
                              "left out); colours as in the bars.")
        self.lines.setLabel("bottom", "s since the timed window began")
        self.lines.getAxis("left").enableAutoSIPrefix(False)
        self.lines.setMouseEnabled(x=False, y=False)
        self.lines.hideButtons()
        top = QHBoxLayout()
        top.addWidget(QLabel("Compare against:"))
        top.addWidget(self.baseline_box, 1)
        self.content = QWidget()
        inner = QVBoxLayout(self.content)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(self.baseline_label)
        inner.addWidget(self.table)
        charts = QHBoxLayout()
        charts.addWidget(self.bars, 1)
        charts.addWidget(self.lines, 1)
        inner.addLayout(charts, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.content, 1)
        self.baseline_box.currentIndexChanged.connect(self._on_baseline_box_changed)

    def prices(self) -> PriceBook:
        try:
            return load_prices()
        except PricesError:
            return PriceBook()

    def set_runs(self, run_ids: list[str]) -> None:
        """Load ``run_ids`` from the store; the baseline defaults to the engine's pick."""
        self.runs = [r for r in (self.store.get(i) for i in run_ids) if r is not None]
        self._render(None)

    def _fill_baselines(self, comparison: Comparison) -> None:
        self.baseline_box.blockSignals(True)
        self.baseline_box.clear()
        for run, row in zip(self.runs, comparison.rows, strict=True):
            n = comparable_count(run, self.runs)
            self.baseline_box.addItem(f"{row.label}  ({n} comparable)", row.run_id)
        self.baseline_box.setCurrentIndex(self.baseline_box.findData(comparison.baseline_id))
        self.baseline_box.blockSignals(False)

    def _render(self, baseline: str | None) -> None:
        self.table.setRowCount(0)
        self.bars.clear()
        self.lines.clear()
        if not self.runs:
            self.comparison = None
            return
        prices = self.prices()
        self.comparison = comparison = compare(self.runs, baseline, prices)
        self._fill_baselines(comparison)
        base = comparison.baseline
        named = [f"{row.label}: {row.speedup_note}" for row in comparison.rows if row.comparable]
        self.baseline_label.setText(f"Baseline: {base.label}. Speedups only between comparable runs; "
                                    "hover a greyed cell for why a run is not comparable."
                                    + "".join(f"\n{line}" for line in named[:4]))
        ranks = sorted({row.world_size for row in comparison.rows})
        if len(ranks) > 1:  # the engine calls them comparable (ranks are a setting): say what that means
            self.baseline_label.setText(
                self.baseline_label.text() + f" These runs trained on different numbers of ranks "
                f"({', '.join(map(str, ranks))}): a speedup between them is the whole job's at that world "
                "size, not a per-device figure; the Scaling tab shows scaling efficiency.")
        busy = comparison.busy_notes()  # the engine's words; in the view, so the PNG carries them too
        if busy:
            self.baseline_label.setText(self.baseline_label.text() + "\n" + "\n".join(f"\u26a0 {n}" for n in busy))
        self.table.setHorizontalHeaderLabels(list(headers(comparison.currency)))
        self._fill_table(comparison)
        self._draw_bars(comparison)
        self._draw_lines(comparison)

    def _fill_table(self, comparison: Comparison) -> None:
        cells = table_cells(comparison)
        self.table.setRowCount(len(cells))
        bold = QFont(self.table.font())
        bold.setWeight(QFont.Weight.DemiBold)
        for r, (row, texts) in enumerate(zip(comparison.rows, cells, strict=True)):
            muted = row.run_id != comparison.baseline_id and not row.comparable
            for c, text in enumerate(texts):
                item = QTableWidgetItem(text)
                if c >= NUMERIC_FROM:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if row.run_id == comparison.baseline_id:
                    item.setFont(bold)
                if c == MFU_COL and (row.mfu or 0.0) > MFU_PLAUSIBLE:
                    item.setForeground(QBrush(QColor(WARNING_COLOUR)))
                    item.setToolTip("MFU above 100% of the hardware peak: the FLOP count or the peak is "
                                    "wrong (see the run's warnings); trust the throughput, not the MFU")
                if c == SPEEDUP_COL:
                    item.setToolTip(row.speedup_note or "")
                    if muted:
                        item.setForeground(QBrush(QColor(GREY)))
                elif c == 0:
                    item.setToolTip(f"{row.label}\n{row.run_id}")
                self.table.setItem(r, c, item)
        for c in range(len(cells[0]) if cells else 0):  # a column that is n/a for every run says nothing
            self.table.setColumnHidden(c, all(texts[c] == units.NA for texts in cells))

    def _draw_bars(self, comparison: Comparison) -> None:
        rows = comparison.rows
        n = len(rows)
        muted = [r.run_id != comparison.baseline_id and not r.comparable and r.speedup_kind != "repeat"
                 for r in rows]
        values = [r.samples_per_s or 0.0 for r in rows]
        ys = list(range(n))[::-1]  # the first run at the top
        self.bars.addItem(pg.BarGraphItem(x0=0, y=ys, width=values, height=0.6,
                                          brushes=[MUTED if m else _colour(i) for i, m in enumerate(muted)],
                                          pens=[pg.mkPen(None)] * n))
        left = self.bars.getAxis("left")
        left.setTicks([[(y, r.label if len(r.label) <= 36 else r.label[:35] + "…") for y, r in zip(ys, rows,
                                                                                                   strict=True)]])
        top = max(values, default=0.0) or 1.0
        self.bars.setXRange(0, top * 2.0, padding=0)  # room for the speedup beside the longest bar
        self.bars.setYRange(-0.6, n - 0.4, padding=0)
        ink = PLOT_FG["dark" if self.dark else "light"]
        cells = table_cells(comparison)
        for y, value, grey, texts in zip(ys, values, muted, cells, strict=True):
            note = texts[SPEEDUP_COL]
            label = pg.TextItem(note, color=GREY if grey else ink, anchor=(0, 0.5))
            label.setPos(value + top * 0.02, y)
            self.bars.addItem(label)

    def _draw_lines(self, comparison: Comparison) -> None:
        for i, (run, row) in enumerate(zip(self.runs, comparison.rows, strict=True)):
            xs, ys = series_throughput(run.get("series") or {})
            if xs:
                self.lines.plot(xs, ys, pen=pg.mkPen(_colour(i), width=2), name=row.label)

    def _on_baseline_box_changed(self, index: int) -> None:
        run_id = self.baseline_box.itemData(index)
        if run_id:
            self._render(run_id)
            self.sig_baseline_changed.emit(run_id)

    def set_dark(self, dark: bool) -> None:
        self.dark = dark
        style_plot(self.bars, dark)
        style_plot(self.lines, dark)
        if self.comparison is not None:
            self._render(self.comparison.baseline_id)

    def fit_table(self) -> None:
        """Columns to their contents (the run names take what is left), the table as tall as
        its rows: the charts get the rest."""
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        self.table.resizeColumnsToContents()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        fit_table_height(self.table)
