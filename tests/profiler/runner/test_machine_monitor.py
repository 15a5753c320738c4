"""The machine monitor: machine-wide readings on its own thread, accelerators, rates, joins."""

from __future__ import annotations

import threading
import time

from profiler.events import TelemetrySample
from profiler.runner.machine import MACHINE, MachineMonitor
from tests.helpers import wait_until


class FakeBackend:
    backend = "nvml"

    def __init__(self) -> None:
        self.closed = False

    def read(self):
        return {"util_percent": 42.0, "mem_used_bytes": 2**30, "power_w": None}

    def close(self):
        self.closed = True


def test_monitor_publishes_machine_readings_until_stopped():
    seen: list[TelemetrySample] = []
    lock = threading.Lock()
    backends = []

    def publish(event):
        with lock:
            seen.append(event)

    def open_device(device_id):
        backends.append(FakeBackend())
        return backends[-1:]

    monitor = MachineMonitor(publish, hz=20.0, open_device=open_device)
    monitor.set_devices(["cpu", "cuda:0"])
    monitor.start()
    try:
        wait_until(lambda: monitor.ticks >= 4, what="4 ticks at 20 Hz")
    finally:
        assert monitor.stop(2.0)
    with lock:
        host = [e for e in seen if e.source == "host"]
        gpu = [e for e in seen if e.source == "cuda:0"]
    assert len(host) >= 4 and all(e.run_id == MACHINE for e in seen)
    assert 0.0 <= host[-1].values["cpu_util_percent"] <= 100.0
    assert host[-1].values["ram_total_bytes"] > 0 and len(host[-1].values["cpu_per_core_percent"]) >= 1
    assert "process_rss_bytes" not in host[-1].values  # the machine, not the window's own process
    assert gpu and gpu[-1].values["util_percent"] == 42.0
    times = [e.t_s for e in host]
    assert times == sorted(times) and times[-1] - times[0] < 2.0  # ~20 Hz
    assert backends[0].closed  # closed on the monitor's thread at the end


def test_monitor_rate_can_be_lowered():
    monitor = MachineMonitor(lambda e: None, hz=50.0, open_device=lambda d: [])
    monitor.start()
    try:
        wait_until(lambda: monitor.ticks >= 3, what="ticks at 50 Hz")
        monitor.set_rate(2.0)
        ticks, since = monitor.ticks, time.monotonic()
        wait_until(lambda: monitor.ticks >= ticks + 2, what="two ticks at 2 Hz")
        assert time.monotonic() - since >= 0.45  # two periods of 0.5 s, less a tick's jitter
    finally:
        assert monitor.stop(2.0)
