"""Clock-event reasons and a detector that turns clock drops into throttle events.

NVML reports why clocks are held down as a bit mask (``nvmlDeviceGetCurrentClocksEventReasons``,
formerly ``...ThrottleReasons``). ``decode_clock_event_reasons`` names the bits;
``ThrottleDetector`` watches one device's readings and reports one event per episode in which
the SM clock falls well below the run's recent maximum while a thermal or power reason is active.
Not thread-safe: feed one detector from one thread (the sampler's).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# NVML clock-event reason bits (identical values under the old "ThrottleReason" names).
CLOCK_EVENT_BITS: dict[int, str] = {
    0x001: "idle",
    0x002: "applications_clocks",
    0x004: "sw_power_cap",
    0x008: "hw_slowdown",
    0x010: "sync_boost",
    0x020: "sw_thermal",
    0x040: "hw_thermal",
    0x080: "hw_power_brake",
    0x100: "display_clocks",
}

THERMAL_REASONS = frozenset({"sw_thermal", "hw_thermal"})
POWER_REASONS = frozenset({"sw_power_cap", "hw_power_brake"})
#: reasons that mean the device is slowed by heat or power (hw_slowdown can be either)
LIMITING_REASONS = THERMAL_REASONS | POWER_REASONS | {"hw_slowdown"}


def decode_clock_event_reasons(mask: int) -> list[str]:
    """Names of the bits set in an NVML clock-event mask, lowest bit first; unknown bits as bitN."""
    names = []
    for bit in range(64):
        value = 1 << bit
        if mask & value:
            names.append(CLOCK_EVENT_BITS.get(value, f"bit{bit}"))
    return names


def parse_reasons(value: Any) -> frozenset[str]:
    """The reason names in a ``throttle_reasons`` reading ('' or None: none)."""
    if not value or not isinstance(value, str):
        return frozenset()
    return frozenset(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class ThrottleEvent:
    """One throttling episode's start: clocks in MHz, ``t_s`` on the caller's clock."""

    t_s: float
    reasons: tuple[str, ...]
    clock_from_mhz: float
    clock_to_mhz: float

    @property
    def drop_fraction(self) -> float:
        return 1.0 - self.clock_to_mhz / self.clock_from_mhz

    @property
    def cause(self) -> str:
        """'thermal', 'power' or 'thermal and power' (hw_slowdown alone counts as hardware)."""
        kinds = []
        if THERMAL_REASONS & set(self.reasons):
            kinds.append("thermal")
        if POWER_REASONS & set(self.reasons):
            kinds.append("power")
        return " and ".join(kinds) or "hardware slowdown"

    def __str__(self) -> str:
        return self.message()

    def message(self) -> str:
        return (
            f"GPU throttling ({self.cause}): SM clock fell from {self.clock_from_mhz:.0f} "
            f"to {self.clock_to_mhz:.0f} MHz (-{self.drop_fraction:.0%}) at t={self.t_s:.1f} s; "
            f"active reasons: {', '.join(self.reasons)}"
        )


class ThrottleDetector:
    """Feed successive readings of one device; ``update`` returns an event once per episode.

    An episode starts when ``sm_clock_mhz`` is more than ``drop_fraction`` below the highest
    clock seen in the last ``window_s`` seconds while a thermal or power reason is active.
    It ends after the condition has been false for ``clear_s`` seconds; the reference clock is
    held for the whole episode so a long throttle stays one event.
    """

    def __init__(self, drop_fraction: float = 0.10, window_s: float = 30.0, clear_s: float = 5.0) -> None:
        self.drop_fraction = drop_fraction
        self.window_s = window_s
        self.clear_s = clear_s
        self._clocks: deque[tuple[float, float]] = deque()
        self._episode_ref_mhz: float | None = None
        self._clear_since_s: float | None = None
        self.events: list[ThrottleEvent] = []

    @property
    def throttling(self) -> bool:
        return self._episode_ref_mhz is not None

    def _recent_max(self, t_s: float) -> float | None:
        while self._clocks and self._clocks[0][0] < t_s - self.window_s:
            self._clocks.popleft()
        return max((c for _, c in self._clocks), default=None)

    def update(self, t_s: float, reading: Mapping[str, Any]) -> ThrottleEvent | None:
        """Consider one reading taken at ``t_s`` seconds; None unless a new episode starts."""
        clock = reading.get("sm_clock_mhz")
        if not isinstance(clock, (int, float)) or clock <= 0:
            return None
        recent = self._recent_max(t_s)
        reference = self._episode_ref_mhz if self._episode_ref_mhz is not None else recent
        self._clocks.append((t_s, float(clock)))
        limiting = tuple(sorted(parse_reasons(reading.get("throttle_reasons")) & LIMITING_REASONS))
        dropped = reference is not None and clock < reference * (1.0 - self.drop_fraction)
        if dropped and limiting:
            self._clear_since_s = None
            if self._episode_ref_mhz is None:
                assert reference is not None
                self._episode_ref_mhz = reference
                event = ThrottleEvent(t_s, limiting, reference, float(clock))
                self.events.append(event)
                return event
            return None
        if self._episode_ref_mhz is not None:
            if self._clear_since_s is None:
                self._clear_since_s = t_s
            elif t_s - self._clear_since_s >= self.clear_s:
                self._episode_ref_mhz = None
                self._clear_since_s = None
        return None
