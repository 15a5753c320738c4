"""Devices that out-of-tree backends bring: Intel Gaudi (hpu), Huawei Ascend (npu), any other
PrivateUse1 backend, and TPUs through torch_xla. Only usable devices are listed here; why a
kind is absent is told by ``profiler.devices.support``.

Each function imports its plugin at most once per process (``profiler.accelerator.runtime``);
on a TPU VM, counting XLA devices starts the XLA runtime in the calling process.
"""

from __future__ import annotations

import logging
from typing import Any

from profiler.accelerator import runtime, xla
from profiler.devices.device_info import DeviceInfo

log = logging.getLogger(__name__)

VENDORS = {"hpu": "Intel", "npu": "Huawei"}
TITLES = {"hpu": "Intel Gaudi", "npu": "Huawei Ascend"}


def _props(module: Any, index: int) -> tuple[str | None, int | None]:
    name = None
    memory = None
    try:
        name = str(module.get_device_name(index))
    except Exception as exc:
        log.debug("get_device_name(%d) failed: %s", index, exc)
    try:
        memory = int(getattr(module.get_device_properties(index), "total_memory", 0)) or None
    except Exception as exc:
        log.debug("get_device_properties(%d) failed: %s", index, exc)
    return name, memory


def module_devices(kind: str, vendor: str | None = None, title: str | None = None) -> list[DeviceInfo]:
    """The usable devices of ``torch.<kind>`` (hpu, npu or a PrivateUse1 name)."""
    module = runtime.backend_module(kind)
    try:
        if module is None or not module.is_available():
            return []
        count = int(module.device_count())
    except Exception as exc:
        log.info("%s: asking torch for devices failed: %s", kind, exc)
        return []
    devices = []
    for i in range(count):
        name, memory = _props(module, i)
        devices.append(DeviceInfo(
            id=f"{kind}:{i}", kind=kind, name=name or f"{title or kind} device {i}",
            vendor=vendor or VENDORS.get(kind, ""), memory_bytes=memory,
            details={"backend": kind, "through_torch_accelerator": runtime.through_accelerator(kind)},
        ))
    return devices


def hpu_devices() -> list[DeviceInfo]:
    if runtime.load_plugin("hpu")[0] is None:
        return []
    return module_devices("hpu", title=TITLES["hpu"])


def npu_devices() -> list[DeviceInfo]:
    if runtime.load_plugin("npu")[0] is None:
        return []
    return module_devices("npu", title=TITLES["npu"])


def privateuse1_devices() -> list[DeviceInfo]:
    """Devices of a PrivateUse1 backend other than the ones listed by name above."""
    name = runtime.privateuse1_name()
    if name is None or name in ("hpu", "npu"):
        return []
    return module_devices(name, vendor="", title=f"{name} (PrivateUse1)")


def xla_devices() -> list[DeviceInfo]:
    if runtime.load_plugin("xla")[0] is None:
        return []
    count, reason = xla.device_count()
    if not count:
        log.info("torch_xla is installed but finds no device: %s", reason)
        return []
    hardware = xla.hardware() or "XLA"
    title = "Google TPU" if hardware == "TPU" else f"XLA {hardware}"
    out = []
    for i in range(count):
        memory = xla.memory_info(f"xla:{i}")
        out.append(DeviceInfo(id=f"xla:{i}", kind="xla", name=f"{title} {i}", vendor="Google" if hardware == "TPU"
                              else "", memory_bytes=memory[1] if memory else None, details={"hardware": hardware}))
    return out


def plugin_devices() -> list[DeviceInfo]:
    """Every usable device an out-of-tree backend brings (never raises)."""
    out: list[DeviceInfo] = []
    for probe in (hpu_devices, npu_devices, privateuse1_devices, xla_devices):
        try:
            out.extend(probe())
        except Exception:
            log.exception("device discovery %s failed", probe.__name__)
    return out
