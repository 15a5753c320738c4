"""Epoch AI's "Data on Machine Learning Hardware" (CC BY 4.0), as shipped in
``resources/hardware/epoch_ml_hardware.csv``: rows in, catalogue fields out.

Columns read: FP32 -> fp32, TF32 -> tf32, Tensor-FP16/BF16 -> bf16 and fp16 (fp16 only for
NVIDIA parts released before the A100, which have no BF16 tensor cores), FP8 -> fp8; memory
size, bandwidth, TDP, release date and price. The non-tensor FP16 column is not used. Empty
cells are unknown (None), never 0. Every figure is marked ``epoch=True`` for the credit line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache

from profiler.analysis.advisor.hardware import Figure
from profiler.analysis.advisor.resources_io import HARDWARE_DIR, read_text

FILE = "epoch_ml_hardware.csv"
EPOCH_URL = "https://epoch.ai/data/machine-learning-hardware"
EPOCH_CREDIT = ('Data: Epoch AI, "Data on Machine Learning Hardware", '
                f"{EPOCH_URL} (CC BY 4.0)")
#: A100 launch: NVIDIA parts before it (Volta, Turing) have FP16 but no BF16 tensor cores
#: (NVIDIA Ampere architecture whitepaper).
FIRST_NVIDIA_BF16 = "2020-05-14"

_COLUMNS = {
    "fp32": "FP32 (single precision) performance (FLOP/s)",
    "tf32": "TF32 (TensorFloat-32) performance (FLOP/s)",
    "tensor16": "Tensor-FP16/BF16 performance (FLOP/s)",
    "fp8": "FP8 performance (FLOP/s)",
}


@dataclass(frozen=True)
class EpochRow:
    """One board of the dataset, figures already as ``Figure`` (None where the cell is empty)."""

    name: str
    vendor: str
    kind: str
    release_date: str | None
    peaks: dict[str, Figure]
    memory_bytes: Figure | None
    bandwidth_bytes_per_s: Figure | None
    tdp_w: Figure | None
    release_price_usd: Figure | None
    datasheet: str
    notes: str


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if value > 0 and value != float("inf") else None


def _row(raw: dict[str, str]) -> EpochRow:
    name = raw["Hardware name"].strip()
    modified = (raw.get("Last modified") or "")[:10] or None
    source = f"Epoch AI ML hardware data, row {name!r}"

    def fig(column: str, what: str = "") -> Figure | None:
        value = _number(raw.get(column, ""))
        return Figure(value, source + (f" ({what})" if what else ""), modified, epoch=True) if value else None

    peaks: dict[str, Figure] = {}
    for precision in ("fp32", "tf32", "fp8"):
        figure = fig(_COLUMNS[precision])
        if figure:
            peaks[precision] = figure
    tensor = fig(_COLUMNS["tensor16"], "tensor FP16/BF16")
    release = (raw.get("Release date") or "").strip() or None
    vendor = (raw.get("Manufacturer") or "").strip() or name.split()[0]
    if tensor:
        peaks["fp16"] = tensor
        old_nvidia = vendor == "NVIDIA" and release is not None and release < FIRST_NVIDIA_BF16
        if not old_nvidia:
            peaks["bf16"] = tensor
    price_source = (raw.get("Source for the price") or "").strip()
    price = fig("Release price (USD)", f"price source: {price_source}" if price_source else "release price")
    return EpochRow(
        name=name, vendor=vendor, kind=(raw.get("Type") or "").strip(), release_date=release, peaks=peaks,
        memory_bytes=fig("Memory size per board (Byte)"), bandwidth_bytes_per_s=fig("Memory bandwidth (byte/s)"),
        tdp_w=fig("TDP (W)"), release_price_usd=price,
        datasheet=(raw.get("Link to datasheet") or "").split()[0] if raw.get("Link to datasheet") else "",
        notes=(raw.get("Notes") or "").strip(),
    )


@lru_cache(maxsize=1)
def load_epoch() -> tuple[EpochRow, ...]:
    """Every row of the shipped CSV (loaded once)."""
    text = read_text(HARDWARE_DIR, FILE)
    return tuple(_row(raw) for raw in csv.DictReader(io.StringIO(text)) if raw.get("Hardware name"))
