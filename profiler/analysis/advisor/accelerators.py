"""Accelerators of the catalogue: Epoch AI rows joined with the datasheet peak table.

``resources/hardware/accelerators.json`` lists which Epoch row joins which row of
``resources/peak_flops.json`` (whose dense FLOP figures win, see ``profiler.devices.peaks``),
plus devices Epoch lacks. Every other Epoch row is kept as it is (figures from Epoch alone).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any

from profiler.analysis.advisor.epoch import EpochRow, load_epoch
from profiler.analysis.advisor.hardware import Figure, HardwareDevice
from profiler.analysis.advisor.resources_io import HARDWARE_DIR, read_text
from profiler.devices.peaks import PeakRow, load_table

FILE = "accelerators.json"
_CONSUMER = re.compile(r"GeForce|Radeon RX|TITAN|Titan|Quadro|RTX A\d|RTX \d+ Ada", re.IGNORECASE)


def binary_memory(figure: Figure | None) -> Figure | None:
    """A catalogue memory size written as whole decimal GB, read as the GiB the vendor means:
    accelerator memory is sized in binary units (a card sold with "8 GB" holds 8 GiB, 8,192 MiB;
    Lambda's RTX 3070 log reports 7,982 MiB usable, more than 8e9 bytes), while Epoch AI's rows,
    like the spec sheets they copy, write 8e9."""
    if figure is None or figure.value <= 0 or figure.value % 1e9:
        return figure
    gb = figure.value / 1e9
    return replace(figure, value=gb * 2**30,
                   source=f"{figure.source} ({gb:g} GB read as {gb:g} GiB, as accelerator memory is sized)")


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def epoch_class(row: EpochRow) -> str:
    if "TPU" in row.kind or "TPU" in row.name:
        return "tpu"
    if "GPU" in row.kind.upper():
        return "consumer-gpu" if _CONSUMER.search(row.name) else "datacenter-gpu"
    return "other-accelerator"


def datasheet_peaks(peak: PeakRow, as_of: str | None) -> tuple[dict[str, Figure], tuple[str, ...]]:
    """Peak figures of a datasheet row; tf32 falls back to fp32 only where the row says so."""
    source = f"datasheet: {peak.name}: {peak.source}" + (" (estimate)" if peak.estimate else "")
    peaks = {p: Figure(v, source, as_of) for p, v in peak.flops.items()}
    notes: tuple[str, ...] = ()
    if "tf32" not in peaks and peak.no_tf32 and "fp32" in peaks:
        peaks["tf32"] = Figure(peak.flops["fp32"], f"{source} (no TF32 units: torch runs plain FP32)", as_of)
        notes = ("no TF32 units: a tf32 run is plain FP32 here",)
    return peaks, notes


def _joined(join: Mapping[str, Any], epoch: EpochRow, peak: PeakRow) -> HardwareDevice:
    """The Epoch row with the datasheet's peaks; a join's ``fill`` supplies a figure Epoch lacks,
    its ``correct`` replaces one the vendor's datasheet contradicts (each with its source), its
    ``name`` tells apart a board Epoch names ambiguously, its ``pattern`` (on torch's device name)
    the boards that share one datasheet row."""
    peaks, notes = datasheet_peaks(peak, epoch.release_date)
    if "fp8" in epoch.peaks:
        peaks["fp8"] = epoch.peaks["fp8"]
    fill = join.get("fill") or {}
    correct = join.get("correct") or {}

    def filled(key: str, figure: Figure | None) -> Figure | None:
        if key in correct:
            return Figure(float(correct[key]), correct["source"], correct.get("as_of"))
        if figure is not None or key not in fill:
            return figure
        return Figure(float(fill[key]), fill["source"], fill.get("as_of"))

    return HardwareDevice(
        id=join["id"], name=join.get("name") or epoch.name, vendor=epoch.vendor, device_class=join["class"],
        peaks=peaks,
        memory_bytes=binary_memory(filled("memory_bytes", epoch.memory_bytes)),
        bandwidth_bytes_per_s=filled("bandwidth_bytes_per_s", epoch.bandwidth_bytes_per_s),
        tdp_w=filled("tdp_w", epoch.tdp_w),
        release_date=epoch.release_date, release_price_usd=epoch.release_price_usd,
        featured=bool(join.get("featured")), patterns=(join.get("pattern") or peak.pattern.pattern,),
        estimate=peak.estimate,
        notes=notes, origin="epoch+datasheet",
    )


def _extra(row: Mapping[str, Any], peak: PeakRow) -> HardwareDevice:
    date = row.get("release_date")
    peaks, notes = datasheet_peaks(peak, date)

    def fig(key: str) -> Figure | None:
        return Figure(float(row[key]), row["source"], date) if row.get(key) else None

    return HardwareDevice(
        id=row["id"], name=row["name"], vendor=row["vendor"], device_class=row["class"], peaks=peaks,
        memory_bytes=binary_memory(fig("memory_bytes")), bandwidth_bytes_per_s=fig("bandwidth_bytes_per_s"),
        tdp_w=fig("tdp_w"),
        release_date=date, release_price_usd=fig("release_price_usd"), featured=bool(row.get("featured")),
        patterns=(peak.pattern.pattern,), unified_memory=bool(row.get("unified_memory")), estimate=peak.estimate,
        notes=notes, origin="datasheet",
    )


def _name_pattern(row: EpochRow) -> str:
    """An Epoch row's exact name, its vendor's prefix optional (older NVIDIA drivers name a
    "TITAN Xp" without "NVIDIA")."""
    prefix = f"{row.vendor} "
    if row.name.startswith(prefix):
        return rf"^(?:{re.escape(prefix)})?{re.escape(row.name[len(prefix):])}$"
    return rf"^{re.escape(row.name)}$"


def _epoch_only(row: EpochRow) -> HardwareDevice:
    notes = (row.notes,) if row.notes else ()
    return HardwareDevice(
        id=f"epoch-{slug(row.name)}", name=row.name, vendor=row.vendor, device_class=epoch_class(row),
        peaks=dict(row.peaks), memory_bytes=binary_memory(row.memory_bytes),
        bandwidth_bytes_per_s=row.bandwidth_bytes_per_s,
        tdp_w=row.tdp_w, release_date=row.release_date, release_price_usd=row.release_price_usd,
        patterns=(_name_pattern(row),), notes=notes, origin="epoch",
    )


@lru_cache(maxsize=1)
def shipped_accelerators() -> tuple[HardwareDevice, ...]:
    """Joined rows, extra rows, then every other Epoch row (ids unique)."""
    data = json.loads(read_text(HARDWARE_DIR, FILE))
    epoch = {row.name: row for row in load_epoch()}
    peaks = {row.name: row for row in load_table()}
    devices = [_joined(j, epoch[j["epoch"]], peaks[j["peak_row"]]) for j in data["joins"]]
    devices += [_extra(row, peaks[row["peak_row"]]) for row in data["extra"]]
    joined = {j["epoch"] for j in data["joins"]}
    seen = {d.id for d in devices}
    for row in epoch.values():
        if row.name in joined:
            continue
        device = _epoch_only(row)
        if device.id in seen:
            continue
        seen.add(device.id)
        devices.append(device)
    return tuple(devices)
