"""For each kind of device (``profiler.devices.kinds``): is it here, and if not, why and what it needs.

``kind_support`` is plain data for ``horsepower devices`` and a window's device picker: one
``KindSupport`` per kind, present or absent, never raising.
"""

from __future__ import annotations

import logging
import platform
from dataclasses import asdict, dataclass
from typing import Any

import torch

from profiler.accelerator import runtime, xla
from profiler.devices.discovery import DeviceInfo, cuda_unavailable_reason, list_devices
from profiler.devices.kinds import KINDS, DeviceKind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KindSupport:
    """``present``: torch can train on ``devices`` here; otherwise ``reason`` says why not and
    ``needs`` what would make it work. ``trainable`` is False for a kind PyTorch cannot train on."""

    key: str
    title: str
    present: bool
    devices: tuple[str, ...]
    reason: str
    needs: str
    trainable: bool = True

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["devices"] = list(self.devices)
        return out

    def line(self) -> str:
        if self.present:
            return f"{self.title}: {len(self.devices)} device(s): {', '.join(self.devices)}"
        if not self.trainable:
            return f"{self.title}: not a training target: {self.needs}"
        return f"{self.title}: absent: {self.reason}; needs {self.needs}"


def _is_rocm() -> bool:
    return getattr(torch.version, "hip", None) is not None


def _cuda_reason(row: DeviceKind) -> str:
    amd = row.key == "rocm"
    if torch.version.cuda is None and not _is_rocm():
        return cuda_unavailable_reason()
    if amd and not _is_rocm():
        return f"this torch is a CUDA build ({torch.__version__}); AMD GPUs need a ROCm build"
    if not amd and _is_rocm():
        return f"this torch is a ROCm build ({torch.__version__}); NVIDIA GPUs need a CUDA build"
    return cuda_unavailable_reason()


def _mps_reason() -> str:
    if platform.system() != "Darwin":
        return "MPS exists only on macOS"
    mps = getattr(torch.backends, "mps", None)
    if mps is None or not mps.is_built():
        return "this torch was built without MPS"
    return "MPS needs macOS 12.3+ on Apple silicon"


def _module_reason(kind: str) -> str:
    if kind in runtime.PLUGINS:
        module, why = runtime.load_plugin(kind)
        if module is None:
            return why
    if kind == "xla":
        _, why = xla.device_count()
        return why or "torch_xla finds no TPU"
    if getattr(torch, kind, None) is None:
        return f"this torch has no {kind} support"
    return f"torch.{kind} finds no device"


def _reason(row: DeviceKind) -> str:
    if row.key in ("cuda", "rocm"):
        return _cuda_reason(row)
    if row.key == "mps":
        return _mps_reason()
    if row.key == "privateuse1":
        name = runtime.privateuse1_name()
        if name is None or name in ("hpu", "npu"):
            return "no other PrivateUse1 backend is registered in this torch"
        return f"the {name} backend is registered but finds no device"
    return _module_reason(row.kind)


def _devices_of(row: DeviceKind, devices: list[DeviceInfo]) -> tuple[str, ...]:
    usable = [d for d in devices if d.available]
    if row.key in ("cuda", "rocm"):
        vendor = "AMD" if row.key == "rocm" else "NVIDIA"
        return tuple(d.id for d in usable if d.kind == "cuda" and d.vendor == vendor)
    if row.key == "privateuse1":
        name = runtime.privateuse1_name()
        return tuple(d.id for d in usable if name and d.kind == name and name not in ("hpu", "npu"))
    return tuple(d.id for d in usable if d.kind == row.kind) if row.kind else ()


def kind_support(devices: list[DeviceInfo] | None = None) -> list[KindSupport]:
    """One entry per kind in ``KINDS`` order (``devices`` defaults to ``list_devices()``)."""
    devices = list_devices() if devices is None else devices
    out = []
    for row in KINDS:
        try:
            found = _devices_of(row, devices)
            reason = "" if found or not row.trainable else _reason(row)
        except Exception as exc:  # one broken plugin must not hide the other kinds
            log.exception("support check of %s failed", row.key)
            found, reason = (), f"checking failed: {type(exc).__name__}: {exc}"
        out.append(KindSupport(row.key, row.title, bool(found), found, reason, row.needs, row.trainable))
    return out
