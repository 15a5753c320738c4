"""The simulated device: deterministic, complete, energy consistent with power, throttles on schedule."""

from __future__ import annotations

import pytest

from profiler.devices.simulated import (
    KEYS,
    THROTTLE_START_S,
    SimulatedBackend,
    energy_at,
    power_at,
)
from profiler.devices.telemetry import READINGS
from profiler.devices.throttle import ThrottleDetector


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_every_reading_present_and_deterministic():
    a_clock, b_clock = Clock(), Clock()
    a, b = SimulatedBackend("sim:0", clock=a_clock), SimulatedBackend("sim:0", clock=b_clock)
    a_clock.t += 3.7
    b_clock.t += 3.7
    ra, rb = a.read(), b.read()
    assert ra == rb
    assert set(ra) == KEYS and KEYS <= set(READINGS)
    assert all(v is not None for v in ra.values())
    assert a.capabilities.readings == KEYS and a.status == "ok"


def test_energy_is_the_integral_of_power():
    steps = 20_000
    dt = 40.0 / steps
    riemann = sum(power_at((i + 0.5) * dt) * dt for i in range(steps))
    assert energy_at(40.0) == pytest.approx(riemann, rel=1e-6)
    clock = Clock()
    sim = SimulatedBackend(clock=clock)
    clock.t += 10.0
    assert sim.read()["energy_j"] == pytest.approx(energy_at(10.0))


def test_throttle_episode_is_detected_once():
    clock = Clock()
    sim = SimulatedBackend(clock=clock)
    detector = ThrottleDetector()
    events = []
    for _ in range(int(THROTTLE_START_S * 10) + 100):  # 10 Hz through the first episode
        reading = sim.read()
        event = detector.update(clock.t - 1000.0, reading)
        if event:
            events.append(event)
        clock.t += 0.1
    assert len(events) == 1
    assert events[0].t_s == pytest.approx(THROTTLE_START_S, abs=0.11)
    assert events[0].reasons == ("sw_thermal",)


def test_second_device_is_shifted():
    clock = Clock()
    s0, s1 = SimulatedBackend("sim:0", clock=clock), SimulatedBackend("sim:1", clock=clock)
    clock.t += 1.0
    assert s0.read()["power_w"] != s1.read()["power_w"]
