"""Host telemetry: rates, n/a readings, window summaries, a failing backend."""

from __future__ import annotations

import time
from typing import Any

import psutil
import pytest

from profiler.devices.telemetry import Capabilities, TelemetryBackend
from profiler.events import EventBus, TelemetrySample
from profiler.runner.host import HostReader
from profiler.runner.sampler import TelemetrySampler, summarize_samples


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


def test_sampler_publishes_at_its_rate_and_summarizes_the_window() -> None:
    bus = EventBus()
    samples: list[TelemetrySample] = []
    bus.subscribe(lambda e: samples.append(e) if isinstance(e, TelemetrySample) else None)
    t0 = time.perf_counter()
    sampler = TelemetrySampler("r1", bus, t0, hz=20, device_id="sim:0", open_backends=lambda: [PartialBackend("sim:0")])
    sampler.start()
    time.sleep(0.3)
    sampler.mark_window(time.perf_counter() - t0)
    time.sleep(0.5)
    sampler.close_window(time.perf_counter() - t0)
    sampler.stop()
    host = [s for s in samples if s.source == "host"]
    device = [s for s in samples if s.source == "sim:0"]
    assert 10 <= len(host) <= 20, len(host)
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
    time.sleep(0.3)
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
    sampler = TelemetrySampler("e", EventBus(), t0, hz=20, device_id="sim:0",
                               open_backends=lambda: [EnergyCounter("sim:0", t0)])
    sampler.start()
    time.sleep(0.33)
    start = time.perf_counter() - t0
    sampler.mark_window(start)
    time.sleep(0.57)
    end = time.perf_counter() - t0
    sampler.close_window(end)
    time.sleep(0.3)  # samples after the window must not count
    sampler.stop()
    assert sampler.energy_delta_j() == pytest.approx(100.0 * (end - start), rel=0.02)
    assert sampler.summary()["sim:0.power_w"]["mean"] == 100.0


def test_no_timed_window_means_no_summary() -> None:
    sampler = TelemetrySampler("w", EventBus(), time.perf_counter(), hz=20)
    sampler.start()
    time.sleep(0.2)
    sampler.stop()
    assert sampler.summary() == {}
    assert sampler.energy_delta_j() is None
