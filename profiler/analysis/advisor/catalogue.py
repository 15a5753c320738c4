"""The advisor's hardware catalogue: accelerators, CPUs, cloud prices, and the user's rows.

``load_catalogue()`` joins the shipped files (Epoch AI's data with the datasheet peak table,
CPUs, Apple GPUs, dated cloud prices) and applies ``hardware.json`` from the user config dir
(``OverrideError`` for a bad row). ``credits()`` is the text an About box or a report shows
for the data it uses.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from profiler.analysis.advisor.accelerators import shipped_accelerators
from profiler.analysis.advisor.architecture import architecture_of
from profiler.analysis.advisor.cloud import CloudPrice, shipped_prices
from profiler.analysis.advisor.cpus import shipped_cpus
from profiler.analysis.advisor.epoch import EPOCH_CREDIT
from profiler.analysis.advisor.hardware import HardwareDevice
from profiler.analysis.advisor.overrides import Overrides, apply_row, load_overrides
from profiler.devices.peaks import match_device

PEAK_TABLE_CREDIT = "Datasheet peaks: resources/peak_flops.json (vendor datasheets, one source per row)"


@dataclass(frozen=True)
class Catalogue:
    """Every device and price the advisor can use; ``generic_cpus`` are per-core CPU classes
    (with their /proc/cpuinfo match) for machines whose CPU name names no part."""

    devices: tuple[HardwareDevice, ...]
    generic_cpus: tuple[tuple[HardwareDevice, dict[str, Any]], ...]
    prices: tuple[CloudPrice, ...]
    override_file: str | None = None

    def get(self, device_id: str) -> HardwareDevice | None:
        return next((d for d in self.devices if d.id == device_id), None)

    def featured(self) -> tuple[HardwareDevice, ...]:
        return tuple(d for d in self.devices if d.featured)

    def cpus(self) -> tuple[HardwareDevice, ...]:
        return tuple(d for d in self.devices if d.is_cpu)

    def prices_for(self, device_id: str) -> list[CloudPrice]:
        """Cloud prices of a device, cheapest first (the user's own rows first at equal price)."""
        base = device_id.split("@", 1)[0]
        rows = [p for p in self.prices if p.device == base]
        return sorted(rows, key=lambda p: (p.usd_per_h, not p.user))

    def match_accelerator(self, torch_name: str) -> HardwareDevice | None:
        """The catalogue accelerator of a torch device name ('NVIDIA H100 80GB HBM3'), or None."""
        name = torch_name.strip()
        if not name:
            return None
        peak = match_device(name)
        if peak is not None:
            for device in self.devices:
                if not device.is_cpu and peak.pattern.pattern in device.patterns:
                    return device
        for device in self.devices:
            if not device.is_cpu and any(re.search(p, name, re.IGNORECASE) for p in device.patterns):
                return device
        return None

    def uses_epoch(self, devices: list[HardwareDevice] | None = None) -> bool:
        return any(d.uses_epoch() for d in (devices if devices is not None else self.devices))

    def to_dict(self, today: dt.date | None = None) -> dict[str, Any]:
        return {"devices": [device_to_dict(d, today) for d in self.devices],
                "prices": [p.to_dict() for p in self.prices], "override_file": self.override_file,
                "credits": credits()}


def device_to_dict(device: HardwareDevice, today: dt.date | None = None) -> dict[str, Any]:
    def fig(f: Any) -> dict[str, Any] | None:
        if f is None:
            return None
        return {"value": f.value, "source": f.source, "as_of": f.as_of, "age_days": f.age_days(today),
                "epoch": f.epoch}

    return {
        "id": device.id, "name": device.name, "vendor": device.vendor, "class": device.device_class,
        "peak_flops_per_s": {p: fig(f) for p, f in device.peaks.items()},
        "memory_bytes": fig(device.memory_bytes), "bandwidth_bytes_per_s": fig(device.bandwidth_bytes_per_s),
        "tdp_w": fig(device.tdp_w), "release_date": device.release_date,
        "release_price_usd": fig(device.release_price_usd), "cores": device.cores, "featured": device.featured,
        "estimate": device.estimate, "notes": list(device.notes), "origin": device.origin,
    }


def credits() -> list[str]:
    """Credit lines for the data the advisor ships (for an About box or a report footer)."""
    return [EPOCH_CREDIT, PEAK_TABLE_CREDIT,
            "CPU, Apple GPU and cloud price rows: vendor and provider pages, one URL per row "
            "(resources/hardware/cpus.json, accelerators.json, cloud_prices.json)"]


def build_catalogue(overrides: Overrides) -> Catalogue:
    named_cpus, generic = shipped_cpus()
    devices: dict[str, HardwareDevice] = {d.id: d for d in (*shipped_accelerators(), *named_cpus)}
    for row in overrides.devices:
        devices[row["id"]] = apply_row(devices.get(row["id"]), row, overrides.path or "")
    named = tuple(_with_architecture(d) for d in devices.values())
    return Catalogue(named, generic, (*shipped_prices(), *overrides.prices), overrides.path)


def _with_architecture(device: HardwareDevice) -> HardwareDevice:
    """A GPU with its architecture read from its name, unless a row set it."""
    if device.family != "gpu" or device.architecture:
        return device
    return replace(device, architecture=architecture_of(device.name, device.vendor))


def load_catalogue(overrides_file: str | Path | None = None, use_overrides: bool = True) -> Catalogue:
    """The shipped catalogue plus the user's ``hardware.json`` (``OverrideError`` if bad)."""
    if not use_overrides:
        return build_catalogue(Overrides())
    named_cpus, _ = shipped_cpus()
    known = {d.id for d in (*shipped_accelerators(), *named_cpus)}
    path = Path(overrides_file) if overrides_file is not None else None
    return build_catalogue(load_overrides(known, path))
