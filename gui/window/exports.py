"""Saving what the window shows: PNGs of a whole view, the comparison as HTML or CSV. GUI thread.

Every file dialog goes through ``ask_save_path`` so tests can replace it (a modal dialog
would block them). A PNG is the whole view rendered at twice its on-screen size under a
header with its title, the date and the machine (pyqtgraph's SVG export is broken on
current Qt; rendering through ``QWidget.render`` keeps text and lines sharp at 2x).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QFileDialog, QWidget

log = logging.getLogger(__name__)



def ask_save_path(parent: QWidget | None, title: str, suggested: str, file_filter: str) -> str:
    """Ask where to save; '' when cancelled. Tests monkeypatch this."""
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, file_filter)
    return path


def default_dir() -> str:
    """Where save dialogs start: the user's Pictures or home directory."""
    home = Path.home()
    pictures = home / "Pictures"
    return str(pictures if pictures.is_dir() else home)


EXPORT_SCALE = 2
HEADER_PX = 58
PNG_COLOURS = {False: ("#FFFFFF", "#111827", "#6B7280"), True: ("#0B1220", "#F9FAFB", "#9CA3AF")}


def render_view(widget: QWidget, title: str, subtitle: str, dark: bool = False,
                scale: int = EXPORT_SCALE) -> QImage:
    """``widget`` as shown, under a header (``title``; ``subtitle`` such as the date and the
    machine), at ``scale`` times its size."""
    bg, ink, muted = PNG_COLOURS[dark]
    size = widget.size()
    image = QImage(size.width() * scale, (size.height() + HEADER_PX) * scale, QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(scale)
    image.fill(QColor(bg))
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        font = QFont(widget.font())
        font.setPointSizeF(15)
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        painter.setPen(QColor(ink))
        painter.drawText(QRect(16, 6, size.width() - 32, 28), int(Qt.AlignmentFlag.AlignVCenter), title)
        font.setPointSizeF(9.5)
        font.setWeight(QFont.Weight.Normal)
        painter.setFont(font)
        painter.setPen(QColor(muted))
        painter.drawText(QRect(16, 32, size.width() - 32, 20), int(Qt.AlignmentFlag.AlignVCenter), subtitle)
        widget.render(painter, QPoint(0, HEADER_PX))
    finally:
        painter.end()
    return image


def save_png(widget: QWidget, path: str | os.PathLike[str], title: str = "Horsepower", subtitle: str = "",
             dark: bool = False) -> Path:
    """Write ``render_view`` of ``widget`` as a PNG file."""
    target = Path(path)
    if not render_view(widget, title, subtitle, dark).save(str(target), "PNG"):
        raise OSError(f"could not write PNG to {target}")
    return target


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` through a temporary file, so a failed save leaves no half file."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target


def runs_csv(runs: list[dict[str, object]], baseline: str | None = None, prices: object = None) -> str:
    """The tidy CSV of ``runs`` (one row per run, one column per metric: the engine's)."""
    from profiler.reports.tidy_csv import runs_csv as tidy

    return tidy(runs, baseline, prices)  # type: ignore[arg-type]
