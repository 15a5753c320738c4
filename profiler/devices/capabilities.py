"""What a device can tell and do for a measurement: sync, events, memory, utilization, power,
temperature, energy; each either supported (with what provides it) or n/a with the reason.

Runtime capabilities are probed through ``profiler.accelerator``; vendor readings through the
device's telemetry backends, which are opened and closed here (call it off the GUI thread).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from profiler import accelerator
from profiler.accelerator.runtime import has_memory_api, through_accelerator
from profiler.devices.discovery import DeviceInfo
from profiler.devices.kinds import CAPABILITIES, READING_OF, kind_row
from profiler.devices.registry import close_backends, merge_capabilities, open_backends


@dataclass(frozen=True)
class Capability:
    """``detail``: what provides it when ``supported``, else why it is n/a."""

    name: str
    supported: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        return f"{self.name}: {self.detail}" if self.supported else f"{self.name}: n/a ({self.detail})"


def _runtime(kind: str) -> str:
    return "torch.accelerator" if through_accelerator(kind) else f"torch.{kind}"


def _sync(info: DeviceInfo) -> Capability:
    if info.kind == "cpu":
        return Capability("sync", True, "synchronous: CPU work is done when the call returns")
    if info.kind == "xla":
        return Capability("sync", True, "torch_xla.sync() then xm.wait_device_ops() (marking a step alone "
                                        "would measure only tracing)")
    return Capability("sync", True, f"{_runtime(info.kind)}.synchronize")


def _events(info: DeviceInfo) -> Capability:
    if accelerator.events_supported(info.id):
        return Capability("events", True, "torch.Event timing on the device's stream")
    why = {"cpu": "the CPU has no device events; steps are timed with perf_counter",
           "xla": "XLA has no torch events; each step is timed around a full sync"}.get(
        info.kind, "torch.Event does not work on this device; each step is synchronised instead")
    return Capability("events", False, why)


def _memory(info: DeviceInfo) -> Capability:
    why = accelerator.memory_readable(info.id)
    if why:
        return Capability("memory", False, why)
    how = {"mps": "torch.mps allocator and Metal driver memory", "xla": "xm.get_memory_info"}.get(info.kind)
    if how is None:
        how = "torch.accelerator.memory_stats" if through_accelerator(info.kind) and has_memory_api() \
            else f"torch.{info.kind} allocator statistics"
    return Capability("memory", True, how)


def _row_key(info: DeviceInfo) -> str:
    if info.kind == "cuda":
        return "rocm" if info.vendor == "AMD" else "cuda"
    try:
        kind_row(info.kind)
        return info.kind
    except KeyError:
        return "privateuse1"


def device_capabilities(info: DeviceInfo) -> list[Capability]:
    """Every capability of a usable device, in ``CAPABILITIES`` order."""
    caps = [_sync(info), _events(info), _memory(info)]
    row = kind_row(_row_key(info))
    backends = open_backends(info.id, str(info.details.get("uuid") or "") or None)
    try:
        telemetry = merge_capabilities(backends)
        names = ", ".join(b.backend for b in backends) or "no backend"
    finally:
        close_backends(backends)
    for name in CAPABILITIES[3:]:
        if name == "utilization" and info.kind == "cpu":
            caps.append(Capability(name, True, "host CPU utilization (psutil)"))
            continue
        reading = READING_OF[name]
        if telemetry.supports(reading):
            caps.append(Capability(name, True, names))
        else:
            caps.append(Capability(name, False, row.telemetry.get(name) or telemetry.why_missing(reading)
                                   or "not reported"))
    return caps
