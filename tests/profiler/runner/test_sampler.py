"""Host telemetry: rates, n/a readings, window summaries, a failing backend."""

from __future__ import annotations

import time
from itertools import pairwise
from typing import Any

import psutil
import pytest

from profiler.devices.telemetry import Capabilities, TelemetryBackend
from profiler.events import EventBus, TelemetrySample
from profiler.runner.host import HostReader
from profiler.runner.sampler import TelemetrySampler, summarize_samples
from tests.helpers import wait_until


class PartialBackend(TelemetryBackend):
    """A device that reports memory but no power (like MPS)."""

    backend = "test"

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(frozenset({"mem_used_bytes"}), {"power_w": "not exposed"})

    def read(self) -> dict[str, Any]:
        return {"mem_used_bytes": 123, "power_w": None, "energy_j": None}


class ExplodingBackend(PartialBackend):
    def read(self) -> dict[str, Any]:
        raise AssertionError("read() must never raise, but the sampler survives one that does")


def test_cpu_frequency_unavailable_is_none_not_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psutil, "cpu_freq", lambda: None)
    values = HostReader().read()
    assert values["cpu_freq_mhz"] is None
    assert values["ram_total_bytes"] > 0
    assert len(values["cpu_per_core_percent"]) == psutil.cpu_count()


def _hosts(samples: list[TelemetrySample]) -> int:
    return sum(1 for s in list(samples) if s.source == "host")


def test_sampler_publishes_at_its_rate_and_summarizes_the_window() -> None:
    bus = EventBus()
    samples: list[TelemetrySample] = []
    bus.subscribe(lambda e: samples.append(e) if isinstance(e, TelemetrySample) else None)
    t0 = time.perf_counter()
    sampler = TelemetrySampler("r1", bus, t0, hz=20, device_id="sim:0", open_backends=lambda: [PartialBackend("sim:0")])
    sampler.start()
    try:
        wait_until(lambda: _hosts(samples) >= 3, what="3 samples before the window")
        sampler.mark_window(time.perf_counter() - t0)
        before = _hosts(samples)
        wait_until(lambda: _hosts(samples) >= before + 8, what="8 samples in the window")
        sampler.close_window(time.perf_counter() - t0)
    finally:
        sampler.stop()
    elapsed = time.perf_counter() - t0
    host = [s for s in samples if s.source == "host"]
    device = [s for s in samples if s.source == "sim:0"]
    assert len(host) <= elapsed * 20 + 2, (len(host), elapsed)  # never faster than its rate
    gaps = sorted(b.t_s - a.t_s for a, b in pairwise(host))
    assert gaps[len(gaps) // 2] >= 0.8 / 20  # the median gap is a period (a stall is not made up in a burst)
    assert len(device) == len(host)
    summary = sampler.summary()
    assert summary["sim:0.mem_used_bytes"] == {"mean": 123.0, "max": 123.0}
    assert summary["sim:0.power_w"] == {"mean": None, "max": None}, "n/a stays n/a, never 0"
    assert summary["host.cpu_util_percent"]["mean"] is not None
    assert sampler.energy_delta_j() is None


def test_a_backend_that_raises_does_not_stop_host_sampling() -> None:
    bus = EventBus()
    seen: list[TelemetrySample] = []
    bus.subscribe(lambda e: seen.append(e) if isinstance(e, TelemetrySample) else None)
    sampler = TelemetrySampler("r2", bus, time.perf_counter(), hz=20, device_id="sim:0",
                               open_backends=lambda: [ExplodingBackend("sim:0")])
    sampler.start()
    try:
        wait_until(lambda: _hosts(seen) >= 2, what="host samples after the backend raised")
    finally:
        sampler.stop()
    assert any(s.source == "host" for s in seen)


def test_summary_ignores_lists_and_bools() -> None:
    out = summarize_samples([{"a": 1, "b": [1, 2], "c": True}, {"a": 3, "b": [3], "c": False}], "host")
    assert out == {"host.a": {"mean": 2.0, "max": 3.0}}


def test_invalid_rate_is_rejected() -> None:
    with pytest.raises(ValueError, match="positive"):
        TelemetrySampler("r", EventBus(), 0.0, hz=0)


class EnergyCounter(PartialBackend):
    """A device whose cumulative energy counter rises at exactly 100 W."""

    def __init__(self, device_id: str, t0: float) -> None:
        super().__init__(device_id)
        self.t0 = t0

    def read(self) -> dict[str, Any]:
        return {"energy_j": 100.0 * (time.perf_counter() - self.t0), "power_w": 100.0}


def test_energy_over_the_window_is_interpolated_at_its_edges() -> None:
    t0 = time.perf_counter()
    bus = EventBus()
    times: list[float] = []
    bus.subscribe(lambda e: times.append(e.t_s) if isinstance(e, TelemetrySample) and e.source == "sim:0" else None)
    sampler = TelemetrySampler("e", bus, t0, hz=20, device_id="sim:0",
                               open_backends=lambda: [EnergyCounter("sim:0", t0)])
    sampler.start()
    try:
        wait_until(lambda: len(times) >= 2, what="readings before the window")
        start = time.perf_counter() - t0
        sampler.mark_window(start)
        wait_until(lambda: sum(1 for t in list(times) if t > start) >= 6, what="readings in the window")
        end = time.perf_counter() - t0
        sampler.close_window(end)
        wait_until(lambda: sum(1 for t in list(times) if t > end) >= 3, what="readings after the window")
    finally:
        sampler.stop()  # the readings after the window must not count
    assert sampler.energy_delta_j() == pytest.approx(100.0 * (end - start), rel=0.02)
    assert sampler.summary()["sim:0.power_w"]["mean"] == 100.0


def test_no_timed_window_means_no_summary() -> None:
    bus = EventBus()
    seen: list[TelemetrySample] = []
    bus.subscribe(lambda e: seen.append(e) if isinstance(e, TelemetrySample) else None)
    sampler = TelemetrySampler("w", bus, time.perf_counter(), hz=20)
    sampler.start()
    try:
        wait_until(lambda: len(seen) >= 3, what="samples with no window")
    finally:
        sampler.stop()
    assert sampler.summary() == {}
    assert sampler.energy_delta_j() is None
