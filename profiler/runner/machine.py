"""The whole machine, read all the time: CPU, memory, per-core load and each accelerator.

Like Task Manager or nvitop, a window shows the machine live whether or not a run is going.
``MachineMonitor`` reads the host (machine-wide figures only, no process) and the vendor
telemetry of the accelerators it is given, on its own thread, and publishes each reading as
a ``TelemetrySample`` of the pseudo-run ``MACHINE`` (sources ``host`` and device ids), with
``t_s`` on its own clock (``clock()`` seconds since ``start``). The rate can be lowered while
a CPU run is going so that watching stays cheap. Start, stop and join it with its owner.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from profiler.events import Event, TelemetrySample
from profiler.metrics import keys
from profiler.runner.host import HostReader

log = logging.getLogger(__name__)

#: the run id of machine-wide series
MACHINE = "machine"
#: host readings that describe the whole machine (the monitor's own process is left out)
MACHINE_READINGS = ("cpu_util_percent", "cpu_per_core_percent", "ram_used_bytes", "ram_total_bytes",
                    "cpu_freq_mhz", "load_avg_1m")
#: device backends whose readings are device-wide; torch's allocator counts only this process
DEVICE_WIDE_BACKENDS = frozenset({"nvml", "amdsmi", "xpu", "mps", "rapl", "simulated"})
IDLE_HZ = 2.0


def _open_device(device_id: str) -> list[Any]:
    from profiler.devices.registry import open_backends

    return [b for b in open_backends(device_id) if b.backend in DEVICE_WIDE_BACKENDS]


class MachineMonitor:
    """Publishes machine readings through ``publish`` (an ``EventBus.publish`` or any
    callable taking an event) at ``hz`` until ``stop``. ``t0`` is where its clock starts
    (default: now). Thread-safe controls."""

    def __init__(self, publish: Callable[[Event], None], hz: float = IDLE_HZ,
                 clock: Callable[[], float] = time.monotonic,
                 open_device: Callable[[str], list[Any]] = _open_device, t0: float | None = None) -> None:
        if not hz > 0:
            raise ValueError(f"sample rate must be positive, got {hz}")
        self._publish = publish
        self._clock = clock
        self._open_device = open_device
        self._period_s = 1.0 / hz
        self._devices: tuple[str, ...] = ()
        self._devices_changed = threading.Event()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self.t0 = clock() if t0 is None else t0
        self.ticks = 0
        self._thread = threading.Thread(target=self._loop, name="horsepower-machine", daemon=True)

    def now_s(self) -> float:
        """The monitor's clock: seconds since it was made (the ``t_s`` of its samples)."""
        return self._clock() - self.t0

    def start(self) -> None:
        """Read on the monitor's own thread."""
        self._thread.start()

    def run(self) -> None:
        """Read on the calling thread until ``stop`` (for a caller that owns the thread)."""
        self._loop()

    def set_rate(self, hz: float) -> None:
        """Read ``hz`` times a second from the next tick on."""
        if hz > 0:
            with self._lock:
                self._period_s = 1.0 / hz
            self._wake.set()

    def set_devices(self, device_ids: Sequence[str]) -> None:
        """Also read these accelerators (``cuda:0`` ...); the CPU is always read."""
        with self._lock:
            self._devices = tuple(d for d in device_ids if d != "cpu")
        self._devices_changed.set()
        self._wake.set()

    def stop(self, timeout_s: float = 2.0) -> bool:
        """Stop and join the thread; True when it ended within ``timeout_s``."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        return not self._thread.is_alive()

    # ---- the thread ----------------------------------------------------------------
    def _loop(self) -> None:
        host = HostReader()
        backends: dict[str, list[Any]] = {}
        try:
            while not self._stop.is_set():
                if self._devices_changed.is_set():
                    self._devices_changed.clear()
                    backends = self._reopen(backends)
                self._tick(host, backends)
                with self._lock:
                    period = self._period_s
                self._wake.wait(period)
                self._wake.clear()
        finally:
            for device_backends in backends.values():
                for backend in device_backends:
                    try:
                        backend.close()
                    except Exception:
                        log.exception("closing %s for the machine monitor failed", backend.backend)

    def _reopen(self, backends: dict[str, list[Any]]) -> dict[str, list[Any]]:
        with self._lock:
            wanted = self._devices
        out = {d: b for d, b in backends.items() if d in wanted}
        for device in wanted:
            if device not in out:
                try:
                    out[device] = self._open_device(device)
                except Exception:
                    log.exception("machine monitor: no telemetry for %s", device)
                    out[device] = []
        return out

    def _tick(self, host: HostReader, backends: dict[str, list[Any]]) -> None:
        t_s = self.now_s()
        try:
            reading = host.read()
        except Exception:
            log.exception("machine monitor: host read failed")
            reading = {}
        self._publish(TelemetrySample(MACHINE, keys.HOST, t_s,
                                      {k: reading.get(k) for k in MACHINE_READINGS}))
        for device, device_backends in backends.items():
            merged: dict[str, Any] = {}
            for backend in device_backends:
                try:
                    values = backend.read()
                except Exception:
                    log.exception("machine monitor: %s read failed", backend.backend)
                    continue
                for key, value in values.items():
                    if merged.get(key) is None:
                        merged[key] = value
            if merged:
                self._publish(TelemetrySample(MACHINE, device, t_s, merged))
        self.ticks += 1
