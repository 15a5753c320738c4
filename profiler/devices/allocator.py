"""Memory held by torch's caching allocator, for any torch device.

Used beside a vendor backend (the allocator sees tensors, the driver sees the whole process)
and alone where no vendor library exists. Every kind torch drives (cuda, xpu, hpu, npu, a
PrivateUse1 backend, xla) is read through ``profiler.accelerator``: ``torch.accelerator``'s memory
API where this torch has it, the kind's own module otherwise; the peak is since the backend
opened (opening resets the peak counter). mps: ``current_allocated_memory`` and
``driver_allocated_memory``, with the peak kept here. cpu: nothing (tensors live in the process
heap; see host memory). Reads are cheap and safe from the sampler thread.
"""

from __future__ import annotations

import logging
from typing import Any

import torch

from profiler import accelerator
from profiler.devices.telemetry import Capabilities, TelemetryBackend, none_reading

log = logging.getLogger(__name__)

ALLOC_KEYS = frozenset({"alloc_bytes", "reserved_bytes", "peak_alloc_bytes"})
CPU_REASON = "CPU tensors live in the process heap; see the host's memory readings"


def device_index(device_id: str) -> int:
    """The index in 'cuda:1' (0 when absent)."""
    _, _, index = device_id.partition(":")
    return int(index) if index else 0


class AllocatorBackend(TelemetryBackend):
    """torch caching-allocator memory for one device.

    ``extra_missing`` adds reasons for readings this backend cannot give, e.g. why the vendor
    backend that would have given power is unavailable; they show up in ``capabilities``.
    """

    backend = "torch-allocator"

    def __init__(self, device_id: str, extra_missing: dict[str, str] | None = None) -> None:
        super().__init__(device_id)
        self.kind = device_id.split(":")[0]
        self.index = device_index(device_id)
        self._extra_missing = dict(extra_missing or {})
        self._mps_peak = 0
        self._unusable = "no allocator statistics for this device"
        self._keys = self._supported_keys()
        if self._keys and self.kind != "mps":
            self._reset_peak()

    def _supported_keys(self) -> frozenset[str]:
        if self.kind == "cpu":
            return frozenset()
        if self.kind == "mps":
            mps = getattr(torch.backends, "mps", None)
            if mps is None or not mps.is_available():
                self._unusable = "torch cannot use the Apple GPU (MPS) here"
                return frozenset()
            return ALLOC_KEYS | {"mem_used_bytes"}
        why = accelerator.memory_readable(self.device_id)
        if why:
            self._unusable = why
            return frozenset()
        if not accelerator.kind_available(self.kind):
            self._unusable = f"torch cannot use any {self.kind} device here"
            return frozenset()
        return ALLOC_KEYS

    def _reset_peak(self) -> None:
        accelerator.reset_peak(self.device_id)  # never raises: an uninitialised device keeps its peak

    @property
    def capabilities(self) -> Capabilities:
        missing = dict(self._extra_missing)
        if self.kind == "cpu":
            missing.update(dict.fromkeys(ALLOC_KEYS, CPU_REASON))
        elif not self._keys:
            missing.update(dict.fromkeys(ALLOC_KEYS, self._unusable))
        return Capabilities(self._keys, missing)

    def read(self) -> dict[str, Any]:
        if self.kind == "cpu" or not self._keys:
            return none_reading(ALLOC_KEYS)
        try:
            if self.kind == "mps":
                return self._read_mps()
            readings = accelerator.memory_readings(self.device_id)
            return {key: readings.get(key) for key in sorted(self._keys)}
        except Exception as exc:
            log.debug("%s: allocator query failed: %s", self.device_id, exc)
            return none_reading(self._keys)

    def _read_mps(self) -> dict[str, Any]:
        alloc = int(torch.mps.current_allocated_memory())
        self._mps_peak = max(self._mps_peak, alloc)
        driver = int(torch.mps.driver_allocated_memory())
        return {
            "alloc_bytes": alloc,
            "reserved_bytes": driver,
            "peak_alloc_bytes": self._mps_peak,
            "mem_used_bytes": driver,
        }
