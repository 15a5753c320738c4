"""The Live tab's plot grid: the run's plots over the machine's, pulled on a timer. GUI thread.

Top row: throughput (the live figure of the last 2 s), step time and loss of the runs shown,
on seconds since each run started (``run_plots``). Bottom row: the machine's utilization and
memory over the last minute, with each run's own process beside them, and per-core load
now (``machine_plots``): these stream while idle too. ``refresh`` is called by the window's
timer; it skips everything while the grid is hidden (another tab, a minimised window). A
"Which utilization is true?" link sits at the right of the legend row, over the plots.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gui.widgets.machine_plots import MachinePlots
from gui.widgets.plot_kit import RunTrace, nice_ceiling, nice_time_ceiling
from gui.widgets.run_plots import RunPlots

if TYPE_CHECKING:
    from gui.viewmodel.series_store import SeriesStore

__all__ = ["LivePlots", "RunTrace", "nice_ceiling", "nice_time_ceiling"]

IDLE_HINT = (
    "<p style='font-size:12pt'><b>No run yet</b></p>"
    "<p>Tick a device, pick a workload and press <b>Start</b> (F5).<br>"
    "Throughput, step time and loss of the run appear here; the machine below is live now.</p>"
)
HINT_TOP_PX = 34  # below the plot titles
UTIL_LINK = "Which utilization is true?"


class LivePlots(QWidget):
    """The run plots over the machine plots. ``now_s`` is the machine clock (the monitor's)."""

    sig_utilization_help = Signal()
    """The user clicked "Which utilization is true?". GUI thread."""

    def __init__(self, store: SeriesStore, on_paint: Callable[[float], None],
                 parent: QWidget | None = None, now_s: Callable[[], float] | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.run_plots = RunPlots(store, on_paint)
        self.machine = MachinePlots(store, now_s or (lambda: 0.0), on_paint)
        self.hint = QLabel(IDLE_HINT, self, objectName="plotHint")
        self.hint.setTextFormat(Qt.TextFormat.RichText)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.legend = QLabel("", self, objectName="legendLabel")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)  # many runs wrap to a second line; they never widen the window
        grid = QGridLayout()
        grid.setSpacing(6)
        for col, name in enumerate(("throughput", "step_time", "loss")):
            grid.addWidget(self.run_plots.widgets[name], 0, col)
        for col, name in enumerate(("util", "memory", "cores")):
            grid.addWidget(self.machine.widgets[name], 1, col)
        grid.setRowStretch(0, 1)
        grid.setRowStretch(1, 1)
        self._grid = grid
        self.util_link = QLabel(f'<a href="utilization">{UTIL_LINK}</a>', self, objectName="utilLink")
        self.util_link.setTextFormat(Qt.TextFormat.RichText)
        self.util_link.setToolTip("Host CPU, this run's CPU, GPU util, MFU and samples/s side by side, "
                                  "with what each one measures")
        self.util_link.linkActivated.connect(lambda _link: self.sig_utilization_help.emit())
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 4, 0)
        top.addWidget(self.legend, 1)
        top.addWidget(self.util_link, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        outer.addLayout(top)
        outer.addLayout(grid, 1)
        self.legend.hide()
        self.hint.raise_()

    @property
    def runs(self) -> list[RunTrace]:
        return self.run_plots.runs

    @property
    def x_max(self) -> float:
        return self.run_plots.x_max

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_hint()

    def _place_hint(self) -> None:
        """Over the run plots' data area: never over a title or the machine plots."""
        self.hint.adjustSize()
        top = self.run_plots.widgets["throughput"].geometry()
        x = max(0, (self.width() - self.hint.width()) // 2)
        y = top.top() + HINT_TOP_PX + max(0, (top.height() - HINT_TOP_PX - self.hint.height()) // 2 - 10)
        self.hint.move(x, y)

    def set_runs(self, runs: Sequence[RunTrace]) -> None:
        """Show exactly ``runs`` (overlaid) in the run plots and beside the machine."""
        self.run_plots.set_runs(runs)
        self.machine.set_runs(runs)
        if runs:
            self.hint.hide()
        self.legend.setText("   ".join(
            f'<span style="color:{r.colour}">&#9632;</span> {r.label}' + (" (last round)" if r.previous else "")
            for r in runs))
        self.legend.setVisible(bool(runs))

    def expect_duration(self, seconds: float) -> None:
        self.hint.hide()  # a run is coming: the idle hint has served its purpose
        self.run_plots.expect_duration(seconds)

    def set_dark(self, dark: bool) -> None:
        self.run_plots.set_dark(dark)
        self.machine.set_dark(dark)

    def set_presenting(self, on: bool) -> None:
        """Presentation keeps the run's plots only, larger: the machine row steps aside."""
        self.run_plots.set_presenting(on)
        self.machine.set_presenting(on)
        for widget in self.machine.widgets.values():
            widget.setVisible(not on)
        self.util_link.setVisible(not on)
        self._grid.setRowStretch(1, 0 if on else 1)

    def refresh(self, force: bool = False) -> int:
        """Pull changed series into the curves; returns curves updated (0 while hidden)."""
        if not force and not self.isVisible():
            return 0
        return self.run_plots.refresh() + self.machine.refresh()

    def curve_points(self) -> dict[str, int]:
        """Points currently drawn per plot (tests and benches read this)."""
        return {**self.run_plots.curve_points(), **self.machine.curve_points()}
