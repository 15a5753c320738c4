"""Measure what the window itself costs while it watches a run. GUI thread only.

Three figures, shown in the status bar and read by ``bench/observer_effect.py``:
- GUI CPU: CPU seconds the GUI thread used per wall second (1.0 = one whole core);
- paint: milliseconds spent painting plots per refresh frame;
- event-loop latency: how late a 50 ms probe timer fires (p99 over the last ~30 s), i.e.
  how long a click or key press can wait before the window reacts.
"""

from __future__ import annotations

import math
import time
from collections import deque

from PySide6.QtCore import QObject, Qt, QTimer, Signal

PROBE_INTERVAL_MS = 50
PROBE_LIGHT_MS = 200  # while a CPU run goes: fewer wake-ups of the GUI thread, same lateness measure
REPORT_INTERVAL_MS = 1000
WINDOW = 600  # probe samples kept (~30 s)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile, ``q`` in [0, 100]; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, math.ceil(q / 100.0 * len(ordered)) - 1)
    return ordered[rank]


class ObserverMeter(QObject):
    """Samples the GUI thread's own cost. Start it on the GUI thread."""

    sig_report = Signal()
    """Once a second on the GUI thread, after the figures are updated."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.latency_ms: deque[float] = deque(maxlen=WINDOW)
        self.gui_cpu_fraction: float | None = None
        self.paint_ms_per_frame: float | None = None
        self.refresh_hz: float | None = None
        self._paint_ms = 0.0
        self._frames = 0
        self._last_probe = time.perf_counter()
        self._last_wall = time.perf_counter()
        self._last_cpu = time.thread_time()
        self._probe = QTimer(self, timerType=Qt.TimerType.PreciseTimer)
        self._probe.setInterval(PROBE_INTERVAL_MS)
        self._interval_ms = PROBE_INTERVAL_MS
        self._probe.timeout.connect(self._on_probe)
        self._report = QTimer(self, interval=REPORT_INTERVAL_MS)
        self._report.timeout.connect(self._on_report)

    def start(self) -> None:
        self._last_probe = self._last_wall = time.perf_counter()
        self._last_cpu = time.thread_time()
        self._probe.start()
        self._report.start()

    def stop(self) -> None:
        self._probe.stop()
        self._report.stop()

    def set_light(self, light: bool) -> None:
        """Probe less often (``PROBE_LIGHT_MS``) while a CPU run needs the cores."""
        interval = PROBE_LIGHT_MS if light else PROBE_INTERVAL_MS
        if interval != self._interval_ms:
            self._interval_ms = interval
            self._probe.setInterval(interval)
            self._last_probe = time.perf_counter()

    def add_paint(self, ms: float) -> None:
        """A plot painted for ``ms`` milliseconds (called from its paintEvent)."""
        self._paint_ms += ms

    def frame_done(self) -> None:
        """One plot refresh tick happened."""
        self._frames += 1

    def latency_p99_ms(self) -> float | None:
        return percentile(list(self.latency_ms), 99)

    def reset_latency(self) -> None:
        self.latency_ms.clear()

    def _on_probe(self) -> None:
        now = time.perf_counter()
        late_ms = (now - self._last_probe) * 1e3 - self._interval_ms
        self.latency_ms.append(max(0.0, late_ms))
        self._last_probe = now

    def _on_report(self) -> None:
        wall, cpu = time.perf_counter(), time.thread_time()
        elapsed = wall - self._last_wall
        if elapsed > 0:
            self.gui_cpu_fraction = (cpu - self._last_cpu) / elapsed
            self.refresh_hz = self._frames / elapsed
        self.paint_ms_per_frame = self._paint_ms / self._frames if self._frames else None
        self._last_wall, self._last_cpu = wall, cpu
        self._paint_ms, self._frames = 0.0, 0
        self.sig_report.emit()
