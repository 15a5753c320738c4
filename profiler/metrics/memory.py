"""The peak memory of a run, from the right source: device tensors on an accelerator,
the worker's resident memory on the CPU. Never the host's RSS for a GPU run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from profiler.metrics import keys

#: device readings, best first: tensors' peak, tensors held, the driver's view
DEVICE_MEMORY_READINGS = ("peak_alloc_bytes", "alloc_bytes", "mem_used_bytes")


def peak_memory(result: Mapping[str, Any]) -> tuple[float | None, str]:
    """(bytes, what they are) of a result dict; (None, reason) when it was not measured."""
    telemetry = result.get("telemetry") or {}
    device = str(result.get("device") or "cpu")
    if device == "cpu":
        value = keys.stat(telemetry, keys.HOST, "process_rss_bytes", "max")
        return (value, "worker process RSS") if value else (None, "n/a: process memory was not sampled")
    for reading in DEVICE_MEMORY_READINGS:
        value = keys.stat(telemetry, device, reading, "max")
        if value:
            return value, f"{device} {reading.removesuffix('_bytes').replace('_', ' ')}"
    return None, f"n/a: {device} reported no memory readings"
