"""torch's device runtime for every kind it can drive: synchronise, time, read memory.

Below the device discovery and telemetry (``profiler.devices``) and the workloads: it
imports only torch and, when asked about their kinds, the plugins that extend it
(``habana_frameworks.torch``, ``torch_npu``, ``torch_xla``). See ``runtime`` for which API
drives which kind and ``ops`` for the calls.
"""

from profiler.accelerator.ops import (
    current_stream,
    device_count,
    empty_cache,
    events_supported,
    kind_available,
    memory_readable,
    memory_readings,
    reset_peak,
    set_device,
    synchronize,
)

__all__ = [
    "current_stream",
    "device_count",
    "empty_cache",
    "events_supported",
    "kind_available",
    "memory_readable",
    "memory_readings",
    "reset_peak",
    "set_device",
    "synchronize",
]
