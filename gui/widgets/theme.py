"""Colours per device, light/dark styles, and formatting of numbers. GUI thread only."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

log = logging.getLogger(__name__)

# One hue family per device kind; index within the kind for cuda:1, cuda:2...
_KIND_COLOURS: dict[str, tuple[str, ...]] = {
    "cpu": ("#3B82F6", "#60A5FA"),
    "cuda": ("#22A06B", "#F59E0B", "#E5484D", "#14B8A6", "#A855F7", "#EC4899", "#84CC16", "#F97316"),
    "mps": ("#8B5CF6",),
    "xpu": ("#0EA5E9", "#06B6D4"),
}
_FALLBACK = ("#64748B", "#D946EF", "#EAB308")

WARNING_COLOUR = "#B45309"  # amber: results the engine flagged (noisy, few steps)
ERROR_COLOUR = "#DC2626"  # red: a figure the engine says is wrong (an MFU above the hardware peak)

PLOT_BG = {"light": "#FFFFFF", "dark": "#111827"}
PLOT_FG = {"light": "#374151", "dark": "#D1D5DB"}


def device_colour(device_id: str) -> str:
    """The colour that stands for ``device_id`` in every plot, card and table row."""
    kind, _, index = device_id.partition(":")
    palette = _KIND_COLOURS.get(kind, _FALLBACK)
    i = int(index) if index.isdigit() else 0
    return palette[i % len(palette)]


def colour_icon(colour: str, size: int = 12) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(QColor(colour))
    return QIcon(pix)


def resource(name: str) -> Traversable | None:
    """A file shipped in the ``resources`` package, or None when it is missing.

    Falls back to the package's plain directories when ``importlib.resources`` cannot
    traverse it (an editable install made before ``resources/__init__.py`` existed).
    """
    try:
        path = resources.files("resources").joinpath(name)
        if path.is_file():
            return path
    except (ModuleNotFoundError, OSError):
        pass
    try:
        import resources as package
    except ImportError:
        return None
    for entry in getattr(package, "__path__", []):
        candidate = Path(entry) / name
        if candidate.is_file():
            return candidate
    return None


def load_stylesheet(dark: bool = False, presenting: bool = False) -> str:
    """The light or dark theme; presentation adds its large type on top. ``@RES@`` in a
    stylesheet names the resources folder (the dark theme's arrow images)."""
    names = ["style_dark.qss" if dark else "style.qss"] + (["presentation.qss"] if presenting else [])
    parts = []
    for name in names:
        path = resource(name)
        if path is None:
            log.warning("style %s not found; using Qt's default look", name)
            continue
        folder = Path(str(path)).parent.as_posix()
        parts.append(path.read_text(encoding="utf-8").replace("@RES@", folder))
    return "\n".join(parts)


def app_icon() -> QIcon:
    """The packaging engineer's icon (resources/horsepower.svg or icons/*.png), if present."""
    icon = QIcon()
    for name in ("icons/horsepower-256.png", "icons/horsepower-64.png",
                 "icons/horsepower-32.png", "icons/horsepower-16.png"):
        path = resource(name)
        if path is not None:
            icon.addFile(str(path))
    if icon.isNull():
        log.warning("app icon not found")
    return icon


def apply_theme(app: QApplication, dark: bool, presenting: bool = False) -> None:
    app.setStyleSheet(load_stylesheet(dark, presenting))


def style_plot(widget: pg.PlotWidget, dark: bool) -> None:
    """Give a pyqtgraph plot the window's light or dark plot colours."""
    mode = "dark" if dark else "light"
    widget.setBackground(PLOT_BG[mode])
    item = widget.getPlotItem()
    for axis in ("left", "bottom"):
        ax = item.getAxis(axis)
        ax.setPen(PLOT_FG[mode])
        ax.setTextPen(PLOT_FG[mode])
    item.showGrid(x=True, y=True, alpha=0.15)
    if item.legend is not None:
        item.legend.setLabelTextColor(PLOT_FG[mode])
    title = item.titleLabel.text
    if title:
        item.setTitle(title, color=PLOT_FG[mode])
