"""The CPU datapath table (``resources/cpu_flops.json``): which FMA units a core has.

A row matches an x86 CPU by vendor, CPUID family and model; an Apple CPU by its brand string.
A row is refused when the CPU reports a key ISA flag the row's microarchitecture does not
have: the family/model is then not the real one (hypervisors report made-up models; this
project's machines say Rocket Lake, model 167, and expose AMX), and the FMA microbenchmark
decides instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from profiler.devices.cpu_identity import CpuIdentity
from profiler.devices.peaks import read_resource_text

TABLE_FILE = "cpu_flops.json"
#: ISA flags whose presence says which microarchitecture generation a core belongs to
KEY_FLAGS = ("fma", "avx2", "avx512f", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_fp16")


@dataclass(frozen=True)
class CpuRow:
    """One microarchitecture. ``fma_pipes``/``pipe_bits`` None: differs by SKU/product (measure)."""

    name: str
    vendor: str
    family: int | None
    models: tuple[tuple[int, int], ...]
    brand_pattern: re.Pattern[str] | None
    fma_pipes: int | None
    pipe_bits: int | None
    features: frozenset[str]
    source: str
    note: str = ""
    max_clock_ghz: float | None = None
    clock_source: str = ""

    def matches(self, cpu: CpuIdentity) -> bool:
        if self.vendor != cpu.vendor:
            return False
        if self.brand_pattern is not None:
            return bool(self.brand_pattern.search(cpu.model_name))
        if cpu.family != self.family or cpu.model is None:
            return False
        return any(lo <= cpu.model <= hi for lo, hi in self.models)

    def missing_features(self, cpu: CpuIdentity) -> list[str]:
        """Key ISA flags ``cpu`` reports that this microarchitecture does not have (x86 only)."""
        if self.brand_pattern is not None:
            return []
        return [f for f in KEY_FLAGS if cpu.has(f) and f not in self.features]


@lru_cache(maxsize=1)
def load_rows() -> tuple[CpuRow, ...]:
    """Every row of the shipped table (loaded once)."""
    rows = []
    for raw in json.loads(read_resource_text(TABLE_FILE))["rows"]:
        pattern = raw.get("brand_pattern")
        rows.append(CpuRow(
            name=raw["name"],
            vendor=raw["vendor"],
            family=raw.get("family"),
            models=tuple((int(lo, 16), int(hi, 16)) for lo, hi in raw.get("models", [])),
            brand_pattern=re.compile(pattern) if pattern else None,
            fma_pipes=raw["fma_pipes"],
            pipe_bits=raw["pipe_bits"],
            features=frozenset(raw["features"]),
            source=raw["source"],
            note=raw.get("note", ""),
            max_clock_ghz=raw.get("max_clock_ghz"),
            clock_source=raw.get("clock_source", ""),
        ))
    return tuple(rows)


@dataclass(frozen=True)
class RowMatch:
    """The table's answer for a CPU: ``row`` (None: no usable row) and, when none, ``reason``."""

    row: CpuRow | None
    reason: str = ""


def match_cpu(cpu: CpuIdentity, rows: tuple[CpuRow, ...] | None = None) -> RowMatch:
    """The row describing ``cpu``; a matching row whose ISA contradicts the CPU's is refused."""
    for row in rows if rows is not None else load_rows():
        if not row.matches(cpu):
            continue
        missing = row.missing_features(cpu)
        if missing:
            return RowMatch(None, f"the reported family {cpu.family} model {cpu.model} ({row.name}) has no "
                                  f"{', '.join(missing)}, which this CPU reports: the model number is not the "
                                  f"real one (common in virtual machines)")
        return RowMatch(row)
    where = (f"family {cpu.family} model {cpu.model}" if cpu.family is not None
             else repr(cpu.model_name or cpu.arch))
    return RowMatch(None, f"no table row for {cpu.vendor} {where}")
