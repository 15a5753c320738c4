"""The main window: composes the widgets and wires engine signals to them. GUI thread.

It owns no measurement logic: runs live in ``RunManager`` (profiling threads), data in
the ``SeriesStore`` (filled by the bridge and the machine monitor), per-session bookkeeping
in ``Session``, the run history in ``HistoryLink``, the History / Compare / Value / Sweep
tabs in ``WorkspaceTabs``, presentation mode in ``Presentation`` and the remembered
settings in ``Preferences``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.runs.bridge import EngineBridge
from gui.runs.catalog_loader import DISCOVERY_JOIN_S, Catalog, CatalogLoader, load_catalog
from gui.runs.history_link import HistoryLink
from gui.runs.machine_feed import MachineFeed
from gui.runs.profiling_thread import SuperviseFn
from gui.runs.run_manager import RunManager
from gui.runs.trace_request import TraceUnavailable
from gui.viewmodel import run_states
from gui.viewmodel.preferences import Preferences
from gui.viewmodel.series_store import SeriesStore, description
from gui.viewmodel.session import Session
from gui.widgets.device_picker import DevicePicker
from gui.widgets.message_banner import ADVICE, MessageBanner
from gui.widgets.plot_kit import RunTrace
from gui.widgets.quiet_wait_bar import QuietWaitBar
from gui.widgets.run_controls import RunControls
from gui.widgets.status_bar import StatusBar
from gui.widgets.theme import app_icon
from gui.window import closing
from gui.window.about import about_box
from gui.window.demo_mode import DemoController
from gui.window.focus_follow import FocusFollow
from gui.window.geometry import fit_to_screen, saved_size, within_screen
from gui.window.notices import show_notice
from gui.window.observer_meter import ObserverMeter
from gui.window.pages.live_page import LivePage
from gui.window.presentation import Presentation
from gui.window.quiet_gate import QuietGate
from gui.window.tabs import WorkspaceTabs
from gui.window.user_model import UserModelFlow
from profiler.results.model_ref import ModelRefError
from profiler.results.result import RunResult, RunState
from profiler.results.spec import RunSpec

log = logging.getLogger(__name__)

REFRESH_IDLE_MS = 250  # 4 Hz when no CPU run competes with the window (the machine reads at 2 Hz)
REFRESH_CPU_RUN_MS = 1000  # 1 Hz while a CPU run is active: leave the cores to training
SHUTDOWN_TIMEOUT_S = 2.0


class MainWindow(QMainWindow):
    """Device picker and run controls on the left; tabs on the right: Live (cards, plots,
    results), History, Compare, Value and Sweep."""

    def __init__(self, catalog_fn: Callable[[], Catalog] = load_catalog, supervise_fn: SuperviseFn | None = None,
                 log_path: str = "", preferences: Preferences | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Horsepower — what your hardware is worth to PyTorch")
        self.setWindowIcon(app_icon())
        self.log_path = log_path
        self.prefs = preferences or Preferences()
        self.store = SeriesStore()
        self.feed = MachineFeed(lambda event: self.bridge.ingest(event))
        self.bridge = EngineBridge(self.store, self, now_s=self.feed.now_s)
        self.history = HistoryLink(parent=self)
        self.runs = RunManager(self.bridge, supervise_fn, self, record_fn=self.history.recording)
        self.session = Session()
        self.meter = ObserverMeter(self)
        self.dark = bool(self.prefs.get("dark", False))
        self.confirm_close: Callable[[str], bool] = lambda text: closing.ask_to_quit(self, text)
        self._build_widgets(supervise_fn)
        self.user_model = UserModelFlow(self, parent=self)  # "Your model…": checks off the GUI thread
        self.focus_follow = FocusFollow(self)  # the sidebar shows the run in focus (before _wire: re-run)
        self._wire()
        self._refresh = QTimer(self, interval=REFRESH_IDLE_MS)
        self._refresh.timeout.connect(self.tick)
        self._refresh.start()
        self.meter.start()
        self.presentation = Presentation(self)
        self.demo = DemoController(self._start_round, self.presentation.set_active, parent=self,
                                   stop_round=self.stop_runs)
        self.runs.sig_busy_changed.connect(self.demo.on_busy_changed)
        self._shortcuts()
        self.cards.display(None)
        self.loader = CatalogLoader(catalog_fn, self)
        self.loader.sig_loaded.connect(self._on_catalog_loaded, Qt.ConnectionType.QueuedConnection)
        self.loader.sig_failed.connect(self.picker.set_failed, Qt.ConnectionType.QueuedConnection)
        self.loader.start()
        self.history.start()  # opens the store on its own thread; tabs fill in when it is ready
        self._closed = False
        if self.dark:
            self.set_dark(True)

    # ---- construction ---------------------------------------------------------------
    def _build_widgets(self, supervise_fn: SuperviseFn | None) -> None:
        self.picker = DevicePicker(explain=True)
        self.controls = RunControls()
        self.banner = MessageBanner()
        self.live = LivePage(self.store, self.meter.add_paint, now_s=self.feed.now_s)
        self.cards, self.plots, self.table = self.live.cards, self.live.plots, self.live.table
        self.status = StatusBar(self.meter, self)
        self.meter.sig_report.connect(self.status.update_overhead)
        self.setStatusBar(self.status)
        self.sidebar = self._sidebar()
        self.workspace = WorkspaceTabs(self.live, self.live, self.history, lambda: self.runs.busy,
                                       supervise_fn, settings_fn=self._sidebar_settings, prefs=self.prefs)
        self.workspace.currentChanged.connect(lambda i: self.banner.set_page(self.workspace.tabText(i)))
        self.banner.set_page(self.workspace.tabText(self.workspace.currentIndex()))
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)  # above the tabs, shown on the page it concerns
        self.quiet_gate = QuietGate(QuietWaitBar(), parent=self)  # a Start on a busy machine waits for quiet
        column.addWidget(self.quiet_gate.bar)
        column.addWidget(self.workspace, 1)
        central = QWidget()
        lay = QHBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.sidebar)
        lay.addLayout(column, 1)
        self.setCentralWidget(central)
        fit_to_screen(self, saved_size(self.prefs.values.get("window_size")))

    def _sidebar(self) -> QWidget:
        side = QWidget(objectName="sidebar")
        side.setFixedWidth(320)
        body = QWidget(objectName="sidebarBody")
        scroll = QScrollArea(side)  # a short screen scrolls the sidebar instead of squeezing its fields
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        outer = QVBoxLayout(side)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(12, 12, 12, 12)
        header = QHBoxLayout()
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(36, 36))
        header.addWidget(logo)
        header.addWidget(QLabel("Horsepower", objectName="appTitle"), 1)
        header.addWidget(self._help_button())
        lay.addLayout(header)
        for title, widget in (("Devices", self.picker), ("Workload", self.controls)):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(widget)
            lay.addWidget(box)
        lay.addStretch(1)
        hint = QLabel("F5 start · Shift+F5 stop · F11 full screen · Ctrl+D presentation",
                      objectName="mutedLabel", wordWrap=True)
        lay.addWidget(hint)
        return side

    def _help_button(self) -> QToolButton:
        """"?": why an accelerator is not here, and About (F1)."""
        button = QToolButton(text="?", objectName="helpButton",
                             popupMode=QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setToolTip("Help: why not my accelerator, about Horsepower (F1)")
        menu = QMenu(button)
        menu.addAction("Why not my accelerator?…", lambda: self.picker.explain())
        menu.addAction("About Horsepower…", self.show_about)
        button.setMenu(menu)
        return button

    def show_about(self) -> None:
        """The About box: version, data credits (Epoch AI), licence. Non-blocking."""
        catalog = self.workspace.catalog
        about_box(self, catalog.torch_version if catalog else "").open()

    def _wire(self) -> None:
        b = self.bridge
        b.connect_queued(b.sig_run_started, self._on_run_started)
        b.connect_queued(b.sig_run_state_changed, self._on_run_state_changed)
        b.connect_queued(b.sig_run_notice, self._on_run_notice)
        b.connect_queued(b.sig_run_finished, self._on_run_finished)
        self.runs.sig_busy_changed.connect(self._on_busy_changed)
        self.controls.sig_start_requested.connect(self.start_selected)
        self.controls.sig_stop_requested.connect(self.stop_runs)
        self.picker.sig_selection_changed.connect(self.controls.limit_precisions)
        w = self.workspace
        w.sig_rerun_requested.connect(self.rerun)
        w.sig_message.connect(lambda kind, title, text: self.banner.show_message(kind, title, text))
        w.sig_status.connect(lambda text: self.status.showMessage(text, 8000))
        w.sig_details.connect(lambda kind, title, text, details: self.banner.show_message(
            kind, title, text, details=details))
        w.sweeps.sig_busy_changed.connect(self._on_busy_changed)
        w.scales.sig_busy_changed.connect(self._on_busy_changed)
        self.history.sig_run_outcome.connect(self._on_history_outcome, Qt.ConnectionType.QueuedConnection)
        self.plots.sig_utilization_help.connect(self.tick)  # fill the panel now, not at the next tick

    def _shortcuts(self) -> None:
        for keys, slot in (
            ("F5", self.start_selected), ("Ctrl+Return", self.start_selected),
            ("Shift+F5", self.stop_runs), ("Ctrl+.", self.stop_runs),
            ("F11", self.toggle_full_screen), ("Ctrl+D", self.demo.toggle), ("Ctrl+Shift+D", self.status.toggle_debug),
            ("Escape", self._on_escape), ("Ctrl+Q", self.close), ("F1", self.show_about),
        ):
            QShortcut(QKeySequence(keys), self, activated=slot)

    # ---- actions --------------------------------------------------------------------
    def start_selected(self, origin: str = "") -> bool:
        """Start the ticked devices with the current settings; False if nothing started."""
        if self.runs.busy or self.user_model.validating or self._sweep_refuses():
            return False
        try:
            specs = self.controls.specs_for(self.picker.selected_ids(), origin=origin or "")
        except ModelRefError as exc:
            self.banner.show_message("warning", "Name your model first", str(exc),
                                     "Type a reference in the Workload box or pick a file with “…”.")
            return False
        if not specs:
            if self.controls.workloads:
                self.banner.show_message("warning", "No device selected",
                                         advice="Tick at least one device on the left.")
            return False
        race = self.controls.race
        trace = self.controls.record_trace.isChecked() and origin != "demo"

        def go(checked: Sequence[RunSpec]) -> list[str]:
            started = self.start_runs(checked, race=race, trace=trace)
            if started and trace:
                self.controls.trace_started()
            return started

        # a Start waits for quiet on a busy machine (bounded; Cancel starts nothing); a presentation round is marked
        begin = go if origin == "demo" else self.quiet_gate.gated(go)
        if any(spec.is_user_model for spec in specs):  # checked in a child process first
            return self.user_model.start(specs, begin)
        begin(specs)
        return True

    def _start_round(self) -> bool:
        """One round of the presentation loop: the ticked devices, named as presentation runs."""
        return self.start_selected(origin="demo")

    def start_runs(self, specs: Sequence[RunSpec], race: bool = False, trace: bool = False) -> list[str]:
        """Start ``specs`` on the Live tab; returns the run ids ([] when a requested ``trace``
        cannot be written: nothing starts). Presentation keeps the last round's curves and
        cards until the new round measures."""
        self.workspace.show_live()
        self.banner.dismiss()
        if self.presentation.active:
            self.presentation.keep_previous(self.plots.runs)
        else:
            self.store.clear()
            self.plots.set_runs([])
            self.plots.run_plots.show_final(None)
        if specs:  # runs overlay on a shared relative time axis, in both modes
            self.plots.expect_duration(max(s.duration_s or 0.0 for s in specs))
        self.status.set_sampling_hz(specs[0].sample_hz if specs else 10.0)
        self.meter.reset_latency()
        try:
            return self.runs.start(specs, race=race, trace=trace)
        except TraceUnavailable as exc:
            self.banner.show_message("error", "Cannot record a trace", str(exc),
                                     "Untick “Record a trace” to run without one.")
            return []

    def start_allocator_ab(self, spec: RunSpec, rounds: int = 2) -> list[str]:
        """The run with the allocator as it comes and tuned, alternating ``rounds`` times ([] when busy)."""
        base = spec.replace(name="", origin="", allocator="")
        return [] if self.runs.busy else self.start_runs([base, base.replace(allocator="tuned")] * rounds)

    def rerun(self, spec: RunSpec) -> list[str]:
        """Run a stored spec again (History's Re-run); [] when runs or a sweep are going."""
        if self.runs.busy:
            self.banner.show_message("warning", f"Cannot re-run {spec.title} now",
                                     advice="Stop the current run first.")
            return []
        if self._sweep_refuses() or self.user_model.validating:
            return []
        if spec.is_user_model:  # their code may have changed or break: check it before it runs
            self.user_model.start([spec], self.start_runs)
            return []
        return self.start_runs([spec])

    def _sweep_refuses(self) -> bool:
        if not self.workspace.jobs_busy:
            return False
        tab = "Sweep" if self.workspace.sweeps.busy else "Scaling"
        self.banner.show_message("warning", f"A {tab.lower()} run is going",
                                 advice=f"Wait for it or press Stop on the {tab} tab, so "
                                 "runs do not compete for the machine.")
        return True

    def stop_runs(self) -> None:
        if self.runs.busy:
            self.status.showMessage("Stopping…", 3000)
            self.runs.stop()

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def set_dark(self, dark: bool) -> None:
        """The dark or light theme (remembered); presentation is always dark."""
        self.dark = dark
        self.prefs.set("dark", dark)
        self.presentation.apply_theme(dark)

    def _on_escape(self) -> None:
        if self.demo.active:
            self.demo.leave()
        elif self.isFullScreen():
            self.showNormal()

    # ---- engine signals (GUI thread, queued) ----------------------------------------
    def _on_catalog_loaded(self, catalog: Catalog) -> None:
        self.picker.set_devices(catalog.devices)
        self.picker.set_support(catalog.support, catalog.capabilities)
        self.controls.set_workloads(catalog.workloads)
        self.controls.set_precision_reasons(catalog.precisions)
        self.controls.apply_settings(self.prefs.section("run"))
        ticked = self.prefs.get("devices", [], list)
        if ticked:
            self.picker.select(ticked)
        self.controls.limit_precisions(self.picker.selected_ids())
        self.controls.set_running(self.runs.busy)
        if self.controls.user_model and self.controls.model_picker.text():
            self.user_model.check(self.controls.model_picker.text())  # its knobs, as it was left
        self.workspace.set_catalog(catalog)
        self.status.set_torch_version(catalog.torch_version)
        self.feed.start([d.id for d in catalog.devices if d.available])
        log.info("found %d device(s), %d workload(s)", len(catalog.devices), len(catalog.workloads))

    def _on_run_started(self, run_id: str, spec: RunSpec) -> None:
        self.session.started(run_id, spec)
        if self.presentation.active:
            self.presentation.round_started(run_id)
        traces = [*self.plots.runs, RunTrace(run_id, spec.device, spec.title)]
        self.plots.set_runs(traces)
        self.status.showMessage(f"{spec.title}: {run_states.words(RunState.PENDING)}…")
        self._update_refresh_rate()

    def _on_run_state_changed(self, run_id: str, state: str, message: str) -> None:
        if (spec := self.session.specs.get(run_id)) is not None:
            self.status.showMessage(f"{spec.title}: {run_states.words(state)}")

    def _on_run_notice(self, run_id: str, kind: str, message: str) -> None:
        show_notice(self, self.session.specs.get(run_id), run_id, kind, message)

    def presenting(self) -> bool:
        return self.presentation.active

    def _on_run_finished(self, run_id: str, finished: RunResult) -> None:
        result = finished.to_dict()  # the window's views read a finished run as history stores it
        self.session.finished(run_id, result)
        self.workspace.advisor.set_current(result)  # offered first on the Advisor tab
        self.table.add_result(result, self.session.baseline_for(result))
        status = finished.status
        title = finished.name or run_id
        if status in RunState.UNSUCCESSFUL and not self.presentation.active:
            self.banner.show_message(
                "error", f"{'Out of memory' if status == 'oom' else 'Run failed'}: {title}",
                finished.error or "the run ended without a reason",
                finished.advice or ADVICE.get(status, ADVICE["failed"]),
                f"Log file: {self.log_path}" if self.log_path else "", details=finished.error_details or "")
        rate = finished.samples_per_s
        if run_id == self.session.focus:  # no figure (stopped before a timed step): no line left from another run
            self.plots.run_plots.show_final(rate or None, finished.sample_unit)
        self.status.showMessage(f"{title}: {run_states.words(status)}", 10000)
        self.presentation.on_result(list(self.session.results.values()))
        self._update_refresh_rate()
        self.tick()

    def _on_history_outcome(self, run_id: str, outcome: Any) -> None:
        """History could not keep all of a run: say so for that run (the run itself is fine)."""
        if outcome.message is None or self.presentation.active:
            return
        spec = self.session.specs.get(run_id)
        title = spec.title if spec else run_id
        self.banner.show_message(
            "warning", f"Run history is incomplete: {title}", outcome.message,
            "The figures on the Live page are complete; free disk space or close the program "
            "holding the history database before the next run.")

    def _on_busy_changed(self, _busy: bool) -> None:
        """Live runs or a sweep started or ended: one at a time keeps the numbers fair."""
        self.controls.set_running(self.runs.busy)
        if self.workspace.jobs_busy:
            self.controls.start_button.setEnabled(False)
        self._update_refresh_rate()

    def cpu_run_active(self) -> bool:
        sweep_cpu = self.workspace.sweeps.busy and "cpu" in (self.workspace.sweeps.request or {}).get("devices", ())
        sweep_cpu = sweep_cpu or (self.workspace.scales.busy and getattr(self.workspace.scales.config, "device",
                                                                          "") == "cpu")
        return ("cpu" in self.session.active_devices() and self.runs.busy) or sweep_cpu

    def _update_refresh_rate(self) -> None:
        cpu_busy = self.cpu_run_active()
        self._refresh.setInterval(REFRESH_CPU_RUN_MS if cpu_busy else REFRESH_IDLE_MS)
        self.meter.set_light(cpu_busy)
        self.feed.set_busy(cpu_busy)

    def _sidebar_settings(self) -> RunSpec | None:
        """The sidebar's settings as a CPU spec (sweeps apply them to every point)."""
        try:
            return next(iter(self.controls.specs_for(["cpu"])), None)
        except ModelRefError:  # "Your model…" without a usable reference: the sweep's own defaults
            return None

    def tick(self) -> None:
        """One refresh: pull snapshots into plots, update the cards (skipped while hidden)."""
        if self.isMinimized():
            return
        self.presentation.tick()
        focus = self.session.focus
        if focus is not None:
            info = description(self.store, focus)
            if info is not None and info.sample_unit:
                self.plots.run_plots.set_unit(info.sample_unit)
        self.plots.refresh()
        if self.workspace.sweep.isVisible():
            self.workspace.sweep.refresh_point(self.workspace.sweeps)
        if self.live.isVisible():
            self.cards.display(self.presentation.card_values(self.session.card_values(self.store)))
            self.live.refresh(self.session, self.store)
        if self.live.utilization_open:
            self.live.utilization.display(self.session.utilization(self.store))  # type: ignore[union-attr]
        self.meter.frame_done()

    # ---- settings and shutdown ------------------------------------------------------
    def save_preferences(self) -> None:
        if self.controls.workloads:
            self.prefs.set("run", self.controls.settings())
            self.prefs.set("devices", self.picker.selected_ids())
        if not self.isFullScreen() and not self.presentation.active:
            self.prefs.set("window_size", list(within_screen(self.width(), self.height())))
        self.workspace.save_preferences()
        self.prefs.save()

    def shutdown(self, timeout_s: float = SHUTDOWN_TIMEOUT_S) -> bool:
        """Stop every run and join every thread; True when all ended in time."""
        if self._closed:
            return True
        self._closed = True
        self.quiet_gate.stop()
        self.demo.leave()
        self.save_preferences()
        self._refresh.stop()
        self.meter.stop()
        started = time.monotonic()
        self.workspace.sweeps.stop()  # all stop at once
        self.workspace.scales.stop()  # ... the scale sweep's ranks too, then share the time to join
        ok = self.runs.shutdown(timeout_s)
        ok = self.user_model.shutdown(max(0.1, timeout_s - (time.monotonic() - started))) and ok
        ok = self.workspace.shutdown(max(0.1, timeout_s - (time.monotonic() - started))) and ok
        ok = self.loader.join(max(timeout_s, DISCOVERY_JOIN_S)) and ok  # it always ends; it cannot be cut short
        ok = self.feed.stop(timeout_s) and ok
        ok = self.history.close(timeout_s, close_store=ok) and ok
        log.info("window closed (clean=%s)", ok)
        return ok

    def join_stragglers(self, timeout_s: float) -> bool:
        """After a ``shutdown`` that ran out of time, wait up to ``timeout_s`` more for the
        threads still running: a QThread alive at interpreter exit aborts the process."""
        ok = self.runs.shutdown(timeout_s)
        ok = self.user_model.shutdown(timeout_s) and ok
        return self.workspace.shutdown(timeout_s) and ok

    def closeEvent(self, event: QCloseEvent) -> None:
        """Ask before stopping a run or a sweep; a stopped run is stored, marked partial."""
        if not self._closed and (self.runs.busy or self.workspace.jobs_busy):
            active = [self.session.specs[r].title for r in self.session.specs if r not in self.session.results]
            question = closing.busy_text(active, self.workspace.sweeps.busy, self.workspace.scales.busy)
            if not self.confirm_close(question):
                event.ignore()
                return
        self.shutdown()
        event.accept()
