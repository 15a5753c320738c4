"""Datasheet peak FLOP/s per device and precision, from ``resources/peak_flops.json``.

Figures are dense (never the 2:4-sparsity number) and every row names its source. Lookup
matches each row's case-insensitive regex against torch's device name; when several rows match,
the one whose match covers the most text wins (so "H100 PCIe" beats a bare "H100"). An unknown
device gives None, never a guess; so does a MIG slice, which has only part of the GPU.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

PRECISIONS = ("fp32", "tf32", "bf16", "fp16")
TABLE_FILE = "peak_flops.json"
_MIG = re.compile(r"\bMIG\b", re.IGNORECASE)


@dataclass(frozen=True)
class PeakRow:
    """One device row: ``flops`` maps precision -> dense peak FLOP/s."""

    name: str
    vendor: str
    pattern: re.Pattern[str]
    flops: dict[str, float]
    source: str
    estimate: bool = False
    no_tf32: bool = False

    def match_len(self, device_name: str) -> int:
        found = self.pattern.search(device_name)
        return (found.end() - found.start()) if found else -1


def read_resource_text(name: str) -> str:
    """A shipped data file's text, through importlib.resources (works in wheels and frozen apps)."""
    try:
        return resources.files("resources").joinpath(name).read_text(encoding="utf-8")
    except (OSError, TypeError):
        # An editable install made before resources/__init__.py existed maps "resources" as a
        # namespace package whose path mixes a directory and a path hook; read the directory.
        import resources as package

        for entry in getattr(package, "__path__", []):
            candidate = Path(entry) / name
            if candidate.is_file():
                return candidate.read_text(encoding="utf-8")
        raise


@lru_cache(maxsize=1)
def load_table() -> tuple[PeakRow, ...]:
    """All rows of the shipped table (loaded once)."""
    rows = []
    text = read_resource_text(TABLE_FILE)
    for raw in json.loads(text)["devices"]:
        rows.append(
            PeakRow(
                name=raw["name"],
                vendor=raw["vendor"],
                pattern=re.compile(raw["pattern"], re.IGNORECASE),
                flops={k: float(v) for k, v in raw["flops"].items()},
                source=raw["source"],
                estimate=bool(raw.get("estimate", False)),
                no_tf32=bool(raw.get("no_tf32", False)),
            )
        )
    return tuple(rows)


def match_device(device_name: str) -> PeakRow | None:
    """The most specific row for ``device_name`` (e.g. 'NVIDIA H100 PCIe'), or None."""
    name = device_name.strip()
    if not name or _MIG.search(name):
        return None
    best: tuple[int, int, PeakRow] | None = None
    for row in load_table():
        length = row.match_len(name)
        if length < 0:
            continue
        key = (length, len(row.pattern.pattern))
        if best is None or key > best[:2]:
            best = (*key, row)
    return best[2] if best else None


def datasheet_peak(device_name: str, precision: str) -> tuple[float, str] | None:
    """(dense peak FLOP/s, source) for a device name and precision; None when not in the table.

    ``precision`` is one of fp32, tf32, bf16, fp16. tf32 on a device without TF32 units
    (V100, T4, MI100/MI200, Apple) gives the FP32 peak, since torch then runs plain FP32.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose from {', '.join(PRECISIONS)}")
    row = match_device(device_name)
    if row is None:
        return None
    source = f"{row.name}: {row.source}"
    if precision in row.flops:
        return row.flops[precision], source
    if precision == "tf32" and row.no_tf32 and "fp32" in row.flops:
        return row.flops["fp32"], f"{source} (no TF32 units: FP32 peak)"
    return None
