"""One catalogue device: peaks per precision, memory, bandwidth, power and price, each sourced.

Every figure is a ``Figure`` that names where it came from and how old it is. A CPU also has
core groups (cores x clock x FLOP per cycle per precision), so a slice of it (the cores a run
used) can be derived: ``device.slice(2)`` is two cores of that CPU with their share of the
peak, bandwidth and power. Frozen dataclasses, no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

PRECISIONS = ("fp32", "tf32", "bf16", "fp16", "fp8")
CPU = "cpu"
CLASSES = ("cpu", "datacenter-gpu", "consumer-gpu", "apple-gpu", "tpu", "other-accelerator")
#: which classes share an efficiency: CUDA/ROCm GPUs are one family, Apple's GPU another
FAMILY = {"cpu": "cpu", "datacenter-gpu": "gpu", "consumer-gpu": "gpu", "apple-gpu": "apple-gpu",
          "tpu": "tpu", "other-accelerator": "other"}


def section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """``data[key]`` when it is an object (a result dict's ``spec``, ``environment``...), else {}."""
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class Figure:
    """A number with its source and the date it describes (ISO ``YYYY-MM-DD``, or None).

    ``epoch`` marks figures from Epoch AI's dataset: output showing one must carry the credit.
    """

    value: float
    source: str
    as_of: str | None = None
    epoch: bool = False

    def age_days(self, today: dt.date | None = None) -> int | None:
        if not self.as_of:
            return None
        try:
            day = dt.date.fromisoformat(self.as_of[:10])
        except ValueError:
            return None
        return ((today or dt.date.today()) - day).days

    def scaled(self, factor: float, how: str) -> Figure:
        return replace(self, value=self.value * factor, source=f"{self.source} ({how})")


@dataclass(frozen=True)
class CoreGroup:
    """``cores`` CPU cores at ``clock_ghz`` doing ``flops_per_cycle[precision]`` each."""

    cores: int
    clock_ghz: float
    flops_per_cycle: Mapping[str, float]
    isa: str = ""

    def peak(self, precision: str, cores: int | None = None) -> float | None:
        per_cycle = self.flops_per_cycle.get(precision)
        if per_cycle is None:
            return None
        return (self.cores if cores is None else cores) * self.clock_ghz * 1e9 * per_cycle


@dataclass(frozen=True)
class HardwareDevice:
    """A device of the catalogue. ``peaks`` maps precision -> dense peak FLOP/s (a missing
    precision has no figure: n/a). ``patterns`` are regexes searched in torch's device name
    (accelerators) or the CPU model name (CPUs)."""

    id: str
    name: str
    vendor: str
    device_class: str
    peaks: Mapping[str, Figure] = field(default_factory=dict)
    memory_bytes: Figure | None = None
    bandwidth_bytes_per_s: Figure | None = None
    tdp_w: Figure | None = None
    release_date: str | None = None
    release_price_usd: Figure | None = None
    featured: bool = False
    patterns: tuple[str, ...] = ()
    core_groups: tuple[CoreGroup, ...] = ()
    cache_bytes: Figure | None = None  # CPU: last-level cache of the chip
    unified_memory: bool = False
    estimate: bool = False
    notes: tuple[str, ...] = ()
    origin: str = ""
    #: a GPU's architecture ("NVIDIA Ampere": ``architecture.architecture_of``); None: not known
    architecture: str | None = None

    @property
    def family(self) -> str:
        """Efficiency family: ``cpu``, ``gpu``, ``apple-gpu``, ``tpu`` or ``other``."""
        return FAMILY.get(self.device_class, "other")

    @property
    def is_cpu(self) -> bool:
        return self.device_class == CPU

    @property
    def cores(self) -> int | None:
        return sum(g.cores for g in self.core_groups) if self.core_groups else None

    def peak(self, precision: str) -> Figure | None:
        return self.peaks.get(precision)

    def uses_epoch(self) -> bool:
        figures = [*self.peaks.values(), self.memory_bytes, self.bandwidth_bytes_per_s, self.tdp_w,
                   self.release_price_usd]
        return any(f is not None and f.epoch for f in figures)

    def slice(self, cores: int) -> HardwareDevice:
        """``cores`` cores of this CPU (the fastest groups first) with their share of the peak,
        bandwidth and power; the whole chip when ``cores`` covers it."""
        total = self.cores
        if not self.is_cpu or not total or cores <= 0:
            raise ValueError(f"{self.id} is not a CPU with known cores; cannot take {cores} cores of it")
        if cores == total and self.origin != "generic":
            return self
        groups, left = [], cores
        for group in self.core_groups:
            take = min(left, group.cores)
            if take > 0:
                groups.append(replace(group, cores=take))
            left -= take
        if left > 0:  # more cores than the part has (generic rows describe one core)
            last = groups[-1] if groups else self.core_groups[-1]
            groups[-1] = replace(last, cores=last.cores + left)
        share = cores / total
        how = f"{cores} of {total} cores" if cores < total else f"{cores} cores"
        peaks = {}
        for precision, figure in self.peaks.items():
            value = sum(g.peak(precision) or 0.0 for g in groups)
            peaks[precision] = replace(figure, value=value, source=f"{figure.source} ({how})")

        def scale(figure: Figure | None) -> Figure | None:
            return figure.scaled(share, how) if figure is not None else None

        return replace(
            self, id=f"{self.id}@{cores}c", name=f"{self.name}, {cores} core{'s' if cores != 1 else ''}",
            peaks=peaks, bandwidth_bytes_per_s=scale(self.bandwidth_bytes_per_s), tdp_w=scale(self.tdp_w),
            release_price_usd=None, core_groups=tuple(groups), featured=False,
        )

    def with_memory(self, memory_bytes: float, source: str) -> HardwareDevice:
        return replace(self, memory_bytes=Figure(memory_bytes, source))
