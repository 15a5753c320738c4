"""Live plots that pull store snapshots on a timer: cheap paints, static axes. GUI thread.

Measured on 2-core machines: axis and tick redraws are most of a plot's paint cost, and an
auto-ranging rolling axis paints every widget twice per frame. So axes here are static and
re-ranged only in coarse steps (the time axis is seconds since each run started, so overlaid
runs line up), there is no grid (alpha-blended grid lines made each paint 10-20x slower),
pens are width 1 without antialiasing, curves clip to the view and downsample, and
``setData`` is called once per changed curve per tick.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from gui.widgets.metric_help import tip
from gui.widgets.theme import PLOT_BG, PLOT_FG, device_colour
from profiler.metrics import keys

if TYPE_CHECKING:
    from gui.viewmodel.series_store import SeriesStore

pg.setConfigOptions(antialias=False, useOpenGL=False, foreground=PLOT_FG["light"])

GIB = float(2**30)
TITLE_SIZE = "10pt"
PREPARE_ALLOWANCE_S = 10.0  # model build, peak probe and warm-up before the timed window
IDLE_HINT = (
    "<p style='font-size:13pt'><b>Nothing measured yet</b></p>"
    "<p>Tick a device, pick a workload and press <b>Start</b> (F5).<br>"
    "Throughput, step time, loss, utilization and memory stream in here live,<br>"
    "and the cards above show samples/s, FLOP/s and MFU as the run goes.</p>"
)


@dataclass(frozen=True)
class RunTrace:
    """A run shown in the plots."""

    run_id: str
    device: str
    label: str


@dataclass(frozen=True)
class CurveDef:
    """Which store key a curve draws, its scale and line style."""

    key: Callable[[RunTrace], str | None]
    scale: float = 1.0
    style: Qt.PenStyle = Qt.PenStyle.SolidLine


def nice_ceiling(value: float) -> float:
    """The next 1-2-5 step at or above ``value`` (for coarse, rare re-ranging)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    exp = math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * 10**exp >= value:
            return float(step * 10**exp)
    return float(10 ** (exp + 1))


TIME_STEPS = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_time_ceiling(seconds: float) -> float:
    """The next round length at or above ``seconds`` (finer than 1-2-5, so a 20 s run with
    its preparation fits a 30 s axis rather than a half-empty 50 s one)."""
    if seconds <= 0 or not math.isfinite(seconds):
        return 1.0
    exp = 10 ** math.floor(math.log10(seconds))
    return next(float(step * exp) for step in TIME_STEPS if step * exp >= seconds - 1e-9)


