"""One interface for every telemetry backend (NVIDIA, AMD, Apple, Intel, CPU energy).

A backend reads one device. ``read()`` returns a dict whose keys carry units
(``power_w``, ``mem_used_bytes``, ``sm_clock_mhz``...). A reading the hardware cannot give
is ``None`` (n/a), never 0, and ``capabilities`` says up front which readings exist.
``read()`` never raises: vendor errors are translated at the boundary into
``TelemetryError`` (for setup) or into ``None`` values plus ``status``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

# Every reading a device backend may report, with its meaning. Keys carry units.
READINGS: dict[str, str] = {
    "util_percent": "percent of time a kernel was running on the device",
    "mem_used_bytes": "device memory in use (driver view)",
    "mem_total_bytes": "device memory in total",
    "alloc_bytes": "memory held by tensors in torch's caching allocator",
    "reserved_bytes": "memory reserved by torch's caching allocator",
    "peak_alloc_bytes": "highest tensor memory since the run started",
    "power_w": "board power draw",
    "power_limit_w": "enforced power limit",
    "energy_j": "cumulative energy counter since the backend opened",
    "temp_c": "GPU core temperature",
    "sm_clock_mhz": "streaming multiprocessor (shader) clock",
    "sm_clock_max_mhz": "maximum SM clock",
    "mem_clock_mhz": "memory clock",
    "mem_clock_max_mhz": "maximum memory clock",
    "throttle_reasons": "active clock-event reasons (comma-separated), '' when none",
}


class TelemetryError(RuntimeError):
    """A backend cannot be opened; the message is meant for a user."""


class LibraryMissingError(TelemetryError):
    """The vendor library (Python binding or shared library) is not installed."""


class DriverNotLoadedError(TelemetryError):
    """The vendor library is present but its kernel driver is not loaded."""


class DriverMismatchError(TelemetryError):
    """The user-space library and the kernel driver disagree on their version."""


class TelemetryPermissionError(TelemetryError):
    """The OS refuses this process access to the device's counters."""


class DeviceNotFoundError(TelemetryError):
    """The vendor library runs but cannot find the requested device."""


def none_reading(keys: frozenset[str] | set[str]) -> dict[str, Any]:
    """A reading with every key in ``keys`` set to None (n/a)."""
    return dict.fromkeys(sorted(keys))


@dataclass(frozen=True)
class Capabilities:
    """Which readings a backend can give for its device, and why the others are n/a."""

    readings: frozenset[str]
    missing_reasons: dict[str, str] = field(default_factory=dict)

    def supports(self, reading: str) -> bool:
        return reading in self.readings

    def why_missing(self, reading: str) -> str | None:
        if reading in self.readings:
            return None
        return self.missing_reasons.get(reading, "not reported by this device's backend")


class TelemetryBackend(ABC):
    """Reads one device. Open cheaply; ``read`` is called from the sampler thread at ~10 Hz."""

    #: short backend name, e.g. "nvml", "amdsmi", "mps", "xpu", "rapl", "torch-allocator"
    backend: str = "base"

    def __init__(self, device_id: str) -> None:
        self.device_id = device_id
        #: "ok" | "lost" (the device fell off the bus; readings stay None from then on)
        self.status = "ok"

    @property
    @abstractmethod
    def capabilities(self) -> Capabilities:
        """What this backend can read for its device."""

    @abstractmethod
    def read(self) -> dict[str, Any]:
        """One reading; every key of ``READINGS`` the backend supports, None where n/a now.

        Must never raise.
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release vendor handles."""
