"""The run's own plots: throughput, step time and loss over seconds since the run started.

Runs overlay on one relative time axis. The throughput curve is the engine's live figure
(samples over step time of the last 2 s, ``profiler.metrics.figures.live_figures``), the
same one the cards show, so the title says its window; once a run has finished a dashed
line marks its final figure over the whole timed window, the one the table and the cards
show. The warm-up of the run in focus is shaded and labelled. GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont

from gui.viewmodel import series_keys as sk
from gui.widgets.metric_help import tip
from gui.widgets.plot_kit import (
    TICK_PT,
    RunTrace,
    TimedPlotWidget,
    fine_ceiling,
    fixed_x,
    new_plot,
    nice_time_ceiling,
    pen,
    style_item,
)
from gui.widgets.theme import PLOT_FG, device_colour
from profiler import units
from profiler.metrics import keys

if TYPE_CHECKING:
    from gui.viewmodel.series_store import SeriesStore

PREPARE_ALLOWANCE_S = 10.0  # model build, peak probe and warm-up before the timed window
#: the warm-up shade: amber at 16% over each theme's plot background, pre-blended, because
#: an alpha-blended fill repainted every frame costs more than the curves themselves
WARMUP_FILL = {False: "#FDF0D9", True: "#352D23"}
KEYS = {"throughput": keys.run("samples_per_s"), "step_time": keys.run("step_time_ms"), "loss": keys.run("loss")}
UNITS = {"throughput": "samples/s", "step_time": "ms", "loss": ""}
METRIC = {"throughput": "samples_per_s", "step_time": "step_time", "loss": "loss"}


def throughput_title(unit: str) -> str:
    return f"{unit.capitalize()}/s · last 2 s"


class RunPlots:
    """Three widgets over the runs given to ``set_runs``; ``refresh`` pulls from ``store``."""

    def __init__(self, store: SeriesStore, on_paint: Callable[[float], None]) -> None:
        self.store = store
        self.runs: list[RunTrace] = []
        self.presenting = False
        self.dark = False
        self.unit = "samples"
        self.titles = {"throughput": throughput_title("samples"), "step_time": "Step time",
                       "loss": "Loss (training, synthetic data)"}
        self.widgets: dict[str, TimedPlotWidget] = {}
        self._curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        self._versions: dict[tuple[str, str], int] = {}
        self._y_max: dict[str, float] = {}
        self.x_max = 30.0
        for name in KEYS:
            widget = new_plot(on_paint, self.titles[name], UNITS[name], "s since run start")
            widget.setToolTip(tip(METRIC[name]))
            self.widgets[name] = widget
            self._y_max[name] = 1.0
            widget.getPlotItem().setYRange(0, 1.0, padding=0.02)
            fixed_x(widget.getPlotItem(), 0, self.x_max)
        self.widgets["throughput"].getPlotItem().getAxis("left").enableAutoSIPrefix(False)
        self._warmup = {name: pg.LinearRegionItem((0, 0), movable=False, brush=WARMUP_FILL[False],
                                                  pen=pg.mkPen(None)) for name in KEYS}
        for name, region in self._warmup.items():
            region.setZValue(-10)
            region.hide()
            self.widgets[name].getPlotItem().addItem(region)
        self._warmup_label = pg.TextItem("warm-up (not counted)", color="#B45309", anchor=(0, 0))
        self._warmup_label.hide()
        self.widgets["throughput"].getPlotItem().addItem(self._warmup_label)
        self._warmup_end: float | None = None
        dashed = pg.mkPen("#111827", width=1, style=Qt.PenStyle.DashLine)
        self._final = pg.InfiniteLine(angle=0, movable=False, pen=dashed)
        self._final_label = pg.TextItem("", color="#111827", anchor=(1, 1))
        for item in (self._final, self._final_label):
            item.hide()
            self.widgets["throughput"].getPlotItem().addItem(item)

    # ---- runs ------------------------------------------------------------------------
    def set_runs(self, runs: Sequence[RunTrace]) -> None:
        """Show exactly ``runs`` (overlaid); curves of other runs are removed."""
        keep = {r.run_id for r in runs}
        for ck in [k for k in self._curves if k[0] not in keep]:
            self.widgets[ck[1]].getPlotItem().removeItem(self._curves.pop(ck))
            self._versions.pop(ck, None)
        self.runs = list(runs)
        for (run_id, _name), curve in self._curves.items():  # a kept round turns grey
            trace = next(r for r in runs if r.run_id == run_id)
            curve.setPen(pen(trace.colour, self.presenting))
        if not runs:
            self.x_max = 30.0
            for name, widget in self.widgets.items():
                self._y_max[name] = 1.0
                widget.getPlotItem().setYRange(0, 1.0, padding=0.02)
                fixed_x(widget.getPlotItem(), 0, self.x_max)
            self.show_final(None)
            self._show_warmup(None)

    def expect_duration(self, seconds: float) -> None:
        """Size the time axis for a run of about ``seconds`` (plus preparation and warm-up)."""
        self.x_max = nice_time_ceiling(seconds + PREPARE_ALLOWANCE_S)
        for widget in self.widgets.values():
            fixed_x(widget.getPlotItem(), 0, self.x_max)

    def set_unit(self, unit: str) -> None:
        """Name the throughput in the focus run's sample unit (sequences, samples...)."""
        if unit and unit != self.unit:
            self.unit = unit
            self.titles["throughput"] = throughput_title(unit)
            self.widgets["throughput"].getPlotItem().setLabel("left", f"{unit}/s")
            self.restyle()

    def show_final(self, samples_per_s: float | None, unit: str = "samples") -> None:
        """Mark the finished focus run's figure over its whole timed window (None: hide)."""
        if samples_per_s is None:
            self._final.hide()
            self._final_label.hide()
            return
        self._final.setValue(samples_per_s)
        self._final_label.setText(f"whole timed window: {units.rate(samples_per_s, unit)}")
        self._rerange_y("throughput", np.array([samples_per_s]))
        self._final_label.setPos(self.x_max, samples_per_s)
        self._final.show()
        self._final_label.show()

    # ---- look ------------------------------------------------------------------------
    def set_presenting(self, on: bool) -> None:
        self.presenting = on
        for (run_id, _name), curve in self._curves.items():
            trace = next((r for r in self.runs if r.run_id == run_id), None)
            curve.setPen(pen(trace.colour if trace else device_colour("cpu"), on))
        self.restyle()

    def set_dark(self, dark: bool) -> None:
        self.dark = dark
        self.restyle()

    def restyle(self) -> None:
        mode = "dark" if self.dark else "light"
        for name, widget in self.widgets.items():
            style_item(widget, self.titles[name], self.dark, self.presenting)
        self._final.setPen(pg.mkPen(PLOT_FG[mode], width=1 + self.presenting, style=Qt.PenStyle.DashLine))
        self._final_label.setColor(QColor(PLOT_FG[mode]))
        for region in self._warmup.values():
            region.setBrush(pg.mkBrush(WARMUP_FILL[self.dark]))
        font = QFont()
        font.setPointSize(TICK_PT[self.presenting] + 1)
        for item in (self._final_label, self._warmup_label):
            item.setFont(font)

    # ---- the timer tick --------------------------------------------------------------
    def refresh(self) -> int:
        """Pull changed series into the curves; returns curves updated."""
        updated, t_max = 0, 0.0
        for run in self.runs:
            for name, key in KEYS.items():
                n, t_last = self._update_curve(run, name, key)
                updated += n
                t_max = max(t_max, t_last)
        starts = [self.store.scalar(r.run_id, sk.TIMED_START) for r in reversed(self.runs)]
        start = next((s for s in starts if isinstance(s, float)), None)  # the newest run that has one
        if self.runs:
            self._show_warmup(start)
        self._rerange_x(t_max)
        return updated

    def _update_curve(self, run: RunTrace, name: str, key: str) -> tuple[int, float]:
        ck = (run.run_id, name)
        version = self.store.version(run.run_id, key)
        if version == 0 or self._versions.get(ck) == version:
            return 0, 0.0
        t, v, version = self.store.snapshot(run.run_id, key)
        curve = self._curves.get(ck)
        if curve is None:
            curve = pg.PlotDataItem(pen=pen(run.colour, self.presenting), name=run.label)
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
            self.widgets[name].getPlotItem().addItem(curve)
            self._curves[ck] = curve
        curve.setData(t, v, skipFiniteCheck=True)
        self._versions[ck] = version
        self._rerange_y(name, v)
        return 1, float(t[-1]) if len(t) else 0.0

    def _show_warmup(self, timed_start: float | None) -> None:
        if timed_start == self._warmup_end:
            return
        self._warmup_end = timed_start
        for region in self._warmup.values():
            if timed_start is None or timed_start <= 0:
                region.hide()
            else:
                region.setRegion((0, timed_start))
                region.show()
        if timed_start:
            self._warmup_label.setPos(0.3, self._y_max["throughput"])
            self._warmup_label.show()
        else:
            self._warmup_label.hide()

    def _rerange_y(self, name: str, values: np.ndarray) -> None:
        if not len(values) or not np.isfinite(values).any():
            return
        top = float(np.nanmax(values))
        if top > self._y_max[name]:
            self._y_max[name] = fine_ceiling(top * 1.1)
            self.widgets[name].getPlotItem().setYRange(0, self._y_max[name], padding=0.02)
            if name == "throughput" and self._warmup_end:
                self._warmup_label.setPos(0.3, self._y_max[name])

    def _rerange_x(self, t_max: float) -> None:
        if t_max <= self.x_max:
            return
        while self.x_max < t_max:
            self.x_max = nice_time_ceiling(self.x_max * 1.5)
        for widget in self.widgets.values():
            fixed_x(widget.getPlotItem(), 0, self.x_max)
        self._final_label.setPos(self.x_max, self._final.value())

    def curve_points(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for (_, name), curve in self._curves.items():
            x, _ = curve.getData()
            counts[name] = counts.get(name, 0) + (0 if x is None else len(x))
        return counts

    def last_point(self, run_id: str, name: str = "throughput") -> float | None:
        """The last value drawn on a plot for a run (tests compare it with the cards)."""
        curve = self._curves.get((run_id, name))
        if curve is None:
            return None
        _, y = curve.getData()
        return None if y is None or not len(y) else float(y[-1])