class TimedPlotWidget(pg.PlotWidget):
    """A PlotWidget that reports each paint's duration (ms) to ``on_paint``."""

    def __init__(self, on_paint: Callable[[float], None], **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._on_paint = on_paint

    def paintEvent(self, ev):
        start = time.perf_counter()
        super().paintEvent(ev)
        self._on_paint((time.perf_counter() - start) * 1e3)


def _device_key(name: str) -> Callable[[RunTrace], str | None]:
    return lambda r: None if r.device == "cpu" else keys.key(r.device, name)


HOST_CPU, HOST_RSS, HOST_CORES = keys.host("cpu_util_percent"), keys.host("process_rss_bytes"), \
    keys.host("cpu_per_core_percent")


PLOTS: dict[str, tuple[str, str, str, float | None, list[CurveDef]]] = {
    # name: (title, y unit label, tooltip metric, fixed y max or None, curves)
    "util": ("Utilization", "%", "cpu_util", 100.0, [
        CurveDef(lambda r: HOST_CPU if r.device == "cpu" else None),
        CurveDef(_device_key("util_percent")),
        CurveDef(lambda r: None if r.device == "cpu" else HOST_CPU, style=Qt.PenStyle.DotLine),
    ]),
    "memory": ("Memory", "GiB", "rss", None, [
        CurveDef(lambda r: HOST_RSS, 1 / GIB, Qt.PenStyle.SolidLine),
        CurveDef(_device_key("alloc_bytes"), 1 / GIB, Qt.PenStyle.DashLine),
        CurveDef(_device_key("reserved_bytes"), 1 / GIB, Qt.PenStyle.DotLine),
    ]),
    "throughput": ("Samples/s", "samples/s", "samples_per_s", None,
                   [CurveDef(lambda r: keys.run("samples_per_s"))]),
    "step_time": ("Step time", "ms", "step_time", None, [CurveDef(lambda r: keys.run("step_time_ms"))]),
    "loss": ("Loss", "", "loss", None, [CurveDef(lambda r: keys.run("loss"))]),
}

PLOT_NOTES = {
    "util": "solid: device busy · dotted: host CPU (GPU runs)",
    "memory": "solid: worker RSS · dashed: allocated · dotted: reserved",
}


class LivePlots(QWidget):
    """Five time plots plus a per-core CPU bar chart. ``refresh`` is called by a timer."""

    def __init__(self, store: SeriesStore, on_paint: Callable[[float], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.runs: list[RunTrace] = []
        self._plots: dict[str, pg.PlotItem] = {}
        self._widgets: list[TimedPlotWidget] = []
        self._curves: dict[tuple[str, str, int], pg.PlotDataItem] = {}
        self._versions: dict[tuple[str, str, int], int] = {}
        self._x_max = 30.0
        self._y_max: dict[str, float] = {}
        self._cores_run: str | None = None
        self._titles: dict[str, str] = {}
        self._last_cores: tuple[float, ...] = ()
        self.hint = QLabel(IDLE_HINT, self, objectName="plotHint")
        self.hint.setTextFormat(Qt.TextFormat.RichText)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.legend = QLabel("", self, objectName="legendLabel")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        grid = QGridLayout()
        grid.setSpacing(6)
        for i, name in enumerate(PLOTS):
            grid.addWidget(self._make_plot(name, on_paint), i // 3, i % 3)
        grid.addWidget(self._make_cores(on_paint), 1, 2)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.legend)
        outer.addLayout(grid)
        self.hint.raise_()
        self.legend.hide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_hint()

    def _place_hint(self) -> None:
        self.hint.adjustSize()
        x = max(0, (self.width() - self.hint.width()) // 2)
        y = max(0, (self.height() - self.hint.height()) // 2)
        self.hint.move(x, y)

    def _new_widget(self, on_paint: Callable[[float], None]) -> TimedPlotWidget:
        widget = TimedPlotWidget(on_paint, background=PLOT_BG["light"])
        widget.setMinimumHeight(150)
        item = widget.getPlotItem()
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        item.setMenuEnabled(False)
        # No grid: alpha-blended grid lines cost 8-15 ms per paint here vs 0.4-0.6 ms without.
        self._widgets.append(widget)
        return widget

    def _make_plot(self, name: str, on_paint: Callable[[float], None]) -> TimedPlotWidget:
        title, unit, metric, y_fixed, _ = PLOTS[name]
        widget = self._new_widget(on_paint)
        item = widget.getPlotItem()
        self._titles[name] = title
        item.setTitle(title, size=TITLE_SIZE, color=PLOT_FG["light"])
        item.setLabel("bottom", "s since run start")
        item.setLabel("left", unit)
        item.disableAutoRange()
        self._set_x(item)
        self._y_max[name] = y_fixed or 1.0
        item.setYRange(0, self._y_max[name], padding=0.02)
        widget.setToolTip(tip(metric) + (f"\n{PLOT_NOTES[name]}" if name in PLOT_NOTES else ""))
        self._plots[name] = item
        return widget

    def _make_cores(self, on_paint: Callable[[float], None]) -> TimedPlotWidget:
        widget = self._new_widget(on_paint)
        item = widget.getPlotItem()
        self._titles["cores"] = "CPU per core (now)"
        item.setTitle(self._titles["cores"], size=TITLE_SIZE, color=PLOT_FG["light"])
        item.setLabel("left", "%")
        item.setLabel("bottom", "logical core")
        item.disableAutoRange()
        item.setYRange(0, 100, padding=0.02)
        self._bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=device_colour("cpu"))
        item.addItem(self._bars)
        item.getAxis("bottom").setTicks([[]])  # no fractional core numbers before the first reading
        widget.setToolTip(tip("per_core"))
        self._plots["cores"] = item
        return widget

    # ---- run list -------------------------------------------------------------------
    def expect_duration(self, seconds: float) -> None:
        """Size the time axis for a run of about ``seconds`` (plus preparation and warm-up)."""
        self.hint.hide()  # a run is coming: the idle hint has served its purpose
        self._x_max = nice_time_ceiling(seconds + PREPARE_ALLOWANCE_S)
        for name in PLOTS:
            self._set_x(self._plots[name])

    def _set_x(self, item: pg.PlotItem) -> None:
        """Time axis 0.._x_max with fixed 1-2-5 tick steps (about 6 labels), so every plot
        shows the same ticks and pyqtgraph does not re-derive them on each paint."""
        item.setXRange(0, self._x_max, padding=0)
        major = nice_ceiling(self._x_max / 6)
        item.getAxis("bottom").setTickSpacing(levels=[(major, 0.0)])  # one level: no minor labels

    def set_runs(self, runs: Sequence[RunTrace]) -> None:
        """Show exactly ``runs`` (overlaid); curves of other runs are removed."""
        keep = {r.run_id for r in runs}
        for key in [k for k in self._curves if k[0] not in keep]:
            self._plots[key[1]].removeItem(self._curves.pop(key))
            self._versions.pop(key, None)
        self.runs = list(runs)
        if runs:
            self.hint.hide()
        if not runs:
            self._x_max = 30.0
            for name, (_, _, _, y_fixed, _) in PLOTS.items():
                self._y_max[name] = y_fixed or 1.0
                self._plots[name].setYRange(0, self._y_max[name], padding=0.02)
                self._set_x(self._plots[name])
            self._bars.setOpts(x=[], height=[])
            self._plots["cores"].getAxis("bottom").setTicks([[]])
            self._cores_run = None
        self.legend.setText("   ".join(
            f'<span style="color:{device_colour(r.device)}">&#9632;</span> {r.label}' for r in runs
        ))
        self.legend.setVisible(bool(runs))

    def set_dark(self, dark: bool) -> None:
        mode = "dark" if dark else "light"
        for name, item in self._plots.items():
            item.setTitle(self._titles[name], size=TITLE_SIZE, color=PLOT_FG[mode])
        for widget in self._widgets:
            widget.setBackground(PLOT_BG[mode])
            for axis in ("left", "bottom"):
                ax = widget.getPlotItem().getAxis(axis)
                ax.setPen(PLOT_FG[mode])
                ax.setTextPen(PLOT_FG[mode])

    # ---- timer tick -----------------------------------------------------------------
    def refresh(self) -> int:
        """Pull changed series from the store into the curves; returns curves updated."""
        updated = 0
        t_max = 0.0
        for run in self.runs:
            for name, (_, _, _, _, curves) in PLOTS.items():
                for i, cdef in enumerate(curves):
                    key = cdef.key(run)
                    if key is None:
                        continue
                    n, t_last = self._update_curve(run, name, i, cdef, key)
                    updated += n
                    t_max = max(t_max, t_last)
        self._update_cores()
        self._rerange_x(t_max)
        return updated

    def _update_curve(self, run: RunTrace, name: str, index: int, cdef: CurveDef,
                      key: str) -> tuple[int, float]:
        ck = (run.run_id, name, index)
        version = self.store.version(run.run_id, key)
        if version == 0 or self._versions.get(ck) == version:
            return 0, 0.0
        t, v, version = self.store.snapshot(run.run_id, key)
        if cdef.scale != 1.0:
            v = v * cdef.scale
        curve = self._curves.get(ck)
        if curve is None:
            curve = self._make_curve(run, name, cdef)
            self._curves[ck] = curve
        curve.setData(t, v, skipFiniteCheck=True)
        self._versions[ck] = version
        self._rerange_y(name, v)
        return 1, float(t[-1]) if len(t) else 0.0

    def _make_curve(self, run: RunTrace, name: str, cdef: CurveDef) -> pg.PlotDataItem:
        pen = pg.mkPen(device_colour(run.device), width=1, style=cdef.style)
        curve = pg.PlotDataItem(pen=pen, name=run.label)
        curve.setClipToView(True)
        curve.setDownsampling(auto=True, method="peak")
        self._plots[name].addItem(curve)
        return curve

    def _rerange_y(self, name: str, values: np.ndarray) -> None:
        if PLOTS[name][3] is not None or not len(values):
            return
        top = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
        if top > self._y_max[name]:
            self._y_max[name] = nice_ceiling(top * 1.1)
            self._plots[name].setYRange(0, self._y_max[name], padding=0.02)

    def _rerange_x(self, t_max: float) -> None:
        if t_max <= self._x_max:
            return
        while self._x_max < t_max:
            self._x_max = nice_time_ceiling(self._x_max * 1.5)
        for name in PLOTS:
            self._set_x(self._plots[name])

    def _update_cores(self) -> None:
        for run in reversed(self.runs):
            cores = self.store.vector(run.run_id, HOST_CORES)
            if cores is self._last_cores:
                return
            if cores:
                self._last_cores = cores
                n = len(cores)
                if self._cores_run != run.run_id or len(self._bars.opts.get("x", [])) != n:
                    item = self._plots["cores"]
                    item.setXRange(-0.6, n - 0.4, padding=0)
                    every = max(1, n // 16)  # integer core numbers, at most ~16 labels
                    item.getAxis("bottom").setTicks([[(i, str(i)) for i in range(0, n, every)]])
                    self._cores_run = run.run_id
                self._bars.setOpts(x=np.arange(n), height=np.nan_to_num(cores), width=0.8)
                return

    def curve_points(self) -> dict[str, int]:
        """Points currently drawn per plot (tests and benches read this)."""
        counts: dict[str, int] = {}
        for (_, name, _), curve in self._curves.items():
            x, _ = curve.getData()
            counts[name] = counts.get(name, 0) + (0 if x is None else len(x))
        return counts
