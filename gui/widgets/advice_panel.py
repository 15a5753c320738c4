"""The Advisor tab's answer: warnings, recommendation, chart, ranked table, calibration, notes,
"How good is this advice" (the back-test against published measurements), credits. GUI thread.

Shows an ``AdviceView`` (``gui.viewmodel.advice_view``: the engine's strings and chart
points) and works nothing out. A measured row is bold with its "measured" in green; every
other row says "projected, not measured" in its figures column and in its tooltip; a row
that misses the deadline or the budget, or does not fit, is greyed. The Epoch AI credit
line sits under the chart whenever its figures are in the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.cost_time_chart import CostTimeChart
from gui.widgets.form_parts import section_label
from gui.widgets.quality_tables import quality_html

if TYPE_CHECKING:
    from gui.viewmodel.advice_view import AdviceView

MEASURED_INK = "#15803D"
INFEASIBLE_INK = "#9CA3AF"
RIGHT = frozenset({"#", "samples/s", "time to train", "energy", "cost"})
#: the ranked table's columns as shown, left to right: what a buyer decides on first, the
#: peak's long wording last (the logical order stays ``text.HEADERS``, as the CLI prints it)
SHOWN_ORDER = ("#", "device", "figures", "time to train", "cost", "fits", "samples/s", "energy", "max batch",
               "confidence", "bound", "deadline", "budget", "peak used")
PEAK_COLUMN_MAX_PX = 260  # wider peak words are elided; the cell's tooltip has them whole
READING = ("Each point is one device: further left finishes sooner, lower costs less. Hollow circles are "
           "projected, not measured, with their low-high band as whiskers; green diamonds were measured. "
           "The orange ring marks the Pareto front: no other device is both faster and cheaper.")
NO_CALIBRATION = ("No device in this table has been both projected and measured yet: run the same "
                  "model on another device (or import such a run) and the error shows here.")


def _table(headers: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.verticalHeader().hide()
    table.setWordWrap(False)
    return table


class AdvicePanel(QWidget):
    """Everything below the form, filled by ``show_advice``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="advicePanel")
        self.view: AdviceView | None = None
        self.box = QFrame(objectName="advisorAnswer")
        self.warnings = QLabel("", objectName="warningChip", wordWrap=True)
        self.warnings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title = QLabel("", objectName="sectionLabel", wordWrap=True)
        self.job = QLabel("", objectName="mutedLabel", wordWrap=True)
        self.recommendation = QLabel("", objectName="advisorRecommendation", wordWrap=True)
        self.recommendation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        inner = QVBoxLayout(self.box)
        inner.setContentsMargins(14, 10, 14, 12)
        inner.setSpacing(4)
        inner.addWidget(self.warnings)
        inner.addWidget(self.title)
        inner.addWidget(self.job)
        inner.addWidget(self.recommendation)
        self.chart = CostTimeChart()
        self.chart.setMinimumWidth(500)  # with the notes column beside it, fits a 1280 px window
        self.calibration = _table(())
        self.calibration_hint = QLabel(NO_CALIBRATION, objectName="mutedLabel", wordWrap=True)
        self.notes = QLabel("", objectName="mutedLabel", wordWrap=True)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.credits = QLabel("", objectName="creditLabel", wordWrap=True)
        self.credits.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = _table(())
        self.table.setMinimumHeight(260)
        side = QVBoxLayout()
        side.setSpacing(4)
        side.addWidget(section_label("How to read it"))
        side.addWidget(QLabel(READING, objectName="mutedLabel", wordWrap=True))
        side.addWidget(section_label("Notes"))
        side.addWidget(self.notes)
        self.quality_title = section_label("How good is this advice")
        self.quality = QLabel("", objectName="mutedLabel", wordWrap=True)
        self.quality.setTextFormat(Qt.TextFormat.RichText)
        self.quality.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        side.addWidget(self.quality_title)
        side.addWidget(self.quality)
        self.credits_title = section_label("Data credits")
        side.addWidget(self.credits_title)
        side.addWidget(self.credits)
        side.addStretch(1)
        middle = QHBoxLayout()
        middle.addWidget(self.chart, 3)
        middle.addLayout(side, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.box)
        layout.addLayout(middle)
        layout.addWidget(section_label("Every device, ranked (hover a row for how its cost and fit were worked out)"))
        layout.addWidget(self.table, 1)
        layout.addWidget(section_label("Predicted (as if never measured) versus measured"))
        layout.addWidget(self.calibration)
        layout.addWidget(self.calibration_hint)

    def show_advice(self, view: AdviceView) -> None:
        """Display ``view`` (an ``AdviceView``)."""
        self.view = view
        self.title.setText(f"Recommendation for {view.title}")
        self.job.setText(f"Job: {view.job}")
        self.recommendation.setText(view.recommendation)
        self.chart.show_points(view.chart, view.currency)
        self._fill_rows(view)
        self._fill_calibration(view)
        self.notes.setText("\n".join(f"• {n}" for n in view.notes))
        self.credits.setText("\n".join(view.credits))
        self.warnings.setText("\n".join(f"⚠ {w}" for w in view.warnings))
        self.warnings.setVisible(bool(view.warnings))
        tables = view.quality_tables
        self.quality.setText(quality_html(tables))
        self.quality.setToolTip("\n".join(view.quality))  # the same in words, with every figure
        self.quality.setVisible(not tables.empty)
        self.quality_title.setVisible(not tables.empty)
        self.credits.setVisible(bool(view.credits))
        self.credits_title.setVisible(bool(view.credits))

    def _fill_rows(self, view: AdviceView) -> None:
        table = self.table
        table.clear()
        table.setColumnCount(len(view.headers))
        table.setHorizontalHeaderLabels(list(view.headers))
        table.setRowCount(len(view.rows))
        headers = list(view.headers)
        figures = headers.index("figures") if "figures" in headers else -1
        peak = headers.index("peak used") if "peak used" in headers else -1
        bold = QFont()
        bold.setBold(True)
        for r, (cells, measured, feasible, tip) in enumerate(
                zip(view.rows, view.measured, view.feasible, view.row_tips, strict=True)):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{text}\n\n{tip}" if c == peak else tip)
                if view.headers[c] in RIGHT:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if measured:
                    item.setFont(bold)
                    if c == figures:
                        item.setForeground(QBrush(QColor(MEASURED_INK)))
                elif not feasible:
                    item.setForeground(QBrush(QColor(INFEASIBLE_INK)))
                table.setItem(r, c, item)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        shown = [name for name in SHOWN_ORDER if name in headers]
        for visual, name in enumerate(shown):
            header.moveSection(header.visualIndex(headers.index(name)), visual)
        if peak >= 0:
            header.setSectionResizeMode(peak, QHeaderView.ResizeMode.Interactive)
            table.resizeColumnToContents(peak)
            table.setColumnWidth(peak, min(table.columnWidth(peak), PEAK_COLUMN_MAX_PX))

    def _fill_calibration(self, view: AdviceView) -> None:
        table = self.calibration
        table.clear()
        table.setColumnCount(len(view.calibration_headers))
        table.setHorizontalHeaderLabels(list(view.calibration_headers))
        table.setRowCount(len(view.calibration))
        for r, cells in enumerate(view.calibration):
            for c, text in enumerate(cells):
                table.setItem(r, c, QTableWidgetItem(text))
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        has = bool(view.calibration)
        table.setVisible(has)
        self.calibration_hint.setVisible(not has)
        if has:
            rows = min(len(view.calibration), 5)
            table.setFixedHeight(table.horizontalHeader().sizeHint().height()
                                 + rows * table.verticalHeader().defaultSectionSize() + 6)

    def set_dark(self, dark: bool) -> None:
        self.chart.set_dark(dark)
