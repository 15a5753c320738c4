"""Memory held by torch's caching allocator, for any torch device.

Used beside a vendor backend (the allocator sees tensors, the driver sees the whole process)
and alone where no vendor library exists. cuda/xpu: ``memory_allocated``, ``memory_reserved``,
``max_memory_allocated`` (peak since the backend opened: opening resets the peak counter).
mps: ``current_allocated_memory`` and ``driver_allocated_memory``. cpu: nothing (tensors live in
the process heap; see host memory). Reads are cheap and safe from the sampler thread.
"""

from __future__ import annotations

import logging
from typing import Any

import torch

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
        if self._keys and self.kind in ("cuda", "xpu"):
            self._reset_peak()

    def _module(self) -> Any:
        return getattr(torch, self.kind)

    def _supported_keys(self) -> frozenset[str]:
        if self.kind in ("cuda", "xpu"):
            module = getattr(torch, self.kind, None)
            needed = ("memory_allocated", "memory_reserved", "max_memory_allocated")
            if module is None or not all(hasattr(module, n) for n in needed):
                self._unusable = f"this torch has no {self.kind} allocator statistics"
                return frozenset()
            try:
                usable = bool(module.is_available())
            except Exception:
                usable = False
            if not usable:
                self._unusable = f"torch cannot use any {self.kind} device here"
                return frozenset()
            return ALLOC_KEYS
        if self.kind == "mps":
            mps = getattr(torch.backends, "mps", None)
            if mps is None or not mps.is_available():
                self._unusable = "torch cannot use the Apple GPU (MPS) here"
                return frozenset()
            return ALLOC_KEYS | {"mem_used_bytes"}
        return frozenset()

    def _reset_peak(self) -> None:
        try:
            self._module().reset_peak_memory_stats(self.index)
        except Exception as exc:  # an uninitialised device: the peak is since process start
            log.debug("%s: reset_peak_memory_stats failed: %s", self.device_id, exc)

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
            module = self._module()
            return {
                "alloc_bytes": int(module.memory_allocated(self.index)),
                "reserved_bytes": int(module.memory_reserved(self.index)),
                "peak_alloc_bytes": int(module.max_memory_allocated(self.index)),
            }
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
