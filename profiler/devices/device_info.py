"""What the engine knows of one device: plain data (``profiler.devices.discovery`` finds them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class DeviceInfo:
    """One device (or one unusable device kind, with ``reason`` saying why)."""

    id: str  # torch device string: "cpu", "cuda:0", "mps", "xpu:0", "hpu:0", "xla:0"; "cuda" when unavailable
    kind: str  # torch's device type: "cpu" | "cuda" | "mps" | "xpu" | "hpu" | "npu" | "xla" | a PrivateUse1 name
    name: str
    vendor: str
    available: bool = True
    reason: str = ""  # why not available, for a user
    memory_bytes: int | None = None
    compute_units: int | None = None  # cores (CPU) or multiprocessors / compute units
    compute_unit_name: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
