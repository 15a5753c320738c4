"""The device and workload catalogue as plain data (``gui.runs.catalog_loader`` fills it). Qt-free."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class WorkloadInfo:
    """What the run controls need to know about a sample workload."""

    name: str
    title: str
    description: str
    sizes: tuple[str, ...]
    default_batch: dict[str, int]
    presets: dict[str, dict[str, int]] = field(default_factory=dict)
    knob_help: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Catalog:
    """Devices (``DeviceInfo``-like objects), workloads by name, the torch version, and for
    each usable device which precisions it can run ("" when it can, else the reason:
    ``profiler.runner.precision.supported_precisions``). ``support`` has one row per kind of
    accelerator (``profiler.devices.support.KindSupport.to_dict``: present, devices, reason,
    needs) and ``capabilities`` each usable device's capabilities
    (``profiler.devices.capabilities.Capability.to_dict``), both read on the loader thread."""

    devices: list[Any]
    workloads: dict[str, WorkloadInfo]
    torch_version: str
    precisions: dict[str, dict[str, str]] = field(default_factory=dict)
    support: list[dict[str, Any]] = field(default_factory=list)
    capabilities: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
