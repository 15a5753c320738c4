"""The machine, live: utilization, memory and per-core load over the last minute. GUI thread.

Like Task Manager, these plots stream whether or not a run is going: the machine-wide
lines come from the engine's ``MachineMonitor`` (series of the pseudo-run ``machine``);
while runs are shown, each run's own process sits next to them in its device colour (its
series mapped onto the machine clock by the offset the event ingest recorded). The time
axis is fixed at the last ``WINDOW_S`` seconds; curves are re-set only when new machine
readings arrived (1-2 Hz), never per paint.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from gui.viewmodel import series_keys as sk
from gui.widgets.metric_help import tip
from gui.widgets.plot_kit import GIB, RunTrace, TimedPlotWidget, fine_ceiling, new_plot, pen, style_item
from gui.widgets.theme import device_colour
from profiler import units
from profiler.metrics import keys

if TYPE_CHECKING:
    from gui.viewmodel.series_store import SeriesStore

MACHINE = sk.MACHINE
WINDOW_S = 60.0
MACHINE_COLOUR = "#6B7280"
X_TICKS = [[(-60.0, "60 s ago"), (-45.0, "45"), (-30.0, "30"), (-15.0, "15"), (0.0, "now")]]
X_RANGE = (-WINDOW_S - 8.0, 4.0)  # room for the edge labels
TITLES = {"util": "Utilization · last minute", "memory": "Memory · last minute",
          "cores": "CPU per core · now"}
DASH, DOT, SOLID = Qt.PenStyle.DashLine, Qt.PenStyle.DotLine, Qt.PenStyle.SolidLine


@dataclass(frozen=True)
class Line:
    """One curve: which series (run id, key), where, its legend text and look."""

    run_id: str
    key: str
    plot: str
    label: str
    colour: str
    style: Qt.PenStyle = SOLID
    scale: float = 1.0


def machine_lines(accelerators: Sequence[str], ram_label: str = "machine RAM used") -> list[Line]:
    """The machine-wide curves: CPU and RAM, and utilization and memory of each accelerator."""
    lines = [Line(MACHINE, keys.host("cpu_util_percent"), "util", "machine CPU", MACHINE_COLOUR),
             Line(MACHINE, keys.host("ram_used_bytes"), "memory", ram_label, MACHINE_COLOUR,
                  scale=1 / GIB)]
    for device in accelerators:
        colour = device_colour(device)
        lines.append(Line(MACHINE, keys.key(device, "util_percent"), "util", f"{device} busy", colour, DASH))
        lines.append(Line(MACHINE, keys.key(device, "mem_used_bytes"), "memory", f"{device} used", colour,
                          DASH, 1 / GIB))
    return lines


def run_lines(run: RunTrace, alone: bool = True) -> list[Line]:
    """A run's own process next to the machine: its CPU share and memory. ``alone``: the
    only run shown (its legend says "this run"; else the run's device)."""
    colour = device_colour(run.device)
    who = "this run" if alone else f"{run.device} run"
    lines = [Line(run.run_id, keys.host("process_cpu_share_percent"), "util", f"{who}'s process", colour),
             Line(run.run_id, keys.host("process_rss_bytes"), "memory", f"{who}'s process", colour,
                  scale=1 / GIB)]
    if run.device != "cpu":
        lines.append(Line(run.run_id, keys.key(run.device, "alloc_bytes"), "memory",
                          f"{who}'s {run.device} tensors", colour, DOT, 1 / GIB))
    return lines


class MachinePlots:
    """Utilization, memory and per-core widgets; ``refresh`` pulls from ``store``."""

    def __init__(self, store: SeriesStore, now_s: Callable[[], float],
                 on_paint: Callable[[float], None]) -> None:
        self.store = store
        self.now_s = now_s
        self.presenting = False
        self.dark = False
        self.widgets: dict[str, TimedPlotWidget] = {}
        self._curves: dict[tuple[str, str, str, str], pg.PlotDataItem] = {}
        self._lines: list[Line] = []
        self._runs: list[RunTrace] = []
        self._accelerators: tuple[str, ...] = ()
        self._seen: tuple[int, tuple[str, ...]] = (-1, ())
        self._mem_top = 1.0
        self._ram_label = "machine RAM used"
        for name, unit in (("util", "%"), ("memory", "GiB")):
            widget = new_plot(on_paint, TITLES[name], unit, "")
            item = widget.getPlotItem()
            item.setXRange(*X_RANGE, padding=0)
            item.getAxis("bottom").setTicks(X_TICKS)
            item.setYRange(0, 100 if name == "util" else 1.0, padding=0.02)
            item.addLegend(offset=(6, 4), labelTextSize="8pt", verSpacing=-6)
            self.widgets[name] = widget
        self.widgets["util"].setToolTip(tip("cpu_util") + "\n" + tip("process_share"))
        self.widgets["memory"].setToolTip(tip("machine_memory"))
        cores = new_plot(on_paint, TITLES["cores"], "%", "logical core")
        cores.getPlotItem().setYRange(0, 100, padding=0.02)
        cores.getPlotItem().getAxis("bottom").setTicks([[]])
        cores.setToolTip(tip("per_core"))
        self._bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=device_colour("cpu"))
        cores.getPlotItem().addItem(self._bars)
        self.widgets["cores"] = cores
        self._cores: tuple[float, ...] = ()
        self._rebuild()

    # ---- what is drawn ---------------------------------------------------------------
    def set_runs(self, runs: Sequence[RunTrace]) -> None:
        """Put these runs' processes beside the machine (a kept previous round is left out)."""
        self._runs = [r for r in runs if not r.previous]
        self._rebuild()

    def _accelerators_seen(self) -> tuple[str, ...]:
        found = {keys.split(k)[0] for k in self.store.keys(MACHINE)}
        return tuple(sorted(d for d in found if d != keys.HOST))

    def _rebuild(self) -> None:
        alone = len(self._runs) == 1
        lines = machine_lines(self._accelerators, self._ram_label) + \
            [ln for r in self._runs for ln in run_lines(r, alone)]
        wanted = {(ln.run_id, ln.key, ln.plot, ln.label) for ln in lines}
        for ck in [k for k in self._curves if k not in wanted]:
            self.widgets[ck[2]].getPlotItem().removeItem(self._curves.pop(ck))
        for ln in lines:
            ck = (ln.run_id, ln.key, ln.plot, ln.label)
            if ck not in self._curves:
                curve = pg.PlotDataItem(pen=pen(ln.colour, self.presenting, ln.style), name=ln.label)
                curve.setClipToView(True)
                self.widgets[ln.plot].getPlotItem().addItem(curve)
                self._curves[ck] = curve
        self._lines = lines
        self._seen = (-1, ())

    def set_presenting(self, on: bool) -> None:
        self.presenting = on
        for ln in self._lines:
            self._curves[(ln.run_id, ln.key, ln.plot, ln.label)].setPen(pen(ln.colour, on, ln.style))
        self.restyle()

    def set_dark(self, dark: bool) -> None:
        self.dark = dark
        self.restyle()

    def restyle(self) -> None:
        for name, widget in self.widgets.items():
            style_item(widget, TITLES[name], self.dark, self.presenting)

    # ---- the timer tick --------------------------------------------------------------
    def refresh(self) -> int:
        """Re-set the rolling curves when new machine readings arrived; returns curves set."""
        accelerators = self._accelerators_seen()
        if accelerators != self._accelerators:
            self._accelerators = accelerators
            self._rebuild()
        version = self.store.version(MACHINE, keys.host("cpu_util_percent"))
        self._update_cores()
        state = (version, tuple(r.run_id for r in self._runs))
        if state == self._seen:
            return 0
        self._seen = state
        now = self.now_s()
        updated = 0
        for ln in self._lines:
            offset = 0.0 if ln.run_id == MACHINE else self.store.scalar(ln.run_id, sk.CLOCK_OFFSET)
            if not isinstance(offset, float):
                continue
            t, v, _ = self.store.snapshot(ln.run_id, ln.key)
            x = t + offset - now
            keep = x >= -WINDOW_S - 1.0
            self._curves[(ln.run_id, ln.key, ln.plot, ln.label)].setData(x[keep], v[keep] * ln.scale,
                                                                         skipFiniteCheck=True)
            updated += 1
        self._range_memory()
        return updated

    def _range_memory(self) -> None:
        """A y axis the memory curves fill (re-ranged in coarse steps); the machine's total
        RAM is said in the title, as Task Manager says it beside its graph."""
        top = fine_ceiling(self._memory_max() * 1.25)
        if top > self._mem_top or top < self._mem_top / 3:
            self._mem_top = top
            self.widgets["memory"].getPlotItem().setYRange(0, top, padding=0.02)
        total = self.store.last(MACHINE, keys.host("ram_total_bytes"))
        label = f"machine RAM used (of {units.nbytes(total)})" if total else "machine RAM used"
        if label != self._ram_label:
            self._ram_label = label
            self._rebuild()

    def _memory_max(self) -> float:
        """The highest memory curve point now (GiB); used when the machine's total is unknown."""
        tops = [float(np.nanmax(y)) for (_, _, plot, _), c in self._curves.items() if plot == "memory"
                for y in (c.getData()[1],) if y is not None and len(y) and np.isfinite(y).any()]
        return max(tops, default=0.0)

    def _update_cores(self) -> None:
        cores = self.store.vector(MACHINE, keys.host("cpu_per_core_percent"))
        if not cores or cores is self._cores:
            return
        n = len(cores)
        if len(self._cores) != n:
            item = self.widgets["cores"].getPlotItem()
            item.setXRange(-0.6, n - 0.4, padding=0)
            every = max(1, n // 16)  # integer core numbers, at most ~16 labels
            item.getAxis("bottom").setTicks([[(i, str(i)) for i in range(0, n, every)]])
        self._cores = cores
        self._bars.setOpts(x=np.arange(n), height=np.nan_to_num(cores), width=0.8)

    def bar_heights(self) -> list[float]:
        return [float(h) for h in self._bars.opts.get("height", [])]

    def curve_points(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for (_, _, plot, _), curve in self._curves.items():
            x, _ = curve.getData()
            n = 0 if x is None else len(x)
            if n:
                counts[plot] = counts.get(plot, 0) + n
        return counts
