"""The Sweep page: the sweep form and curves, with per-point progress and a Stop button. GUI thread."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pyqtgraph as pg
from PySide6.QtWidgets import (
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.theme import style_plot
from gui.window.pages.page import Page

if TYPE_CHECKING:
    from gui.widgets.sweep_view import SweepView
    from profiler.analysis.sweep import SweepResult


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

    def build(self, dark: bool) -> SweepView:
        if self.view is None:
            from gui.widgets.sweep_view import SweepView

            self.view = view = SweepView()
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
