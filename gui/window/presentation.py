"""Presentation mode: a big-screen look over the Live page, and a clean way back. GUI thread.

On: dark theme with large type (``presentation.qss``), thick plot lines, the sidebar, tab
bar, results table and status bar (developer telemetry) hidden, a title strip with the
headline result (``profiler.analysis.headline``) and an exit hint, full screen. Between
loops the last round's curves, cards and headline stay until the next round measures.
Off: the theme the user had, every hidden part back, the window state it had.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from gui.viewmodel import series_store as sk
from gui.widgets.plot_kit import RunTrace
from gui.widgets.theme import apply_theme

if TYPE_CHECKING:
    from PySide6.QtCore import QByteArray
    from PySide6.QtWidgets import QStatusBar

    from gui.viewmodel.card_values import CardValues
    from gui.viewmodel.series_store import SeriesStore
    from gui.viewmodel.session import Session
    from gui.widgets.device_picker import DevicePicker
    from gui.widgets.live_plots import LivePlots
    from gui.widgets.message_banner import MessageBanner
    from gui.widgets.run_controls import RunControls
    from gui.window.pages.live_page import LivePage
    from gui.window.tabs import WorkspaceTabs

log = logging.getLogger(__name__)


class PresentationHost(Protocol):
    """What presentation mode uses of the window (``MainWindow`` is one)."""

    @property
    def dark(self) -> bool: ...
    @property
    def plots(self) -> LivePlots: ...
    @property
    def workspace(self) -> WorkspaceTabs: ...
    @property
    def sidebar(self) -> QWidget: ...
    @property
    def banner(self) -> MessageBanner: ...
    @property
    def live(self) -> LivePage: ...
    @property
    def controls(self) -> RunControls: ...
    @property
    def picker(self) -> DevicePicker: ...
    @property
    def store(self) -> SeriesStore: ...
    @property
    def session(self) -> Session: ...
    def statusBar(self) -> QStatusBar: ...
    def windowState(self) -> Qt.WindowState: ...
    def setWindowState(self, state: Qt.WindowState) -> None: ...
    def saveGeometry(self) -> QByteArray: ...
    def restoreGeometry(self, geometry: QByteArray) -> bool: ...
    def showFullScreen(self) -> None: ...
    def showNormal(self) -> None: ...


class Presentation:
    """Applies and undoes the look; keeps the previous round on screen between loops."""

    def __init__(self, window: PresentationHost) -> None:
        self.window = window
        self.active = False
        self._was_state = Qt.WindowState.WindowNoState
        self._was_geometry = window.saveGeometry()
        self._previous: list[RunTrace] = []
        self._last_values: CardValues | None = None
        self._round: set[str] = set()  # run ids of the round going now

    # ---- the look ----------------------------------------------------------------
    def apply_theme(self, dark: bool) -> None:
        """The user's theme (or the presentation look while active) on app, plots and tabs."""
        w = self.window
        dark_now = dark or self.active
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, dark_now, presenting=self.active)
        w.plots.set_dark(dark_now)
        w.workspace.set_dark(dark_now)

    def set_active(self, on: bool) -> None:
        """Enter (True) or leave (False) the look; the demo controller calls this."""
        w = self.window
        if on == self.active:
            return
        if on:
            self._was_state = w.windowState()
            self._was_geometry = w.saveGeometry()
        self.active = on
        self.apply_theme(w.dark)
        w.sidebar.setVisible(not on)
        w.statusBar().setVisible(not on)
        w.banner.dismiss()
        w.workspace.set_demo(on)
        w.live.set_presenting(on)
        self._previous, self._last_values, self._round = [], None, set()
        if on:
            self._set_title()
            w.live.header.set_headline("Measuring the first round…", "")
            if w.session.results:  # runs finished before: their result until this round's
                self.on_result(list(w.session.results.values()))
            w.showFullScreen()
        else:
            w.plots.set_runs([t for t in w.plots.runs if not t.previous])
            w.showNormal()
            w.restoreGeometry(self._was_geometry)
            if self._was_state & (Qt.WindowState.WindowFullScreen | Qt.WindowState.WindowMaximized):
                w.setWindowState(self._was_state)
            self._repolish()
        log.info("presentation %s", "on" if on else "off")

    def _repolish(self) -> None:
        """Re-lay out the sidebar with the normal fonts (presentation's big type must not
        leave a label sized for it, e.g. a cut-off "Workloac")."""
        for widget in self.window.sidebar.findChildren(QWidget):
            widget.style().unpolish(widget)
            widget.style().polish(widget)
            widget.updateGeometry()
        self.window.sidebar.adjustSize()

    def _set_title(self) -> None:
        w = self.window
        name = w.controls.model_title() or "Horsepower"
        devices = ", ".join(w.picker.selected_ids()) or "the ticked devices"
        w.live.header.set_title(f"Horsepower · {name}", f"{w.controls.size_words()} · "
                                f"{w.controls.precision.currentText()} · on {devices}")

    # ---- rounds --------------------------------------------------------------------
    def keep_previous(self, traces: Sequence[RunTrace]) -> None:
        """A new round starts: keep ``traces`` (the last round) on screen until it measures."""
        w = self.window
        keep = {t.run_id for t in traces if not t.previous}
        for run_id in w.store.run_ids():
            if run_id not in keep and run_id != sk.MACHINE:
                w.store.drop_run(run_id)
        self._previous = [replace(t, previous=True) for t in traces if t.run_id in keep]
        self._round = set()
        w.plots.set_runs(self._previous)

    def round_started(self, run_id: str) -> None:
        self._round.add(run_id)

    def tick(self) -> None:
        """Drop the last round once every new run measures live figures."""
        if not self.active or not self._previous:
            return
        w = self.window
        old = {t.run_id for t in self._previous}
        new = [t for t in w.plots.runs if t.run_id not in old]
        if new and all(w.store.scalar(t.run_id, sk.LIVE) is not None for t in new):
            for run_id in old:
                w.store.drop_run(run_id)
            w.plots.set_runs(new)
            w.plots.run_plots.show_final(None)
            self._previous = []

    def card_values(self, values: CardValues | None) -> CardValues | None:
        """While presenting, a round that has not measured yet shows the last result, and a
        repeat of an earlier round is not a comparison worth a card (its spread is noise
        between rounds): the card shows the baseline instead."""
        if not self.active:
            return values
        if values is not None and values.speedup_kind in ("repeat", "baseline") and self.cpu_only():
            values = self._figure_instead(values)
        elif values is not None and values.speedup_kind == "repeat":
            values = replace(values, speedup_kind="baseline", spread=None,
                             speedup_label="baseline for the other devices")
        if values is not None and (not values.live or not values.warming_up):
            self._last_values = values
            return values
        return self._last_values or values

    def cpu_only(self) -> bool:
        """True when the machine offers no usable device but the CPU (nothing to compare with)."""
        devices = self.window.picker.devices
        return bool(devices) and all(d.kind == "cpu" for d in devices if d.available)

    @staticmethod
    def _figure_instead(values: CardValues) -> CardValues:
        """The comparison slot on a CPU-only machine: a true figure of the run (the engine's
        ``slot_figure``: samples per joule, else MFU), never "baseline" for devices there are not."""
        from gui.viewmodel.card_values import FIGURE, NA_NOTHING_TO_COMPARE
        from profiler.metrics.slot_figure import slot_figure

        figure = slot_figure(values.samples_per_j, values.mfu, values.mfu_ceiling, values.sample_unit)
        na = {**values.na, "speedup": NA_NOTHING_TO_COMPARE if figure is None else ""}
        return replace(values, speedup_kind=FIGURE, spread=None, slot=figure, na=na)

    def on_result(self, results: list[dict[str, Any]]) -> None:
        """A run finished: the headline of this round's runs once they all finished (the last
        round's headline stays until then)."""
        if not self.active:
            return
        done = {str(r.get("run_id")) for r in results}
        if self._round and not self._round <= done:
            return  # the round is still going
        results = [r for r in results if str(r.get("run_id")) in self._round] or results
        from profiler.analysis.headline import headline
        from profiler.analysis.prices import PricesError, load_prices

        try:
            prices = load_prices()
        except PricesError:
            prices = None
        line = headline(results, prices, plain=True)  # an audience: the model in words, not "mlp-S"
        if line is not None:
            self.window.live.header.set_headline(line.sentence, line.basis)
