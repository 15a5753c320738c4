"""The window's size on the screen it opens on: never larger than that screen's available
area (the desktop less panels and docks), so the buttons, the run table and the status bar are
never off-screen. A remembered or given size is checked by ``profiler.numbers`` first, so a
huge or damaged one can neither take gigabytes of pixmaps nor keep the window from opening.
GUI thread.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from profiler import numbers

log = logging.getLogger(__name__)

#: the size a first launch aims for on a large screen (px)
PREFERRED = (1400, 900)
#: share of the available area a first launch takes on a smaller screen
SHARE = 0.92
MIN_SIZE = 200  # px


def fitted_size(wanted: tuple[int, int] | None, available: tuple[int, int]) -> tuple[int, int]:
    """The size to open at: ``wanted`` (a remembered size) or ``PREFERRED`` (a first launch,
    at most ``SHARE`` of the screen), never larger than ``available`` (width, height in px)."""
    aw, ah = max(1, available[0]), max(1, available[1])
    if wanted is None:
        w, h = min(PREFERRED[0], int(aw * SHARE)), min(PREFERRED[1], int(ah * SHARE))
    else:
        w, h = wanted
    return max(1, min(w, aw)), max(1, min(h, ah))


def fit_to_screen(window: QWidget, wanted: tuple[int, int] | None, available: QRect | None = None) -> None:
    """Resize ``window`` (``fitted_size``) and centre it on ``available`` (default: the
    available geometry of the screen it is on)."""
    if available is None:
        screen = window.screen()
        if screen is None:
            window.resize(*(wanted or PREFERRED))
            return
        available = screen.availableGeometry()
    w, h = fitted_size(wanted, (available.width(), available.height()))
    window.resize(w, h)
    window.move(available.x() + (available.width() - w) // 2, available.y() + (available.height() - h) // 2)


def saved_size(value: Any) -> tuple[int, int] | None:
    """A saved ``[width, height]`` when both are whole numbers of pixels in range
    (``profiler.numbers``), else None: a damaged size (1e30, text, a boolean) is ignored."""
    if not isinstance(value, list) or len(value) != 2:
        return None
    try:
        width, height = (numbers.PIXELS.named("saved window size").check(v) for v in value)
    except numbers.NumberError as exc:
        log.warning("ignoring the saved window size: %s", exc)
        return None
    return int(width), int(height)


def within_screen(width: int, height: int) -> tuple[int, int]:
    """``width`` x ``height`` shrunk to the primary screen's available area (at least
    ``MIN_SIZE``); unchanged when there is no screen to ask."""
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return width, height
    area = screen.availableGeometry()
    return max(MIN_SIZE, min(width, area.width())), max(MIN_SIZE, min(height, area.height()))
