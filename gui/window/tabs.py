"""The window's tabs: Live, History, Compare, Value, Sweep, and how they talk. GUI thread.

History feeds Compare and Value with the selected runs and asks the window to re-run a
stored spec; the Sweep tab runs sweeps through ``SweepRunner``; Compare and Live save PNGs,
Compare also an HTML report and a CSV. Every file dialog goes through
``export_actions.ask_save_path``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QPushButton, QTabWidget, QWidget

from gui.runs.history_link import HistoryLink
from gui.runs.profiling_thread import SuperviseFn
from gui.runs.sweep_runner import RunFn, SweepRunner
from gui.window import exports as export_actions
from gui.window.pages.compare_page import ComparePage
from gui.window.pages.history_page import UNAVAILABLE, HistoryPage
from gui.window.pages.sweep_page import SweepPage
from gui.window.pages.value_page import ValuePage
from profiler.results.spec import RunSpec

if TYPE_CHECKING:
    from profiler.history import HistoryStore

log = logging.getLogger(__name__)

TABS = ("Live", "History", "Compare", "Value", "Sweep")


class WorkspaceTabs(QTabWidget):
    """Tabs over ``live`` and the analysis pages; ``busy_fn`` says whether live runs are on."""

    sig_rerun_requested = Signal(object)
    """(RunSpec) run this stored spec again on the Live page. GUI thread."""
    sig_message = Signal(str, str, str)
    """(kind, title, detail) for the window's banner; kind is error | warning | info."""
    sig_status = Signal(str)
    """A short status-bar message. GUI thread."""

    def __init__(self, live: QWidget, plot_area: QWidget, link: HistoryLink,
                 busy_fn: Callable[[], bool], supervise_fn: SuperviseFn | None = None,
                 parent: QWidget | None = None,
                 settings_fn: Callable[[], RunSpec | None] | None = None) -> None:
        super().__init__(parent, objectName="workspaceTabs")
        self.link = link
        self.settings_fn = settings_fn  # the sidebar's current settings, applied to sweep points
        self.plot_area = plot_area
        self.busy_fn = busy_fn
        self.dark = False
        self.store: HistoryStore | None = None
        self._closed = False
        self._sweep_started = 0.0
        self.history = HistoryPage(self.show_live, self._on_rerun_requested)
        self.compare = ComparePage(lambda: self.show_tab("History"))
        self.value = ValuePage(lambda: self.show_tab("History"))
        self.sweep = SweepPage()
        for name, page in zip(TABS, (live, self.history, self.compare, self.value, self.sweep),
                              strict=True):
            self.addTab(page, name)
        self.live_png = QPushButton("Save PNG", objectName="cornerAction")
        self.live_png.setToolTip("Save the live plots as a PNG image")
        self.setCornerWidget(self.live_png, Qt.Corner.TopRightCorner)
        self.sweeps = SweepRunner(link, supervise_fn, self)
        self._wire()

    def _wire(self) -> None:
        queued = Qt.ConnectionType.QueuedConnection
        self.link.sig_ready.connect(self._on_history_ready, queued)
        self.link.sig_failed.connect(self._on_history_failed, queued)
        self.link.sig_run_recorded.connect(self._on_run_recorded, queued)
        self.currentChanged.connect(self._on_current_changed)
        self.live_png.clicked.connect(lambda: self.save_png(self.plot_area, "horsepower-live.png"))
        self.history.compare_button.clicked.connect(self._on_compare_clicked)
        self.history.value_button.clicked.connect(self._on_value_clicked)
        self.compare.png_button.clicked.connect(
            lambda: self.save_png(self.compare.view, "horsepower-comparison.png"))
        self.compare.html_button.clicked.connect(self.save_compare_html)
        self.compare.csv_button.clicked.connect(self.save_compare_csv)
        self.sweep.stop_button.clicked.connect(self.sweeps.stop)
        s = self.sweeps
        s.sig_point_state.connect(self._on_sweep_point_state, queued)
        s.sig_point_finished.connect(self._on_sweep_point_finished, queued)
        s.sig_sweep_finished.connect(self._on_sweep_finished, queued)
        s.sig_sweep_failed.connect(self._on_sweep_failed, queued)
        s.sig_busy_changed.connect(self.sweep.set_running)

    # ---- navigation ------------------------------------------------------------------
    def show_tab(self, name: str) -> QWidget:
        self.setCurrentIndex(TABS.index(name))
        return self.currentWidget()

    def show_live(self) -> None:
        self.show_tab("Live")

    def _on_current_changed(self, index: int) -> None:
        name = TABS[index] if 0 <= index < len(TABS) else ""
        self.live_png.setVisible(name == "Live")
        if name == "History" and self.store is not None:
            self.history.build(self.store)
        elif name == "Sweep":
            self.ensure_sweep_view()

    def set_dark(self, dark: bool) -> None:
        self.dark = dark
        self.compare.set_dark(dark)
        self.sweep.set_dark(dark)

    def set_demo(self, on: bool) -> None:
        """Demo mode shows the Live page only."""
        if on:
            self.show_live()
        self.tabBar().setVisible(not on)
        self.live_png.setVisible(not on and self.currentIndex() == 0)

    # ---- history ---------------------------------------------------------------------
    def _on_history_ready(self, store: HistoryStore) -> None:
        if self._closed:
            return
        self.store = store
        if self.currentIndex() == TABS.index("History"):
            self.history.build(store)  # else on first visit: startup never waits for it
        if store.notices:
            self.sig_message.emit("warning", "Run history", "\n".join(store.notices))

    def _on_history_failed(self, message: str) -> None:
        if self._closed:
            return
        detail = f"{message}. Runs still work but are not stored this session."
        self.history.show_empty(UNAVAILABLE, detail)
        self.sig_message.emit("warning", UNAVAILABLE, detail)

    def history_view(self) -> Any:
        """The built History view (None until the store is open)."""
        return self.history.build(self.store) if self.store is not None else None

    def _on_run_recorded(self, run_id: str) -> None:
        if not self._closed:
            self.history.refresh()
            log.debug("history refreshed after run %s", run_id)

    def _on_compare_clicked(self) -> None:
        if self.history.view is not None:
            self.compare_runs(self.history.view.selected_ids())

    def _on_value_clicked(self) -> None:
        if self.history.view is not None:
            self.value_runs(self.history.view.selected_ids())

    def compare_runs(self, run_ids: list[str]) -> None:
        """Open ``run_ids`` (stored runs) in the Compare tab."""
        if self.store is not None:
            self.compare.show_runs(self.store, run_ids, self.dark)
            self.show_tab("Compare")

    def value_runs(self, run_ids: list[str]) -> None:
        """Show the Value tab for ``run_ids``."""
        if self.store is not None:
            self.value.show_runs(self.store, run_ids)
            self.show_tab("Value")

    def _on_rerun_requested(self, spec: dict[str, Any]) -> None:
        try:
            run_spec = RunSpec.from_dict(spec)
        except (TypeError, ValueError) as exc:
            self.sig_message.emit("error", "Cannot re-run that spec", str(exc))
            return
        self.sig_rerun_requested.emit(run_spec)

    # ---- saving ----------------------------------------------------------------------
    def _ask(self, title: str, name: str, file_filter: str) -> str:
        stem, dot, ext = name.rpartition(".")
        suggested = f"{export_actions.default_dir()}/{stem}-{time.strftime('%Y%m%d-%H%M')}{dot}{ext}"
        return export_actions.ask_save_path(self, title, suggested, file_filter)

    def _saved(self, what: str, write: Callable[[str], object], path: str) -> None:
        try:
            write(path)
        except OSError as exc:
            self.sig_message.emit("error", f"Could not save the {what}", str(exc))
            return
        self.sig_status.emit(f"Saved {what} to {path}")

    def save_png(self, widget: QWidget | None, name: str) -> None:
        if widget is None:
            return
        path = self._ask("Save PNG", name, "PNG image (*.png)")
        if path:
            self._saved("image", lambda p: export_actions.save_png(widget, p), path)

    def save_compare_html(self) -> None:
        view = self.compare.view
        if view is None or view.comparison is None:
            return
        path = self._ask("Save HTML report", "horsepower-comparison.html", "HTML (*.html)")
        if path:
            from profiler.reports.html import comparison_report

            text = comparison_report(view.runs, view.comparison.baseline_id, view.prices())
            self._saved("report", lambda p: export_actions.write_text(p, text), path)

    def save_compare_csv(self) -> None:
        view = self.compare.view
        if view is None or view.comparison is None:
            return
        path = self._ask("Save CSV", "horsepower-comparison.csv", "CSV (*.csv)")
        if path:
            text = export_actions.comparison_csv(view.comparison)
            self._saved("table", lambda p: export_actions.write_text(p, text), path)

    # ---- sweep -----------------------------------------------------------------------
    def ensure_sweep_view(self) -> Any:
        if self.sweep.view is None:
            view = self.sweep.build(self.dark)
            view.sig_sweep_requested.connect(self.start_sweep)
        return self.sweep.view

    def start_sweep(self, request: dict[str, Any], run_fn: RunFn | None = None) -> bool:
        """Run ``request`` (the Sweep form's dict); False when it cannot start now."""
        view = self.ensure_sweep_view()
        if self.busy_fn() or self.sweeps.busy:
            view.error_label.setText("Another run is going: stop it first, so the points "
                                     "have the machine to themselves.")
            return False
        view.error_label.setText("")
        request = self._with_sidebar_settings(request)
        self.sweep.points = []
        self.sweep.progress.setRange(0, len(set(request["values"])) * len(request["devices"]))
        self.sweep.progress.setValue(0)
        self.sweep.progress_label.setText("Starting the first point…")
        self._sweep_started = time.monotonic()
        self.sweeps.start(request, run_fn)
        return True

    def _with_sidebar_settings(self, request: dict[str, Any]) -> dict[str, Any]:
        """Sweep points use the sidebar's size, precision, batch and threads, as a run would."""
        settings = self.settings_fn() if self.settings_fn and "base" not in request else None
        if settings is None:
            return request
        same_workload = settings.workload == request["workload"]
        base = settings.replace(workload=str(request["workload"]), knobs={},
                                batch_size=settings.batch_size if same_workload else None)
        return {**request, "base": base.to_dict()}

    def _on_sweep_point_state(self, text: str, done: int, total: int) -> None:
        self.sweep.progress_label.setText(f"Point {done + 1} of {total} · {text}")

    def _on_sweep_point_finished(self, point: Any, done: int, total: int) -> None:
        from gui.viewmodel.sweep_progress import partial_result, point_text

        request = self.sweeps.request or {}
        self.sweep.points.append(point)
        self.sweep.progress.setValue(done)
        self.sweep.progress_label.setText(
            f"{done} of {total} points done · {point_text(point, str(request.get('knob', '')))}")
        self.sweep.show_result(partial_result(request, self.sweep.points),
                               "The break-even is worked out when every point has finished.")

    def _on_sweep_finished(self, result: Any, stopped: bool) -> None:
        from gui.viewmodel.sweep_progress import finished_text

        self.sweep.show_result(result)
        elapsed = time.monotonic() - self._sweep_started
        self.sweep.progress_label.setText(finished_text(result, stopped, elapsed))
        self.sig_status.emit("Sweep stopped" if stopped else "Sweep finished")

    def _on_sweep_failed(self, message: str) -> None:
        if self.sweep.view is not None:
            self.sweep.view.error_label.setText(f"The sweep could not run: {message}")
        self.sweep.progress_label.setText("")

    # ---- shutdown --------------------------------------------------------------------
    def shutdown(self, timeout_s: float) -> bool:
        """Stop the sweep and join its thread; pages stop reacting to late signals."""
        self._closed = True
        return self.sweeps.shutdown(timeout_s)
