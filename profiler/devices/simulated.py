"""A simulated accelerator (``sim:0``) with deterministic synthetic readings.

Always available: for GUI demos and tests of everything downstream of telemetry. Readings are a
pure function of seconds since open (injectable clock): utilization and power follow a slow
wave, energy is the exact integral of that power, temperature lags power, and every
``THROTTLE_PERIOD_S`` seconds the SM clock drops for a few seconds with ``sw_thermal`` active so
throttle notices can be demonstrated.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from profiler.devices.telemetry import READINGS, Capabilities, TelemetryBackend

SIM_NAME = "Simulated GPU"
MEM_TOTAL_BYTES = 24 * 2**30
POWER_IDLE_W, POWER_SWING_W, POWER_LIMIT_W = 200.0, 100.0, 350.0
WAVE_PERIOD_S = 20.0
SM_MAX_MHZ, SM_THROTTLED_MHZ, MEM_MHZ = 1800.0, 1350.0, 1215.0
THROTTLE_PERIOD_S, THROTTLE_START_S, THROTTLE_LEN_S = 60.0, 40.0, 6.0
KEYS = frozenset(READINGS)  # a simulated device reports every reading there is


def _angle_rad(t_s: float) -> float:
    """Where ``t_s`` falls in the power wave, in radians."""
    return 2.0 * math.pi * t_s / WAVE_PERIOD_S


def power_at(t_s: float) -> float:
    """Board power in W at ``t_s`` seconds after open."""
    return POWER_IDLE_W + POWER_SWING_W * (1.0 + math.sin(_angle_rad(t_s))) / 2.0


def energy_at(t_s: float) -> float:
    """Exact integral of ``power_at`` from 0 to ``t_s``, in J."""
    mean = POWER_IDLE_W + POWER_SWING_W / 2.0
    wave = POWER_SWING_W / 2.0 * WAVE_PERIOD_S / (2.0 * math.pi) * (1.0 - math.cos(_angle_rad(t_s)))
    return mean * t_s + wave


def throttled_at(t_s: float) -> bool:
    return THROTTLE_START_S <= t_s % THROTTLE_PERIOD_S < THROTTLE_START_S + THROTTLE_LEN_S


class SimulatedBackend(TelemetryBackend):
    """Synthetic readings for a fake device such as ``sim:0``; the index shifts the wave."""

    backend = "simulated"

    def __init__(self, device_id: str = "sim:0", clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(device_id)
        self._clock = clock
        self._t0 = clock()
        index = device_id.partition(":")[2]
        self._offset_s = 3.0 * int(index) if index.isdigit() else 0.0
        self._peak_alloc = 0

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(KEYS)

    def read(self) -> dict[str, Any]:
        t = self._clock() - self._t0
        ts = t + self._offset_s
        wave = (1.0 + math.sin(_angle_rad(ts))) / 2.0
        alloc = int(6 * 2**30 + 2 * 2**30 * wave)
        self._peak_alloc = max(self._peak_alloc, alloc)
        throttled = throttled_at(t)
        return {
            "util_percent": round(70.0 + 28.0 * wave, 1),
            "mem_used_bytes": alloc + 2 * 2**30,
            "mem_total_bytes": MEM_TOTAL_BYTES,
            "alloc_bytes": alloc,
            "reserved_bytes": alloc + 2**30,
            "peak_alloc_bytes": self._peak_alloc,
            "power_w": power_at(ts),
            "power_limit_w": POWER_LIMIT_W,
            "energy_j": energy_at(ts) - energy_at(self._offset_s),
            "temp_c": round(55.0 + 25.0 * wave + (8.0 if throttled else 0.0), 1),
            "sm_clock_mhz": SM_THROTTLED_MHZ if throttled else SM_MAX_MHZ,
            "sm_clock_max_mhz": SM_MAX_MHZ,
            "mem_clock_mhz": MEM_MHZ,
            "mem_clock_max_mhz": MEM_MHZ,
            "throttle_reasons": "sw_thermal" if throttled else "",
        }
