"""Which telemetry backends read a device, merging their readings, and a report for users.

``open_backends`` never raises: a vendor library that is missing or broken leaves the torch
allocator backend, whose capabilities carry the reason (and the reason is logged).
``merge_readings`` gives one dict per device, vendor readings first. ``accelerator_report``
explains in plain lines what telemetry exists on this machine and why an accelerator is not usable.
"""

from __future__ import annotations

import logging
from typing import Any

import torch

from profiler.accelerator.runtime import privateuse1_name
from profiler.devices.allocator import AllocatorBackend, device_index
from profiler.devices.telemetry import Capabilities, TelemetryBackend, TelemetryError

log = logging.getLogger(__name__)

#: readings only a vendor backend gives; their reason is set when the vendor backend is missing
VENDOR_KEYS = (
    "util_percent",
    "mem_used_bytes",
    "mem_total_bytes",
    "power_w",
    "power_limit_w",
    "energy_j",
    "temp_c",
    "sm_clock_mhz",
    "sm_clock_max_mhz",
    "mem_clock_mhz",
    "mem_clock_max_mhz",
    "throttle_reasons",
)


def _is_rocm() -> bool:
    return getattr(torch.version, "hip", None) is not None


def torch_device_uuid(index: int) -> str | None:
    """torch's UUID for cuda:index, or None when CUDA is unavailable."""
    try:
        if not torch.cuda.is_available():
            return None
        uuid = getattr(torch.cuda.get_device_properties(index), "uuid", None)
        return str(uuid) if uuid else None
    except Exception as exc:
        log.debug("no UUID for cuda:%d: %s", index, exc)
        return None


def torch_device_bdf(index: int) -> str | None:
    """PCI address 'dddd:bb:dd.0' of cuda:index where this torch reports it."""
    try:
        props = torch.cuda.get_device_properties(index)
        bus = getattr(props, "pci_bus_id", None)
        if bus is None:
            return None
        return f"{getattr(props, 'pci_domain_id', 0):04x}:{bus:02x}:{getattr(props, 'pci_device_id', 0):02x}.0"
    except Exception:
        return None


def _open_gpu(device_id: str, device_uuid: str | None) -> list[TelemetryBackend]:
    index = device_index(device_id)
    uuid = device_uuid or torch_device_uuid(index)
    vendor_name = "AMD" if _is_rocm() else "NVIDIA"
    try:
        if _is_rocm():
            from profiler.devices.amd import AmdSmiBackend

            vendor: TelemetryBackend = AmdSmiBackend(device_id, uuid=uuid, bdf=torch_device_bdf(index))
        else:
            from profiler.devices.nvml import NvmlBackend

            vendor = NvmlBackend(device_id, uuid)
    except TelemetryError as exc:
        reason = f"{vendor_name} telemetry unavailable: {exc}"
        log.warning("%s: %s; showing torch allocator memory only", device_id, reason)
        return [AllocatorBackend(device_id, extra_missing=dict.fromkeys(VENDOR_KEYS, reason))]
    return [vendor, AllocatorBackend(device_id)]


def open_backends(device_id: str, device_uuid: str | None = None) -> list[TelemetryBackend]:
    """Backends that read ``device_id`` ('cuda:0', 'mps', 'xpu:0', 'hpu:0', 'xla:0', 'cpu', 'sim:0');
    never raises.

    ``device_uuid`` is torch's UUID for a CUDA/ROCm device (looked up from torch when None).
    The caller owns the backends and must ``close()`` each one.
    """
    kind = device_id.split(":")[0]
    try:
        if kind == "sim":
            from profiler.devices.simulated import SimulatedBackend

            return [SimulatedBackend(device_id)]
        if kind == "cuda":
            return _open_gpu(device_id, device_uuid)
        if kind == "mps":
            from profiler.devices.mps import MpsBackend

            return [MpsBackend(device_id)]
        if kind == "xpu":
            from profiler.devices.xpu import XpuBackend

            return [XpuBackend(device_id)]
        if kind == "cpu":
            from profiler.devices.rapl import RaplBackend

            return [RaplBackend(device_id)]
        if kind in ("hpu", "npu", "xla") or kind == privateuse1_name():
            # out-of-tree backends: torch's allocator, no vendor library
            return [AllocatorBackend(device_id, extra_missing=plugin_missing(kind))]
    except Exception:
        log.exception("%s: opening telemetry failed; no device telemetry for this run", device_id)
        return []
    log.warning("%s: no telemetry backend for device kind %r", device_id, kind)
    return []


def plugin_missing(kind: str) -> dict[str, str]:
    """Why the vendor readings of an out-of-tree kind (hpu, npu, xla, PrivateUse1) are n/a."""
    from profiler.devices.kinds import READING_OF, kind_row

    try:
        row = kind_row(kind)
    except KeyError:
        row = kind_row("privateuse1")
    missing = {READING_OF[cap]: why for cap, why in row.telemetry.items() if cap in READING_OF}
    if "power_w" in missing:
        missing["power_limit_w"] = missing["power_w"]
    return missing


def merge_readings(backends: list[TelemetryBackend]) -> dict[str, Any]:
    """One reading dict for one device: the first backend with a non-None value wins per key."""
    merged: dict[str, Any] = {}
    for backend in backends:
        try:
            reading = backend.read()
        except Exception:  # read() must not raise; a broken backend must not stop the sampler
            log.exception("%s backend %s raised from read()", backend.device_id, backend.backend)
            continue
        for key, value in reading.items():
            if merged.get(key) is None:
                merged[key] = value
    return merged


def merge_capabilities(backends: list[TelemetryBackend]) -> Capabilities:
    """What the backends of one device can read together, and why the rest is n/a."""
    readings: set[str] = set()
    reasons: dict[str, str] = {}
    for backend in backends:
        caps = backend.capabilities
        readings |= caps.readings
        for key, why in caps.missing_reasons.items():
            reasons.setdefault(key, why)
    return Capabilities(frozenset(readings), {k: v for k, v in reasons.items() if k not in readings})


def device_status(backends: list[TelemetryBackend]) -> str:
    """'lost' when any backend lost its device, else 'ok'."""
    return "lost" if any(b.status == "lost" for b in backends) else "ok"


def close_backends(backends: list[TelemetryBackend]) -> None:
    for backend in backends:
        try:
            backend.close()
        except Exception:
            log.exception("closing %s backend for %s failed", backend.backend, backend.device_id)


def accelerator_report() -> list[str]:
    """Lines for ``horsepower devices``: telemetry available here and why accelerators are not."""
    from profiler.devices.report import report_lines

    try:
        return report_lines()
    except Exception as exc:  # a report must never break the devices command
        log.exception("accelerator report failed")
        return [f"telemetry report failed: {exc}"]


__all__ = [
    "accelerator_report",
    "close_backends",
    "device_status",
    "merge_capabilities",
    "merge_readings",
    "open_backends",
]
