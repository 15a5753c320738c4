"""The History, Compare, Value and Sweep pages around the analysis widgets. GUI thread.

Each page builds its widget (``HistoryView``, ``CompareView``, ...) on first use, imported
then, and shows an empty state that says how to fill it until there is something to show.
``go_history`` / ``go_live`` are the buttons' ways back to where that something comes from.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pyqtgraph as pg
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.page_parts import Page, fit_table_height, narrow_fields, section_label, style_plot

if TYPE_CHECKING:
    from gui.widgets.compare_view import CompareView
    from gui.widgets.history_view import HistoryView
    from gui.widgets.sweep_view import SweepView
    from gui.widgets.value_view import ValueView
    from profiler.analysis.sweep import SweepResult
    from profiler.history import HistoryStore

OPENING = ("Opening run history…", "This takes a moment the first time.")
UNAVAILABLE = "Run history is unavailable"


class HistoryPage(Page):
    """Every stored run; Compare and Value act on the selection."""

    def __init__(self, go_live: Callable[[], None], on_rerun: Callable[[dict[str, Any]], None],
                 parent: QWidget | None = None) -> None:
        super().__init__("Run history", "Every run started here or with `horsepower run` is "
                         "stored while it runs. Select runs to compare them or price them.", parent)
        self.go_live = go_live
        self.on_rerun = on_rerun
        self.view: HistoryView | None = None
        self.compare_button = self.add_action("Compare", None,
                                              "Open the selected runs (two or more) side by side")
        self.value_button = self.add_action("Value", None,
                                            "What the selected runs' devices are worth")
        self.set_selection([])
        self.show_empty(*OPENING)

    def build(self, store: HistoryStore) -> HistoryView:
        if self.view is None:
            from gui.widgets.history_view import HistoryView

            self.view = HistoryView(store)
            self.view.table.setAlternatingRowColors(True)
            self.view.table.verticalHeader().hide()
            header = self.view.table.horizontalHeader()
            header.setStretchLastSection(False)
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            self.view.layout().itemAt(2).layout().insertStretch(3, 1)  # edits | exports
            self.view.sig_selection_changed.connect(self.set_selection)
            self.view.sig_rerun_requested.connect(self.on_rerun)
            self.view.model.modelReset.connect(self.update_state)
            self.set_content(self.view)
            self.update_state()
        return self.view

    def set_selection(self, run_ids: list[str]) -> None:
        self.compare_button.setEnabled(len(run_ids) >= 2)
        self.value_button.setEnabled(len(run_ids) >= 1)

    def update_state(self) -> None:
        view = self.view
        if view is None:
            return
        if view.model.rowCount() == 0 and not view.filter_edit.text().strip():
            self.show_empty(
                "No runs yet",
                "Pick a device and a workload on the left and press Start (F5). Each run is "
                "stored here while it runs, so even a run that crashes keeps its steps.",
                "Go to Live", self.go_live)
        else:
            self.show_content()
        self.set_selection(view.selected_ids())

    def refresh(self) -> None:
        if self.view is not None:
            selected = set(self.view.selected_ids())
            self.view.refresh()  # a model reset clears the selection: put it back
            model, chosen = self.view.model, self.view.table.selectionModel()
            flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
            for row, run in enumerate(model.runs):
                if run.run_id in selected:
                    chosen.select(model.index(row, 0), flags)
            self.update_state()


class ComparePage(Page):
    """Runs side by side; saves a PNG, an HTML report or a CSV of the comparison."""

    def __init__(self, go_history: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__("Compare runs", "Speedup is relative to the baseline run; pick "
                         "another baseline in the list.", parent)
        self.go_history = go_history
        self.view: CompareView | None = None
        self.png_button = self.add_action("Save PNG", None, "Save the table and charts")
        self.html_button = self.add_action("Save HTML report", None,
                                           "A self-contained page: tables, charts, machines")
        self.csv_button = self.add_action("Save CSV", None, "One row per run, raw numbers")
        self.set_has_comparison(False)
        self.show_empty("Nothing to compare yet",
                        "Select two or more runs on the History tab and press Compare.",
                        "Open History", go_history)

    def build(self, store: HistoryStore, dark: bool) -> CompareView:
        if self.view is None:
            from gui.widgets.compare_view import CompareView

            self.view = CompareView(store)
            self.view.table.verticalHeader().hide()
            self.view.table.horizontalHeader().setStretchLastSection(True)
            self.set_dark(dark)
            self.set_content(self.view)
        return self.view

    def set_has_comparison(self, has: bool) -> None:
        for button in (self.png_button, self.html_button, self.csv_button):
            button.setEnabled(has)

    def show_runs(self, store: HistoryStore, run_ids: list[str], dark: bool) -> None:
        view = self.build(store, dark)
        view.set_runs(run_ids)
        view.table.resizeColumnsToContents()
        fit_table_height(view.table)
        self.set_has_comparison(view.comparison is not None)
        if view.comparison is None:
            self.show_empty("Those runs are gone", "They were deleted from history. Select "
                            "runs on the History tab and press Compare.", "Open History",
                            self.go_history)
        else:
            self.show_content()

    def set_dark(self, dark: bool) -> None:
        if self.view is not None:
            style_plot(self.view.bars, dark)
            style_plot(self.view.lines, dark)


class ValuePage(Page):
    """Prices and job projections for the selected runs' devices."""

    def __init__(self, go_history: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__("Value", "Samples per joule and per unit of money, and what a "
                         "training job would take and cost on each device.", parent)
        self.view: ValueView | None = None
        self.show_empty("No runs to value yet",
                        "Select runs on the History tab and press Value. Prices you enter "
                        "here are saved for next time.", "Open History", go_history)

    def show_runs(self, store: HistoryStore, run_ids: list[str]) -> None:
        if self.view is None:
            from gui.widgets.value_view import ValueView

            self.view = view = ValueView(store)
            for table in (view.prices_table, view.projection):
                table.verticalHeader().hide()
                table.horizontalHeader().setStretchLastSection(True)
            layout = view.layout()
            narrow_fields(layout.itemAt(0).layout(), 200)
            layout.insertWidget(1, section_label("Prices per device (blank: not set)"))
            layout.insertWidget(5, section_label("The job on each run's device"))
            layout.setAlignment(view.findChild(QPushButton), Qt.AlignmentFlag.AlignLeft)
            layout.setStretchFactor(view.projection, 1)
            self.set_content(view)
        self.view.set_runs(run_ids)
        fit_table_height(self.view.prices_table)
        self.view.projection.resizeColumnsToContents()
        self.show_content()


class SweepPage(Page):
    """The sweep form and curves, with per-point progress and a Stop button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Sweep", "Run one knob across values on each device, one point at a "
                         "time in a worker process, to find where an accelerator pays off.",
                         parent)
        self.view: SweepView | None = None
        self.stop_button = self.add_action("Stop sweep", None, "Stop now; finished points are kept")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setEnabled(False)
        self.progress = QProgressBar(textVisible=False, maximumHeight=6)
        self.progress_label = QLabel("", objectName="mutedLabel", wordWrap=True)
        self.points: list[Any] = []

    def build(self, store: HistoryStore | None, dark: bool) -> SweepView:
        if self.view is None:
            from gui.widgets.sweep_view import SweepView

            self.view = view = SweepView(store)  # type: ignore[arg-type]  # kept, never read
            view.breakeven_label.setObjectName("breakevenLabel")
            narrow_fields(view.layout().itemAt(0).layout())
            view.run_button.setObjectName("primaryButton")
            view.layout().setAlignment(view.run_button, Qt.AlignmentFlag.AlignLeft)
            view.plot.setLabel("left", "samples/s")
            view.plot.getAxis("left").enableAutoSIPrefix(False)
            self._preview_axis(view)
            hint = pg.TextItem(
                "No sweep yet. The curves appear here as the points finish; the first CPU "
                "in Devices is the baseline.", color="#6B7280", anchor=(0.5, 0.5))
            x_lo, x_hi = view.plot.getViewBox().viewRange()[0]
            hint.setPos((x_lo + x_hi) / 2, 0.5)
            view.plot.addItem(hint)
            body = QWidget()
            layout = QVBoxLayout(body)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(self.view, 1)
            layout.addWidget(self.progress_label)
            layout.addWidget(self.progress)
            self.set_dark(dark)
            self.set_content(body)
            self.show_content()
            self.set_running(False)
        return self.view

    @staticmethod
    def _preview_axis(view: SweepView) -> None:
        """Before any result: the knob axis spans the form's values, the y axis 0..1."""
        try:
            values = [int(v) for v in view.request()["values"]]  # type: ignore[union-attr]
        except ValueError:
            return
        lo, hi = math.log10(min(values)), math.log10(max(values))
        view.plot.setXRange(lo, hi if hi > lo else lo + 1)
        view.plot.setYRange(0, 1)
        view.plot.getAxis("bottom").setTicks([[(math.log10(v), f"{v:,}") for v in values], []])
        view.plot.getAxis("left").setTicks([[], []])
        view.plot.setLabel("bottom", view.knob.text())

    def show_result(self, result: SweepResult, text: str | None = None) -> None:
        """Curves with the swept values as the knob axis' ticks; ``text`` replaces the verdict."""
        if self.view is None:
            return
        self.view.show_result(result)
        self.view.plot.enableAutoRange()  # the preview fixed the ranges
        ticks = [(math.log10(v), f"{v:,}") for v in result.values if v > 0]
        self.view.plot.getAxis("bottom").setTicks([ticks, []])
        self.view.plot.getAxis("left").setTicks(None)
        self.view.plot.setLabel("bottom", result.knob)
        if text is not None:
            self.view.breakeven_label.setText(text)

    def set_running(self, running: bool) -> None:
        self.stop_button.setEnabled(running)
        self.progress.setVisible(running)
        if self.view is not None:
            self.view.run_button.setEnabled(not running)
            self.view.run_button.setText("Sweep running…" if running else "Run sweep")

    def set_dark(self, dark: bool) -> None:
        if self.view is not None:
            style_plot(self.view.plot, dark)
