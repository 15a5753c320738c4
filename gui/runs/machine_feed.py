"""The machine monitor's link into the window's series store. Any thread.

``MachineFeed`` runs the engine's ``MachineMonitor`` (``profiler.runner.machine``) on a
thread of its own, which imports the engine (torch: seconds) there rather than on the GUI
thread, then reads the whole machine and publishes straight into the event ingest (cheap
appends under the store's lock; no Qt). Its clock (``now_s``) is the one the live plots
and the ingest use to place runs beside the machine. It starts once the device catalogue
is known and is stopped and joined with the window.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

log = logging.getLogger(__name__)

IDLE_HZ = 2.0
CPU_RUN_HZ = 1.0  # while a CPU run is going: watching must stay cheap


class MachineFeed:
    """Starts, re-rates and joins the machine monitor; ``publish`` receives its events."""

    def __init__(self, publish: Callable[[Any], None]) -> None:
        self.publish = publish
        self._t0 = time.monotonic()
        self.monitor: Any = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._devices: list[str] = []
        self._hz = IDLE_HZ
        self._stopped = False

    def now_s(self) -> float:
        """Seconds on the machine clock (since the window was made)."""
        return time.monotonic() - self._t0

    def start(self, devices: Sequence[str] = ()) -> None:
        """Start reading the machine (and these accelerators); again: update the devices."""
        with self._lock:
            self._devices = list(devices)
            if self.monitor is not None:
                self.monitor.set_devices(self._devices)
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(target=self._run, name="horsepower-machine", daemon=True)
                self._thread.start()

    def _run(self) -> None:  # the feed's thread
        from gui.runs.engine_import import engine_imports

        with engine_imports():
            from profiler.runner.machine import MachineMonitor

        monitor = MachineMonitor(self.publish, hz=IDLE_HZ, t0=self._t0)
        with self._lock:
            if self._stopped:
                return
            monitor.set_devices(self._devices)
            monitor.set_rate(self._hz)
            self.monitor = monitor
        log.info("machine monitor running")
        monitor.run()

    def set_busy(self, cpu_run: bool) -> None:
        with self._lock:
            self._hz = CPU_RUN_HZ if cpu_run else IDLE_HZ
            if self.monitor is not None:
                self.monitor.set_rate(self._hz)

    def stop(self, timeout_s: float = 2.0) -> bool:
        """Stop and join the monitor; True when it ended (or never started)."""
        with self._lock:
            self._stopped = True
            monitor, thread = self.monitor, self._thread
        if monitor is not None:
            monitor.stop(0)
        if thread is None:
            return True
        thread.join(timeout_s)
        if thread.is_alive():
            with self._lock:  # it was still importing: stop the monitor it made meanwhile
                if self.monitor is not None:
                    self.monitor.stop(0)
            thread.join(timeout_s)
        ok = not thread.is_alive()
        if not ok:
            log.error("machine monitor did not stop within %.1f s", timeout_s)
        return ok
