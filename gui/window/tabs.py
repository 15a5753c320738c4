"""The window's tabs: Live, History, Compare, Value, Sweep, Scaling, Advisor, and how they talk. GUI thread.

History feeds Compare and Value with the selected runs and asks the window to re-run a
stored spec; the Sweep tab runs sweeps through ``SweepRunner`` after the engine's checks
(``profiler.analysis.sweep.check_sweep``) passed; the Scaling tab runs scale sweeps through
``ScaleRunner`` after ``horsepower scale``'s own checks (``scale_runner.scale_config``) and opens
stored ones (listed off the GUI thread, or picked in History); the Advisor projects a run onto
other hardware off the GUI thread; Compare and Live save PNGs of the whole view, Compare also the
stakeholder report (HTML: with the Advisor's answer for a compared run when there is one) and
the tidy CSV. Every file dialog goes through ``export_actions.ask_save_path``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QPushButton, QTabWidget, QWidget

from gui.runs.background import BackgroundCall
from gui.runs.history_link import HistoryLink
from gui.runs.profiling_thread import SuperviseFn
from gui.runs.scale_runner import ScaleFn, ScaleRunner, scale_config
from gui.runs.sweep_runner import RunFn, SweepRunner
from gui.window import exports as export_actions
from gui.window.pages.advisor_page import AdvisorPage
from gui.window.pages.compare_page import ComparePage
from gui.window.pages.history_page import UNAVAILABLE, HistoryPage
from gui.window.pages.scaling_page import ScalingPage
from gui.window.pages.sweep_page import SweepPage
from gui.window.pages.value_page import ValuePage
from gui.window.scaling_actions import ScalingActions
from profiler.results.model_ref import USER_WORKLOAD, ModelRefError, model_spec_fields
from profiler.results.spec import RunSpec, SpecError

if TYPE_CHECKING:
    from gui.runs.catalog_loader import Catalog
    from gui.viewmodel.preferences import Preferences
    from gui.widgets.model_picker import ModelFacts
    from profiler.history import HistoryStore

log = logging.getLogger(__name__)

TABS = ("Live", "History", "Compare", "Value", "Sweep", "Scaling", "Advisor")
SweepCheck = Callable[[str, str, list[int], list[str], RunSpec | None], None]


def engine_sweep_check(workload: str, knob: str, values: list[int], devices: list[str],
                       base: RunSpec | None) -> None:
    """The engine's checks of a whole sweep (``SpecError`` names what is wrong)."""
    from profiler.analysis.sweep import check_sweep

    check_sweep(workload, knob, values, devices, base)


def machine_words(catalog: Catalog | None) -> str:
    """"Intel Xeon (2 logical cores) · NVIDIA H200 · torch 2.13.0": the machine, for a PNG header."""
    if catalog is None:
        return ""
    parts = []
    for device in catalog.devices:
        if not device.available:
            continue
        cores = f" ({device.compute_units} {device.compute_unit_name})" if device.kind == "cpu" and \
            device.compute_units else ""
        parts.append(f"{device.name}{cores}")
    return " · ".join([*parts, f"torch {catalog.torch_version}"])


