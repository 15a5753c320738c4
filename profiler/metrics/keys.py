"""The one telemetry key scheme: ``<source>.<reading>``, e.g. ``host.cpu_util_percent``.

``source`` is ``host`` for the machine and the run's process, or a device id such as
``cuda:0``; ``reading`` carries its unit (``power_w``, ``mem_used_bytes``). The sampler's
summary (``RunResult.telemetry``), the history's series and the window's live series all
use these keys. Results and histories written before this scheme (``device_power_w``,
bare ``cpu_util_percent``) are rewritten by ``normalize`` when read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

HOST = "host"
#: source of a run's own derived live series (``run.samples_per_s``, ``run.step_time_ms``, ``run.loss``)
RUN = "run"
LEGACY_DEVICE_PREFIX = "device_"  # result schema 1: device readings were device_<reading>

V = TypeVar("V")


def key(source: str, reading: str) -> str:
    """``key("cuda:0", "power_w") -> "cuda:0.power_w"``."""
    return f"{source}.{reading}"


def host(reading: str) -> str:
    """A host reading's key: ``host.cpu_util_percent``."""
    return key(HOST, reading)


def run(reading: str) -> str:
    """A run-level live series' key: ``run.samples_per_s``."""
    return key(RUN, reading)


def split(telemetry_key: str) -> tuple[str, str]:
    """``"cuda:0.power_w" -> ("cuda:0", "power_w")``; a key without a source is the host's."""
    source, sep, reading = telemetry_key.partition(".")
    return (source, reading) if sep else (HOST, telemetry_key)


def normalize(telemetry: Mapping[str, V], device: str) -> dict[str, V]:
    """Rewrite legacy keys (``device_x`` -> ``<device>.x``, bare ``x`` -> ``host.x``)."""
    out: dict[str, V] = {}
    for name, value in telemetry.items():
        if "." in name:
            out[name] = value
        elif name.startswith(LEGACY_DEVICE_PREFIX):
            out[key(device, name[len(LEGACY_DEVICE_PREFIX):])] = value
        else:
            out[host(name)] = value
    return out


def stat(telemetry: Mapping[str, Mapping[str, float | None]], source: str, reading: str,
         which: str = "mean") -> float | None:
    """``mean`` or ``max`` of one reading over a run's timed window; None when n/a."""
    value = (telemetry.get(key(source, reading)) or {}).get(which)
    return None if value is None else float(value)
