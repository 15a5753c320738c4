"""The Sweep page: the sweep form and curves, per-point progress, the point in progress live,
and a Stop button. GUI thread."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from gui.viewmodel.sweep_progress import finished_text, partial_result, point_text
from gui.widgets.theme import style_plot
from gui.window.pages.page import Page
from profiler.metrics import keys

if TYPE_CHECKING:
    from gui.runs.sweep_runner import SweepRunner
    from gui.widgets.sweep_view import SweepView

NO_SWEEP_YET = ("No sweep yet: pick a workload, a knob, values and devices above and press "
                "Run sweep. The curves grow here as the points finish.")


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
        self.started_at = 0.0
        self._catalog: tuple[Mapping[str, Any], list[Any], dict[str, list[str]]] | None = None
        self._settings: Mapping[str, Any] = {}
        self._hint: pg.TextItem | None = None

    def build(self, dark: bool) -> SweepView:
        if self.view is None:
            from gui.widgets.sweep_view import SweepView

            self.view = view = SweepView()
            self._hint = pg.TextItem(NO_SWEEP_YET, color="#6B7280", anchor=(0.5, 0.5))
            view.plot.setXRange(0, 1, padding=0)
            view.plot.setYRange(0, 1, padding=0)
            self._hint.setPos(0.5, 0.5)
            view.plot.addItem(self._hint)
            body = QWidget()
            layout = QVBoxLayout(body)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(self.view, 1)
            layout.addWidget(self.progress_label)
            layout.addWidget(self.progress)
            if self._catalog is not None:
                view.set_catalog(*self._catalog)
            view.apply_settings(self._settings)
            self.set_dark(dark)
            self.set_content(body)
            self.show_content()
            self.set_running(False)
        return self.view

    def set_catalog(self, workloads: Mapping[str, Any], devices: list[Any],
                    knob_lists: dict[str, list[str]]) -> None:
        self._catalog = (workloads, [d for d in devices if d.available], knob_lists)
        if self.view is not None:
            self.view.set_catalog(*self._catalog)
            self.view.apply_settings(self._settings)

    def set_settings(self, values: Mapping[str, Any]) -> None:
        """The form as it was left last time (applied once the form exists)."""
        self._settings = dict(values)
        if self.view is not None:
            self.view.apply_settings(values)

    def settings(self) -> dict[str, Any]:
        return self.view.settings() if self.view is not None else dict(self._settings)

    # ---- progress --------------------------------------------------------------------
    def begin(self, total: int) -> None:
        self.points = []
        self.progress.setRange(0, total)
        self.progress.setValue(0)
        self.progress_label.setText("Starting the first point…")
        self.started_at = time.monotonic()

    def on_point_state(self, text: str, done: int, total: int) -> None:
        self.progress_label.setText(f"Point {done + 1} of {total} · {text}")

    def on_point_finished(self, request: Mapping[str, Any], point: Any, done: int, total: int) -> None:
        self.points.append(point)
        self.progress.setValue(done)
        text = point_text(point, str(request.get("knob", "")))
        self.progress_label.setText(f"{done} of {total} points done · {text}")
        self.show_result(partial_result(dict(request), self.points),
                         "The break-even is worked out when every point has finished.")

    def on_finished(self, result: Any, stopped: bool) -> None:
        self.show_result(result)
        self.progress_label.setText(finished_text(result, stopped, time.monotonic() - self.started_at))

    def on_failed(self, message: str, rejected: bool = False) -> None:
        """The sweep could not run (``rejected``: a point did not pass the check; nothing ran)."""
        if self.view is not None:
            head = "Cannot start this sweep" if rejected else "The sweep could not run"
            self.view.error_label.setText(f"{head}: {message}")
        self.progress_label.setText("")

    def show_result(self, result: Any, text: str | None = None) -> None:
        if self.view is None:
            return
        if self._hint is not None:
            self.view.plot.removeItem(self._hint)
            self._hint = None
        self.view.show_result(result)
        if text is not None:
            self.view.breakeven_label.setText(text)

    def refresh_point(self, runner: SweepRunner) -> None:
        """Pull the running point's live throughput into its plot (the window's timer)."""
        point = runner.current_point
        if self.view is None or point is None or not self.isVisible():
            return
        run_id, device, label = point
        t, v, _ = runner.point_store.snapshot(run_id, keys.run("samples_per_s"))
        self.view.show_point(t.tolist(), v.tolist(), device, label)

    def set_running(self, running: bool) -> None:
        self.stop_button.setEnabled(running)
        self.progress.setVisible(running)
        if self.view is not None:
            self.view.run_button.setEnabled(not running)
            self.view.run_button.setText("Sweep running…" if running else "Run sweep")

    def set_dark(self, dark: bool) -> None:
        if self.view is not None:
            style_plot(self.view.plot, dark)
            style_plot(self.view.point_plot, dark)