class WorkspaceTabs(ScalingActions, QTabWidget):
    """Tabs over ``live`` and the analysis pages; ``busy_fn`` says whether live runs are on."""

    sig_rerun_requested = Signal(object)
    """(RunSpec) run this stored spec again on the Live page. GUI thread."""
    sig_message = Signal(str, str, str)
    """(kind, title, detail) for the window's banner; kind is error | warning | info."""
    sig_status = Signal(str)
    """A short status-bar message. GUI thread."""
    sig_details = Signal(str, str, str, str)
    """(kind, title, detail, details) for the banner, with a traceback behind "Details…"."""

    def __init__(self, live: QWidget, plot_area: QWidget, link: HistoryLink,
                 busy_fn: Callable[[], bool], supervise_fn: SuperviseFn | None = None,
                 parent: QWidget | None = None,
                 settings_fn: Callable[[], RunSpec | None] | None = None,
                 prefs: Preferences | None = None) -> None:
        super().__init__(parent, objectName="workspaceTabs")
        self.link = link
        self.prefs = prefs
        self.catalog: Catalog | None = None
        self.user_model: ModelFacts | None = None  # the user's checked model, for the Sweep form
        self.knob_lists: dict[str, list[str]] = {}
        self.sweep_check: SweepCheck = engine_sweep_check
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
        self.scaling = ScalingPage()
        self.advisor = AdvisorPage()
        if prefs is not None:
            self.advisor.apply_settings(prefs.section("advisor"))
            self.sweep.set_settings(prefs.section("sweep"))
            self.scaling.form.apply_settings(prefs.section("scaling"))
            self.history.hide_generated = bool(prefs.get("history_hide_generated", False))
            self.value.job = prefs.section("value_job")
        for name, page in zip(TABS, (live, self.history, self.compare, self.value, self.sweep, self.scaling,
                                     self.advisor),
                              strict=True):
            self.addTab(page, name)
        self.live_png = QPushButton("Save PNG", objectName="cornerAction")
        self.live_png.setToolTip("Save the whole Live view (cards, plots, results) as a PNG at 2x, "
                                 "with a title, the date and the machine")
        self.setCornerWidget(self.live_png, Qt.Corner.TopRightCorner)
        self.sweeps = SweepRunner(link, supervise_fn, self)
        self.scales = ScaleRunner(link, self)
        self.scale_check: Callable[[dict[str, Any]], tuple[Any, list[int]]] = scale_config
        self.scale_fn: ScaleFn | None = None  # tests: fabricated sweeps instead of real ranks
        self.scale_groups = BackgroundCall("scale-groups", self)
        self._wire()

    def _wire(self) -> None:
        queued = Qt.ConnectionType.QueuedConnection
        self.link.sig_ready.connect(self._on_history_ready, queued)
        self.link.sig_failed.connect(self._on_history_failed, queued)
        self.link.sig_run_recorded.connect(self._on_run_recorded, queued)
        self.currentChanged.connect(self._on_current_changed)
        self.live_png.clicked.connect(lambda: self.save_png(self.plot_area, "horsepower-live.png",
                                                            "Horsepower · live"))
        self.history.compare_button.clicked.connect(self._on_compare_clicked)
        self.history.value_button.clicked.connect(self._on_value_clicked)
        self.compare.png_button.clicked.connect(
            lambda: self.save_png(self.compare.view.content if self.compare.view else None,
                                  "horsepower-comparison.png", self.compare.png_title()))
        self.compare.html_button.clicked.connect(self.save_compare_html)
        self.compare.csv_button.clicked.connect(self.save_compare_csv)
        self.advisor.html_button.clicked.connect(self.save_advice_html)
        self.sweep.stop_button.clicked.connect(self.sweeps.stop)
        s = self.sweeps
        s.sig_point_state.connect(self.sweep.on_point_state, queued)
        s.sig_point_finished.connect(
            lambda point, done, total: self.sweep.on_point_finished(self.sweeps.request or {}, point, done,
                                                                    total), queued)
        s.sig_sweep_finished.connect(self._on_sweep_finished, queued)
        s.sig_sweep_failed.connect(self.sweep.on_failed, queued)
        s.sig_sweep_rejected.connect(self._on_sweep_rejected, queued)
        s.sig_busy_changed.connect(self.sweep.set_running)
        self._wire_scaling()

    def _wire_scaling(self) -> None:
        queued = Qt.ConnectionType.QueuedConnection
        page, runner = self.scaling, self.scales
        page.form.sig_run_requested.connect(self.start_scale)
        page.form.sig_open_stored.connect(self._on_open_stored)
        page.stop_button.clicked.connect(runner.stop)
        self.history.scaling_button.clicked.connect(self._on_scaling_clicked)
        runner.sig_progress.connect(page.on_progress, queued)
        runner.sig_point_finished.connect(page.on_point_finished, queued)
        runner.sig_finished.connect(self._on_scale_finished, queued)
        runner.sig_failed.connect(page.on_failed, queued)
        runner.sig_busy_changed.connect(page.set_running)
        self.scale_groups.sig_done.connect(lambda _t, groups: self.scaling.set_stored(groups), queued)
        self.scale_groups.sig_failed.connect(
            lambda _t, exc: log.warning("stored scale sweeps could not be listed: %s", exc), queued)

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
        elif name == "Scaling":
            self.list_stored_scales()
        elif name == "Advisor":
            self.advisor.refresh_runs()

    def set_dark(self, dark: bool) -> None:
        self.dark = dark
        self.compare.set_dark(dark)
        self.sweep.set_dark(dark)
        self.scaling.set_dark(dark)
        self.advisor.set_dark(dark)

    def set_catalog(self, catalog: Catalog) -> None:
        """Workloads and devices for the Sweep form's pickers; the machine for PNG headers."""
        self.catalog = catalog
        self.knob_lists = {}
        try:
            from profiler.analysis.sweep import sweep_knobs

            for name in catalog.workloads:
                self.knob_lists[name] = sweep_knobs(name)
        except (ImportError, ValueError) as exc:
            log.warning("no knob lists for the Sweep form: %s", exc)
        self._fill_sweep_form()
        self.scaling.form.set_catalog(list(catalog.workloads), list(catalog.devices))
        if self.prefs is not None:
            self.scaling.form.apply_settings(self.prefs.section("scaling"))

    def set_user_model(self, facts: ModelFacts) -> None:
        """The user's model passed its check: the Sweep form offers it, with its knobs."""
        self.user_model = facts
        self._fill_sweep_form()

    def _fill_sweep_form(self) -> None:
        if self.catalog is None:
            return
        workloads: dict[str, Any] = dict(self.catalog.workloads)
        knob_lists = dict(self.knob_lists)
        facts = self.user_model
        if facts is not None:  # its defaults stand in for a preset (the form suggests values from them)
            from gui.runs.catalog_loader import WorkloadInfo

            workloads[USER_WORKLOAD] = WorkloadInfo(
                USER_WORKLOAD, f"Your model: {facts.label}", facts.reference, (),
                {"S": facts.batch_size} if facts.batch_size else {},
                {"S": {k: int(facts.defaults[k]) for k in facts.int_knobs()}}, dict(facts.knob_help))
            knob_lists[USER_WORKLOAD] = ["batch_size", *sorted(facts.int_knobs())]  # a sweep steps integers
        self.sweep.set_catalog(workloads, list(self.catalog.devices), knob_lists)

    def save_preferences(self) -> None:
        if self.prefs is None:
            return
        self.prefs.set("sweep", self.sweep.settings())
        self.prefs.set("scaling", self.scaling.form.settings())
        self.prefs.set("history_hide_generated", self.history.hide_generated)
        self.prefs.set("value_job", self.value.job_settings())
        self.prefs.set("advisor", self.advisor.settings())

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
        self.advisor.set_store(store)
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
            if self.currentIndex() == TABS.index("Scaling"):
                self.list_stored_scales()
            self.advisor.refresh_runs()
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
            self._say_skipped(run_ids, self.compare.view.runs if self.compare.view else [])

    def value_runs(self, run_ids: list[str]) -> None:
        """Show the Value tab for ``run_ids``."""
        if self.store is not None:
            self.value.show_runs(self.store, run_ids)
            self.show_tab("Value")
            self._say_skipped(run_ids, self.value.view.runs if self.value.view else [])

    def _say_skipped(self, run_ids: list[str], shown_runs: list[dict[str, Any]]) -> None:
        """Runs the store could not rebuild were left out (``HistoryStore.get`` gave None): say
        which and why, and name them on the History tab too, where they can be deleted."""
        damaged = self.store.damaged if self.store is not None else {}
        shown = {str(r.get("run_id")) for r in shown_runs}
        skipped = [i for i in run_ids if i in damaged and i not in shown]
        if skipped:
            self.sig_message.emit("warning", "Damaged runs left out",
                                  "; ".join(f"{i}: {damaged[i]}" for i in skipped[:4]) +
                                  ". Delete them on the History tab.")
        if self.history.view is not None:
            self.history.view.show_damaged()

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

    def save_png(self, widget: QWidget | None, name: str, title: str = "Horsepower") -> None:
        """The whole view at 2x under a header: ``title``, the date and the machine."""
        if widget is None:
            return
        path = self._ask("Save PNG", name, "PNG image (*.png)")
        if path:
            subtitle = " · ".join(p for p in (time.strftime("%Y-%m-%d %H:%M"), machine_words(self.catalog)) if p)
            self._saved("image", lambda p: export_actions.save_png(widget, p, title, subtitle, self.dark), path)

    def save_compare_html(self) -> None:
        view = self.compare.view
        if view is None or view.comparison is None:
            return
        path = self._ask("Save report", "horsepower-report.html", "HTML (*.html)")
        if path:
            from profiler.reports.advisor_html import advice_section
            from profiler.reports.html import comparison_report

            advice = self.advisor.advice_for([str(r.get("run_id")) for r in view.runs])
            text = comparison_report(view.runs, view.comparison.baseline_id, view.prices(),
                                     title="Horsepower report", sections=[advice_section(a) for a in advice])
            self._saved("report", lambda p: export_actions.write_text(p, text), path)

    def save_advice_html(self) -> None:
        """The Advisor's answer on screen as the advisor's one-page report."""
        advice = self.advisor.shown_advice()
        if advice is None:
            return
        path = self._ask("Save advice", "horsepower-advice.html", "HTML (*.html)")
        if path:
            from profiler.reports.advisor_html import advice_report

            text = advice_report(advice)
            self._saved("advice", lambda p: export_actions.write_text(p, text), path)

    def save_compare_csv(self) -> None:
        view = self.compare.view
        if view is None or view.comparison is None:
            return
        path = self._ask("Save CSV", "horsepower-runs.csv", "CSV (*.csv)")
        if path:
            text = export_actions.runs_csv(view.runs, view.comparison.baseline_id, view.prices())
            self._saved("table", lambda p: export_actions.write_text(p, text), path)

    # ---- sweep -----------------------------------------------------------------------
    def ensure_sweep_view(self) -> Any:
        if self.sweep.view is None:
            view = self.sweep.build(self.dark)
            view.sig_sweep_requested.connect(self.start_sweep)
        return self.sweep.view

    def start_sweep(self, request: dict[str, Any], run_fn: RunFn | None = None) -> bool:
        """Run ``request`` (the Sweep form's dict) after the engine's checks of every point;
        False (with the reason under the form) when it cannot start: nothing is recorded."""
        view = self.ensure_sweep_view()
        if self.busy_fn() or self.sweeps.busy or self.scales.busy:
            view.error_label.setText("Another run is going: stop it first, so the points "
                                     "have the machine to themselves.")
            return False
        try:
            request = self._with_sidebar_settings(request)
        except ModelRefError as exc:
            view.error_label.setText(f"Cannot start this sweep: {exc}")
            return False
        base = RunSpec.from_dict(dict(request["base"])) if request.get("base") else None
        args = (str(request["workload"]), str(request["knob"]), list(request["values"]),
                list(request["devices"]), base)
        user = request["workload"] == USER_WORKLOAD
        if not user:  # a user's model is built for every point in a child process: on the sweep thread
            try:
                self.sweep_check(*args)
            except (SpecError, ValueError) as exc:
                view.error_label.setText(f"Cannot start this sweep: {exc}")
                return False
        view.error_label.setText("")
        self.sweep.begin(len(set(request["values"])) * len(request["devices"]))
        if user:
            self.sweep.progress_label.setText("Checking your model at every point in a separate process…")
        check = self.sweep_check
        self.sweeps.start(request, run_fn, check=(lambda: check(*args)) if user else None)
        return True

    def _with_sidebar_settings(self, request: dict[str, Any]) -> dict[str, Any]:
        """Sweep points use the sidebar's size, precision, batch and threads, as a run would."""
        if "base" in request:
            return request
        settings = self.settings_fn() if self.settings_fn else None
        workload = str(request["workload"])
        if workload == USER_WORKLOAD:  # the checked model; the sidebar's knobs when it is the same one
            if self.user_model is None:
                raise ModelRefError("check your model in the sidebar (Your model…) before sweeping it")
            fields = model_spec_fields(self.user_model.reference)
            same = settings is not None and settings.model == fields["model"]
            base = (settings or RunSpec(workload=USER_WORKLOAD)).replace(
                **fields, knobs=dict(settings.knobs) if same and settings else {},
                batch_size=settings.batch_size if same and settings else None)
            return {**request, "base": base.to_dict()}
        if settings is None:
            return request
        same_workload = settings.workload == workload
        base = settings.replace(workload=workload, knobs={}, model="", model_hash="",
                                batch_size=settings.batch_size if same_workload else None)
        return {**request, "base": base.to_dict()}

    def _on_sweep_rejected(self, message: str, details: str) -> None:
        """A point of a user-model sweep did not pass its check: nothing ran."""
        self.sweep.on_failed(message, rejected=True)
        self.sig_details.emit("error", "Your model did not pass the check", message, details)

    def _on_sweep_finished(self, result: Any, stopped: bool) -> None:
        self.sweep.on_finished(result, stopped)
        self.sig_status.emit("Sweep stopped" if stopped else "Sweep finished")

    # ---- shutdown --------------------------------------------------------------------
    def shutdown(self, timeout_s: float) -> bool:
        """Stop the sweeps and join their threads; pages stop reacting to late signals."""
        self._closed = True
        started = time.monotonic()
        if self.history.view is not None:
            self.history.view.close_watch()
        self.scales.stop()
        ok = self.sweeps.shutdown(timeout_s)
        ok = self.scales.shutdown(max(0.1, timeout_s - (time.monotonic() - started))) and ok
        ok = self.advisor.shutdown(max(0.1, timeout_s - (time.monotonic() - started))) and ok
        return self.scale_groups.shutdown(max(0.1, timeout_s - (time.monotonic() - started))) and ok
