"""Shared parts of the live plots: a timed plot widget, cheap pens, coarse axis steps. GUI thread.

Measured on 2-core machines: axis and tick redraws are most of a plot's paint cost, and an
auto-ranging rolling axis paints every widget twice per frame. So axes here are static and
re-ranged only in coarse steps, there is no grid (alpha-blended grid lines made each paint
10-20x slower), pens have no antialiasing, curves clip to the view and downsample, and
``setData`` is called once per changed curve per tick. Presentation mode only thickens
pens and enlarges text.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from gui.widgets.theme import PLOT_BG, PLOT_FG

pg.setConfigOptions(antialias=False, useOpenGL=False, foreground=PLOT_FG["light"])

GIB = float(2**30)
TITLE_PT = {False: 10, True: 17}
TICK_PT = {False: 8, True: 13}
PEN_WIDTH = {False: 1, True: 3}
TIME_STEPS = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


PREVIOUS_COLOUR = "#6B7280"


@dataclass(frozen=True)
class RunTrace:
    """A run shown in the plots: its id, device (its colour) and label (its legend).
    ``previous``: the last round of a presentation loop, kept (greyed) until the next measures."""

    run_id: str
    device: str
    label: str
    previous: bool = False

    @property
    def colour(self) -> str:
        from gui.widgets.theme import device_colour

        return PREVIOUS_COLOUR if self.previous else device_colour(self.device)


def nice_ceiling(value: float) -> float:
    """The next 1-2-5 step at or above ``value`` (for coarse, rare re-ranging)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    exp = math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * 10**exp >= value:
            return float(step * 10**exp)
    return float(10 ** (exp + 1))


def fine_ceiling(value: float) -> float:
    """The next 1-1.5-2-3-4-5-6-8 step at or above ``value``: a y axis that data fills."""
    return nice_time_ceiling(value)


def nice_time_ceiling(seconds: float) -> float:
    """The next round length at or above ``seconds`` (finer than 1-2-5, so a 20 s run with
    its preparation fits a 30 s axis rather than a half-empty 50 s one)."""
    if seconds <= 0 or not math.isfinite(seconds):
        return 1.0
    exp = 10 ** math.floor(math.log10(seconds))
    return next(float(step * exp) for step in TIME_STEPS if step * exp >= seconds - 1e-9)


class PageChart(pg.PlotWidget):
    """A chart inside a page that scrolls: the mouse wheel scrolls the page, never zooms the
    chart (a wheel over a chart used to zoom it out of its axes); dragging does not pan it."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.getPlotItem().setMouseEnabled(x=False, y=False)

    def wheelEvent(self, ev):
        ev.ignore()  # to the scroll area around the page


class TimedPlotWidget(pg.PlotWidget):
    """A PlotWidget that reports each paint's duration (ms) to ``on_paint``."""

    def __init__(self, on_paint: Callable[[float], None], **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._on_paint = on_paint

    def paintEvent(self, ev):
        start = time.perf_counter()
        super().paintEvent(ev)
        self._on_paint((time.perf_counter() - start) * 1e3)


def new_plot(on_paint: Callable[[float], None], title: str, y_unit: str, x_label: str) -> TimedPlotWidget:
    """A static-axis plot: no mouse, no menu, no buttons, no grid."""
    widget = TimedPlotWidget(on_paint, background=PLOT_BG["light"])
    widget.setMinimumHeight(140)
    item = widget.getPlotItem()
    item.setMouseEnabled(x=False, y=False)
    item.hideButtons()
    item.setMenuEnabled(False)
    item.disableAutoRange()
    item.setTitle(title, size=f"{TITLE_PT[False]}pt", color=PLOT_FG["light"])
    item.setLabel("bottom", x_label)
    item.setLabel("left", y_unit)
    return widget


def fixed_x(item: pg.PlotItem, lo: float, hi: float, ticks: int = 6) -> None:
    """Time axis lo..hi with one fixed 1-2-5 tick level, so pyqtgraph derives no ticks per paint."""
    item.setXRange(lo, hi, padding=0)
    major = nice_ceiling((hi - lo) / ticks)
    item.getAxis("bottom").setTickSpacing(levels=[(major, 0.0)])


def pen(colour: str, presenting: bool, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> object:
    return pg.mkPen(colour, width=PEN_WIDTH[presenting], style=style)


def style_item(widget: pg.PlotWidget, title: str, dark: bool, presenting: bool) -> None:
    """Colours and text sizes of one plot for the theme and the mode."""
    mode = "dark" if dark else "light"
    widget.setBackground(PLOT_BG[mode])
    item = widget.getPlotItem()
    item.setTitle(title, size=f"{TITLE_PT[presenting]}pt", color=PLOT_FG[mode])
    font = QFont()
    font.setPointSize(TICK_PT[presenting])
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(PLOT_FG[mode])
        axis.setTextPen(PLOT_FG[mode])
        axis.setTickFont(font)
        axis.label.setFont(font)
    legend = item.legend
    if legend is not None:
        size = f"{TICK_PT[presenting]}pt"
        legend.setLabelTextColor(PLOT_FG[mode])
        legend.setLabelTextSize(size)
        for _sample, label in legend.items:  # entries made before this call keep their old look
            label.setText(label.text, color=PLOT_FG[mode], size=size)
