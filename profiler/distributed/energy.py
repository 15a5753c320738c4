"""Energy once per node: the node's local rank 0 reads the energy counters of every device
the node's ranks train on; the other ranks read nothing, so nothing is counted twice.

The counters are cumulative (NVML's total energy, RAPL's package energy); the meter reads
them when the timed window opens and closes and once a second between (so a RAPL counter
that wraps during a long window is still followed). A node with a device without a counter
has no energy figure (None), with the reason.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from profiler.devices.registry import close_backends, merge_capabilities, merge_readings, open_backends
from profiler.devices.telemetry import TelemetryBackend

log = logging.getLogger(__name__)

READ_EVERY_S = 1.0


class NodeEnergyMeter:
    """Energy (J) the node's devices used between ``start`` and ``stop``. Not thread-safe:
    start/stop from the rank's thread; the meter's own thread only reads counters."""

    def __init__(self, device_ids: list[str]) -> None:
        self.device_ids = list(device_ids)
        self._backends: dict[str, list[TelemetryBackend]] = {}
        self._first: dict[str, float | None] = {}
        self._last: dict[str, float | None] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.reason = ""

    def start(self) -> None:
        for device_id in self.device_ids:
            self._backends[device_id] = open_backends(device_id)
        for device_id, value in self._read().items():
            self._first[device_id] = value
        self._thread = threading.Thread(target=self._loop, name="node-energy", daemon=True)
        self._thread.start()

    def _read(self) -> dict[str, float | None]:
        with self._lock:
            out = {}
            for device_id, backends in self._backends.items():
                value = merge_readings(backends).get("energy_j")
                out[device_id] = float(value) if isinstance(value, (int, float)) else None
            return out

    def _loop(self) -> None:
        while not self._stop.wait(READ_EVERY_S):
            self._read()

    def stop(self) -> float | None:
        """The node's energy over the window, or None (``reason`` says why)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(READ_EVERY_S * 3)
        self._last = self._read()
        total = 0.0
        for device_id in self.device_ids:
            first, last = self._first.get(device_id), self._last.get(device_id)
            if first is None or last is None:
                why = merge_capabilities(self._backends.get(device_id, [])).why_missing("energy_j")
                self.reason = f"{device_id} has no energy counter ({why or 'no reading'})"
                break
            total += last - first
        else:
            self._close()
            return total
        self._close()
        return None

    def _close(self) -> None:
        for backends in self._backends.values():
            close_backends(backends)
        self._backends.clear()

    def to_dict(self, energy_j: float | None) -> dict[str, Any]:
        return {"devices": list(self.device_ids), "energy_j": energy_j, "reason": self.reason}
