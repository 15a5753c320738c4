"""CPU package energy through Linux powercap (Intel RAPL, also used by AMD Zen kernels).

Reads ``<root>/intel-rapl:N/energy_uj`` for every package zone (sub-zones such as
``intel-rapl:0:0`` are parts of a package and are skipped to avoid double counting). Counters wrap
at ``max_energy_range_uj``; a negative delta is corrected by adding that range. ``energy_j`` is the
sum over packages since the backend opened; ``power_w`` is the delta between two successive reads.
Since Linux 5.10 ``energy_uj`` is readable by root only, so on most desktops both are n/a with
the reason in ``capabilities``. Called from the sampler thread; never raises.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from profiler.devices.telemetry import Capabilities, TelemetryBackend

log = logging.getLogger(__name__)

POWERCAP_ROOT = Path("/sys/class/powercap")
_PACKAGE_ZONE = re.compile(r"^intel-rapl:\d+$")
KEYS = frozenset({"energy_j", "power_w"})


@dataclass
class _Zone:
    path: Path
    max_range_uj: int
    last_uj: int
    total_uj: int = 0


def _read_int(path: Path) -> int:
    return int(path.read_text(encoding="ascii").strip())


def _readable(path: Path) -> bool:
    try:
        _read_int(path)
    except (OSError, ValueError):
        return False
    return True


def find_package_zones(root: Path = POWERCAP_ROOT) -> tuple[list[Path], str | None]:
    """Package zone directories and, when none is readable, why (for a user)."""
    if not root.is_dir():
        return [], f"{root} does not exist (no powercap/RAPL driver, a VM, or not Linux)"
    zones = sorted(p for p in root.iterdir() if _PACKAGE_ZONE.match(p.name))
    if not zones:
        return [], f"no RAPL package zone under {root} (the intel_rapl driver is not loaded)"
    readable = [z for z in zones if _readable(z / "energy_uj")]
    if not readable:
        return [], (
            f"{zones[0] / 'energy_uj'} is readable by root only (Linux 5.10+); "
            "run as root or grant read access to see CPU energy"
        )
    return readable, None


class RaplBackend(TelemetryBackend):
    """CPU package energy and power for the host's ``cpu`` device."""

    backend = "rapl"

    def __init__(
        self,
        device_id: str = "cpu",
        root: Path | str = POWERCAP_ROOT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(device_id)
        self._clock = clock
        self._zones: list[_Zone] = []
        self._reason: str | None = None
        paths, self._reason = find_package_zones(Path(root))
        for path in paths:
            try:
                self._zones.append(_Zone(path, _read_int(path / "max_energy_range_uj"), _read_int(path / "energy_uj")))
            except (OSError, ValueError) as exc:
                self._reason = f"cannot read {path / 'energy_uj'}: {exc}"
                self._zones = []
                break
        self._last_t = clock()
        self._last_total_uj = 0
        if self._reason:
            log.info("CPU energy n/a: %s", self._reason)

    @property
    def capabilities(self) -> Capabilities:
        if self._zones:
            return Capabilities(KEYS)
        reason = self._reason or "no readable RAPL zone"
        return Capabilities(frozenset(), dict.fromkeys(KEYS, reason))

    @property
    def zone_names(self) -> list[str]:
        return [z.path.name for z in self._zones]

    def read(self) -> dict[str, Any]:
        if not self._zones or self.status != "ok":
            return {"energy_j": None, "power_w": None}
        try:
            for zone in self._zones:
                now = _read_int(zone.path / "energy_uj")
                delta = now - zone.last_uj
                if delta < 0:  # the counter wrapped
                    delta += zone.max_range_uj
                zone.total_uj += delta
                zone.last_uj = now
        except (OSError, ValueError) as exc:
            log.warning("RAPL read failed, CPU energy stops: %s", exc)
            self._reason = f"RAPL read failed: {exc}"
            self._zones = []
            return {"energy_j": None, "power_w": None}
        t = self._clock()
        total_uj = sum(z.total_uj for z in self._zones)
        dt = t - self._last_t
        power_w = (total_uj - self._last_total_uj) / 1e6 / dt if dt > 0 else None
        self._last_t, self._last_total_uj = t, total_uj
        return {"energy_j": total_uj / 1e6, "power_w": power_w}
