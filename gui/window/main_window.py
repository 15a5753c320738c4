"""The main window: composes the widgets and wires engine signals to them. GUI thread.

It owns no measurement logic: runs live in ``RunManager`` (profiling threads), data in
the ``SeriesStore`` (filled by the bridge), per-session bookkeeping in ``Session``, the run
history in ``HistoryLink`` (every run is recorded from its profiling thread), and the
History / Compare / Value / Sweep tabs in ``WorkspaceTabs``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QVBoxLayout,
    QWidget,
)

from gui.runs.bridge import EngineBridge
from gui.runs.catalog_loader import Catalog, CatalogLoader, load_catalog
from gui.runs.history_link import HistoryLink
from gui.runs.profiling_thread import SuperviseFn
from gui.runs.run_manager import RunManager
from gui.viewmodel.series_store import SeriesStore
from gui.viewmodel.session import Session
from gui.widgets.device_picker import DevicePicker
from gui.widgets.live_plots import RunTrace
from gui.widgets.message_banner import ADVICE, MessageBanner
from gui.widgets.run_controls import RunControls
from gui.widgets.status_bar import StatusBar
from gui.widgets.theme import app_icon, apply_theme
from gui.window.demo_mode import DemoController
from gui.window.observer_meter import ObserverMeter
from gui.window.pages.live_page import LivePage
from gui.window.tabs import WorkspaceTabs
from profiler.results.result import RunState
from profiler.results.spec import RunSpec

log = logging.getLogger(__name__)

REFRESH_IDLE_MS = 100  # 10 Hz when no CPU run competes with the window
REFRESH_CPU_RUN_MS = 500  # 2 Hz while a CPU run is active: leave the cores to training
SHUTDOWN_TIMEOUT_S = 2.0


class MainWindow(QMainWindow):
    """Device picker and run controls on the left; tabs on the right: Live (cards, plots,
    results), History, Compare, Value and Sweep."""

    def __init__(
        self, catalog_fn: Callable[[], Catalog] = load_catalog,
        supervise_fn: SuperviseFn | None = None, log_path: str = "",
    ) -> None:
        super().__init__()
        self.setWindowTitle("Horsepower — what your hardware is worth to PyTorch")
        self.setWindowIcon(app_icon())
        self.log_path = log_path
        self.store = SeriesStore()
        self.bridge = EngineBridge(self.store, self)
        self.history = HistoryLink(parent=self)
        self.runs = RunManager(self.bridge, supervise_fn, self, record_fn=self.history.recording)
        self.session = Session()
        self.meter = ObserverMeter(self)
        self.dark = False
        self._build_widgets(supervise_fn)
        self._wire()
        self._refresh = QTimer(self, interval=REFRESH_IDLE_MS)
        self._refresh.timeout.connect(self.tick)
        self._refresh.start()
        self.meter.start()
        self.demo = DemoController(self.start_selected, self.set_demo_look, parent=self)
        self.runs.sig_busy_changed.connect(self.demo.on_busy_changed)
        self._shortcuts()
        self.cards.display(None)
        self.loader = CatalogLoader(catalog_fn, self)
        self.loader.sig_loaded.connect(self._on_catalog_loaded, Qt.ConnectionType.QueuedConnection)
        self.loader.sig_failed.connect(self.picker.set_failed, Qt.ConnectionType.QueuedConnection)
        self.loader.start()
        self.history.start()  # opens the store on its own thread; tabs fill in when it is ready
        self._closed = False

    # ---- construction ---------------------------------------------------------------
    def _build_widgets(self, supervise_fn: SuperviseFn | None) -> None:
        self.picker = DevicePicker()
        self.controls = RunControls()
        self.banner = MessageBanner()
        self.live = LivePage(self.store, self.meter.add_paint)
        self.cards, self.plots, self.table = self.live.cards, self.live.plots, self.live.table
        self.status = StatusBar(self.meter, self)
        self.setStatusBar(self.status)
        self.sidebar = self._sidebar()
        self.workspace = WorkspaceTabs(self.live, self.plots, self.history, lambda: self.runs.busy,
                                       supervise_fn, settings_fn=self._sidebar_settings)
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)  # above the tabs: its messages concern every tab
        column.addWidget(self.workspace, 1)
        central = QWidget()
        lay = QHBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.sidebar)
        lay.addLayout(column, 1)
        self.setCentralWidget(central)
        self.resize(1400, 900)

    def _sidebar(self) -> QWidget:
        side = QWidget(objectName="sidebar")
        side.setFixedWidth(310)
        lay = QVBoxLayout(side)
        lay.setContentsMargins(12, 12, 12, 12)
        header = QHBoxLayout()
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(36, 36))
        header.addWidget(logo)
        header.addWidget(QLabel("Horsepower", objectName="appTitle"), 1)
        lay.addLayout(header)
        for title, widget in (("Devices", self.picker), ("Workload", self.controls)):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(widget)
            lay.addWidget(box)
        lay.addStretch(1)
        hint = QLabel("F5 start · Shift+F5 stop · F11 full screen · Ctrl+D demo",
                      objectName="mutedLabel", wordWrap=True)
        lay.addWidget(hint)
        return side

    def _wire(self) -> None:
        b = self.bridge
        b.connect_queued(b.sig_run_started, self._on_run_started)
        b.connect_queued(b.sig_run_state_changed, self._on_run_state_changed)
        b.connect_queued(b.sig_run_notice, self._on_run_notice)
        b.connect_queued(b.sig_run_finished, self._on_run_finished)
        self.runs.sig_busy_changed.connect(self._on_busy_changed)
        self.controls.sig_start_requested.connect(self.start_selected)
        self.controls.sig_stop_requested.connect(self.stop_runs)
        w = self.workspace
        w.sig_rerun_requested.connect(self.rerun)
        w.sig_message.connect(lambda kind, title, text: self.banner.show_message(kind, title, text))
        w.sig_status.connect(lambda text: self.status.showMessage(text, 8000))
        w.sweeps.sig_busy_changed.connect(self._on_busy_changed)

    def _shortcuts(self) -> None:
        for keys, slot in (
            ("F5", self.start_selected), ("Ctrl+Return", self.start_selected),
            ("Shift+F5", self.stop_runs), ("Ctrl+.", self.stop_runs),
            ("F11", self.toggle_full_screen), ("Ctrl+D", self.demo.toggle),
            ("Escape", self._on_escape), ("Ctrl+Q", self.close),
        ):
            QShortcut(QKeySequence(keys), self, activated=slot)

    # ---- actions --------------------------------------------------------------------
    def start_selected(self) -> bool:
        """Start the ticked devices with the current settings; False if nothing started."""
        if self.runs.busy or self._sweep_refuses():
            return False
        specs = self.controls.specs_for(self.picker.selected_ids())
        if not specs:
            if self.controls.workloads:
                self.banner.show_message("warning", "No device selected",
                                         advice="Tick at least one device on the left.")
            return False
        self.start_runs(specs, race=self.controls.race)
        return True

    def start_runs(self, specs: Sequence[RunSpec], race: bool = False) -> list[str]:
        """Start ``specs`` (fresh plots) on the Live tab; returns the run ids."""
        self.workspace.show_live()
        self.banner.hide()
        self.store.clear()
        self.plots.set_runs([])
        if specs:  # runs overlay on a shared relative time axis, in both modes
            self.plots.expect_duration(max(s.duration_s or 0.0 for s in specs))
        self.status.set_sampling_hz(specs[0].sample_hz if specs else 10.0)
        self.meter.reset_latency()
        return self.runs.start(specs, race=race)

    def rerun(self, spec: RunSpec) -> list[str]:
        """Run a stored spec again (History's Re-run); [] when runs or a sweep are going."""
        if self.runs.busy:
            self.banner.show_message("warning", f"Cannot re-run {spec.title} now",
                                     advice="Stop the current run first.")
            return []
        if self._sweep_refuses():
            return []
        return self.start_runs([spec])

    def _sweep_refuses(self) -> bool:
        if not self.workspace.sweeps.busy:
            return False
        self.banner.show_message("warning", "A sweep is running",
                                 advice="Wait for it or press Stop sweep on the Sweep tab, so "
                                 "runs do not compete for the machine.")
        return True

    def stop_runs(self) -> None:
        if self.runs.busy:
            self.status.showMessage("Stopping…", 3000)
            self.runs.stop()

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def set_demo_look(self, on: bool) -> None:
        """Dark theme, large numbers, no sidebar, full screen (or back)."""
        self.set_dark(on)
        self.sidebar.setVisible(not on)
        self.setProperty("demo", on)
        self.live.set_presenting(on)
        self.workspace.set_demo(on)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.setStyleSheet(app.styleSheet())  # re-polish for the [demo] selectors
        self.showFullScreen() if on else self.showNormal()

    def set_dark(self, dark: bool) -> None:
        self.dark = dark
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, dark)
        self.plots.set_dark(dark)
        self.workspace.set_dark(dark)

    def _on_escape(self) -> None:
        if self.demo.active:
            self.demo.leave()
        elif self.isFullScreen():
            self.showNormal()

    # ---- engine signals (GUI thread, queued) ----------------------------------------
    def _on_catalog_loaded(self, catalog: Catalog) -> None:
        self.picker.set_devices(catalog.devices)
        self.controls.set_workloads(catalog.workloads)
        self.controls.set_running(self.runs.busy)
        self.status.set_torch_version(catalog.torch_version)
        log.info("found %d device(s), %d workload(s)", len(catalog.devices), len(catalog.workloads))

    def _on_run_started(self, run_id: str, spec: RunSpec) -> None:
        self.session.started(run_id, spec)
        traces = [*self.plots.runs, RunTrace(run_id, spec.device, spec.title)]
        self.plots.set_runs(traces)
        self.status.showMessage(f"{spec.title}: starting…")
        self._update_refresh_rate()

    def _on_run_state_changed(self, run_id: str, state: str, message: str) -> None:
        spec = self.session.specs.get(run_id)
        if spec is not None:
            self.status.showMessage(f"{spec.title}: {state}" + (f" — {message}" if message else ""))

    def _on_run_notice(self, run_id: str, kind: str, message: str) -> None:
        spec = self.session.specs.get(run_id)
        title = spec.title if spec else run_id
        if kind in ("warning", "throttle"):
            self.banner.show_message("warning", f"{title}: {kind}", message)
        else:
            self.status.showMessage(f"{title}: {message}", 8000)

    def _on_run_finished(self, run_id: str, result: dict[str, Any]) -> None:
        self.session.finished(run_id, result)
        self.table.add_result(result, self.session.cpu_baseline(result))
        status = str(result.get("status"))
        title = str(result.get("name") or run_id)
        if status in RunState.UNSUCCESSFUL:
            self.banner.show_message(
                "error", f"{'Out of memory' if status == 'oom' else 'Run failed'}: {title}",
                str(result.get("error") or "the run ended without a reason"),
                str(result.get("advice") or ADVICE.get(status, ADVICE["failed"])),
                f"Log file: {self.log_path}" if self.log_path else "",
            )
        self.status.showMessage(f"{title}: {status}", 10000)
        self._update_refresh_rate()
        self.tick()

    def _on_busy_changed(self, _busy: bool) -> None:
        """Live runs or a sweep started or ended: one at a time keeps the numbers fair."""
        self.controls.set_running(self.runs.busy)
        if self.workspace.sweeps.busy:
            self.controls.start_button.setEnabled(False)
        self._update_refresh_rate()

    def _update_refresh_rate(self) -> None:
        cpu_busy = "cpu" in self.session.active_devices() and self.runs.busy
        self._refresh.setInterval(REFRESH_CPU_RUN_MS if cpu_busy else REFRESH_IDLE_MS)

    def _sidebar_settings(self) -> RunSpec | None:
        """The sidebar's settings as a CPU spec (sweeps apply them to every point)."""
        return next(iter(self.controls.specs_for(["cpu"])), None)

    def tick(self) -> None:
        """One refresh: pull snapshots into plots, update the cards."""
        self.plots.refresh()
        self.cards.display(self.session.card_values(self.store))
        self.meter.frame_done()

    # ---- shutdown -------------------------------------------------------------------
    def shutdown(self, timeout_s: float = SHUTDOWN_TIMEOUT_S) -> bool:
        """Stop every run and join every thread; True when all ended in time."""
        if self._closed:
            return True
        self._closed = True
        self.demo.leave()
        self._refresh.stop()
        self.meter.stop()
        started = time.monotonic()
        self.workspace.sweeps.stop()  # both stop at once, then share the time to join
        ok = self.runs.shutdown(timeout_s)
        ok = self.workspace.shutdown(max(0.1, timeout_s - (time.monotonic() - started))) and ok
        ok = self.loader.join(timeout_s) and ok
        ok = self.history.close(timeout_s, close_store=ok) and ok
        log.info("window closed (clean=%s)", ok)
        return ok

    def join_stragglers(self, timeout_s: float) -> bool:
        """After a ``shutdown`` that ran out of time, wait up to ``timeout_s`` more for the
        threads still running: a QThread alive at interpreter exit aborts the process."""
        ok = self.runs.shutdown(timeout_s)
        return self.workspace.shutdown(timeout_s) and ok

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        event.accept()
