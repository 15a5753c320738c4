"""Hold heavy work (importing torch, starting a scripted run) until the window has painted.

``import torch`` takes 1.6-2.2 s here and holds the GIL for much of it: started on a thread
while the window is still being built, it roughly doubles the time to the first window.
The gate opens one event-loop turn after the window's first paint (or after a fallback
delay, so nothing waits forever on a window that is never exposed); work queued on it then
runs. Thread-safe: ``wait`` may be called from any thread, the rest on the GUI thread.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QEvent, QObject, QTimer

log = logging.getLogger(__name__)

FALLBACK_MS = 3000  # open anyway this long after ``watch`` (window minimised, never exposed)
WAIT_LIMIT_S = 30.0  # a gated thread never waits longer than this

T = TypeVar("T")


class StartupGate(QObject):
    """Opens after the watched window's first paint; ``cancel`` releases waiters with nothing."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._open = threading.Event()
        self.cancelled = False
        self._callbacks: list[Callable[[], None]] = []
        self._window: QObject | None = None
        self.opened_after_s: float | None = None

    def watch(self, window: QObject, fallback_ms: int = FALLBACK_MS) -> None:
        """Open one loop turn after ``window`` first paints (or after ``fallback_ms``)."""
        self._window = window
        window.installEventFilter(self)
        QTimer.singleShot(fallback_ms, self, self.open)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self._window and event.type() == QEvent.Type.Paint and not self.is_open():
            QTimer.singleShot(0, self, self.open)  # after this paint has reached the screen
        return False

    def is_open(self) -> bool:
        return self._open.is_set()

    def open(self) -> None:
        """Open the gate (GUI thread): release waiting threads, run queued callbacks."""
        if self._open.is_set():
            return
        if self._window is not None:
            self._window.removeEventFilter(self)
        _report_startup()  # before waking the discovery thread, which imports torch at once
        self._open.set()
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def cancel(self) -> None:
        """The app is closing: release waiters without doing their work."""
        self.cancelled = True
        self._callbacks.clear()
        self._open.set()

    def call_when_open(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the GUI thread once the gate is open (at once if it is)."""
        if self._open.is_set():
            callback()
        else:
            self._callbacks.append(callback)

    def wait(self, timeout_s: float = WAIT_LIMIT_S) -> bool:
        """Block the calling (non-GUI) thread until the gate opens; False if cancelled."""
        self._open.wait(timeout_s)
        return not self.cancelled

    def deferred(self, fn: Callable[[], T], on_cancel: Callable[[], T]) -> Callable[[], T]:
        """``fn`` that first waits for the gate (for a background thread); ``on_cancel()``
        is returned instead when the app closes first."""

        def gated() -> T:
            return fn() if self.wait() else on_cancel()

        return gated


def process_age_s() -> float:
    """Seconds since this process started.

    On Linux from ``/proc`` (start tick vs uptime, both since boot, 10 ms resolution);
    psutil's ``create_time`` adds whole-second boot-time rounding, which made start-up
    figures up to 1 s too long. Elsewhere psutil.
    """
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as f:
            uptime_s = float(f.read().split()[0])
        return uptime_s - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        import psutil

        return time.time() - psutil.Process().create_time()


def _report_startup() -> None:
    """With HORSEPOWER_REPORT_STARTUP=1, print the seconds from process start to the painted
    window, and whether torch was already imported (it should not be)."""
    if not os.environ.get("HORSEPOWER_REPORT_STARTUP"):
        return
    shown_s = process_age_s()
    torch_loaded = "yes" if "torch" in sys.modules else "no"
    print(f"startup: window shown after {shown_s:.2f}s (torch imported: {torch_loaded})", flush=True)
