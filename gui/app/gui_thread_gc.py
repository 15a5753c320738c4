"""Cyclic garbage collection on the GUI thread only.

Python's cyclic collector runs in whichever thread happens to allocate when a threshold is
crossed. If that is a background thread (the advisor, a model check, the history writer) and
the garbage holds a Qt object (a closed menu, a page's lambda cycle), its C++ destructor runs
there: Shiboken then waits for the GIL while holding a QObject lock the GUI thread needs, and
the window deadlocks (seen in the test suite). The recipe calibre uses avoids it: turn the
automatic collector off and collect from a GUI-thread timer with the same thresholds.
"""

from __future__ import annotations

import gc
import logging

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)

INTERVAL_MS = 500  # how often the GUI thread looks at the collector's counts


class GuiThreadCollector(QObject):
    """While started, cyclic garbage is collected only on the thread that owns this object
    (the GUI thread); ``stop`` collects once more and gives collection back to Python."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.check)
        self.started = False

    def start(self) -> None:
        gc.disable()
        self._timer.start()
        self.started = True

    def check(self) -> int:
        """Collect the oldest generation whose threshold is crossed; objects found (0: none)."""
        count0, count1, count2 = gc.get_count()
        t0, t1, t2 = self._thresholds
        if count0 <= t0:
            return 0
        generation = 2 if count2 > t2 and count1 > t1 else 1 if count1 > t1 else 0
        return gc.collect(generation)

    def stop(self) -> None:
        if not self.started:
            return
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()
        self.started = False
