"""The user's own catalogue rows and prices: ``hardware.json`` in the Horsepower config dir.

    {"schema": 1,
     "devices": [{"id": "rtx-4090", "release_price_usd": 1499, "source": "my invoice"},
                 {"id": "my-gpu", "name": "Lab GPU", "class": "consumer-gpu", "vendor": "NVIDIA",
                  "peak_flops": {"fp32": 4.0e13, "bf16": 1.6e14}, "memory_bytes": 2.4e10,
                  "bandwidth_bytes_per_s": 1.0e12, "tdp_w": 350, "architecture": "NVIDIA Ada Lovelace",
                  "source": "vendor sheet",
                  "as_of": "2026-11-30"}],
     "prices": [{"device": "rtx-4090", "provider": "my lab", "usd_per_h": 0.20,
                 "read_on": "2026-11-30", "source": "internal rate"}]}

A row with a known ``id`` overrides the fields it gives; an unknown ``id`` adds a device (then
``name``, ``class`` and at least one ``peak_flops`` figure are required; a new CPU also needs
``cores``). Every row needs a ``source``. The first bad row raises ``OverrideError`` with one
line naming the file, the row and the problem; nothing of the file is used then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from profiler import numbers
from profiler.analysis.advisor.cloud import CloudPrice, check_date, parse_price
from profiler.analysis.advisor.hardware import CLASSES, CPU, PRECISIONS, CoreGroup, Figure, HardwareDevice
from profiler.history.paths import config_dir

FILE_NAME = "hardware.json"
SCHEMA = 1
DEVICE_FIELDS = {"id", "name", "vendor", "class", "peak_flops", "memory_bytes", "bandwidth_bytes_per_s",
                 "tdp_w", "release_price_usd", "release_date", "pattern", "featured", "cores", "source", "as_of",
                 "architecture"}
_AMOUNTS = ("memory_bytes", "bandwidth_bytes_per_s", "tdp_w", "release_price_usd")


class OverrideError(ValueError):
    """A bad ``hardware.json``: the message is one line naming the file, row and problem."""


@dataclass(frozen=True)
class Overrides:
    devices: tuple[Mapping[str, Any], ...] = ()
    prices: tuple[CloudPrice, ...] = ()
    path: str | None = None


def overrides_path() -> Path:
    return config_dir() / FILE_NAME


#: the range of each figure a row may give (``profiler.numbers``): above any device built, and
#: well clear of 0, so that no ratio of two of them overflows or divides by almost nothing
_BOUNDS = {
    "peak_flops": numbers.FLOPS,
    "memory_bytes": numbers.Bound("memory_bytes", 1e6, 1e16),
    "bandwidth_bytes_per_s": numbers.Bound("bandwidth_bytes_per_s", 1e6, 1e16),
    "tdp_w": numbers.Bound("tdp_w", 0.1, 1e5),
    "release_price_usd": numbers.Bound("release_price_usd", 0.01, 1e9),
}


def _positive(name: str, value: Any) -> float:
    bound = _BOUNDS.get(name.split(".")[0], numbers.Bound(name, 0, 1e21, low_open=True))
    try:
        return float(bound.named(name).check(value))
    except numbers.NumberError as exc:
        raise ValueError(str(exc)) from None


def check_device_row(raw: Any, known: set[str]) -> dict[str, Any]:
    """A validated device row (``ValueError`` names the problem)."""
    if not isinstance(raw, Mapping):
        raise ValueError("a device row must be an object")
    unknown = sorted(set(raw) - DEVICE_FIELDS)
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(DEVICE_FIELDS))}")
    row = dict(raw)
    if not isinstance(row.get("id"), str) or not row["id"].strip():
        raise ValueError("id must be a non-empty text")
    if not isinstance(row.get("source"), str) or not row["source"].strip():
        raise ValueError("source must say where the figures come from")
    for key in ("name", "vendor", "pattern", "architecture"):
        if key in row and not isinstance(row[key], str):
            raise ValueError(f"{key} must be text")
    if "class" in row and row["class"] not in CLASSES:
        raise ValueError(f"class must be one of {', '.join(CLASSES)}, got {row['class']!r}")
    peaks = row.get("peak_flops", {})
    if not isinstance(peaks, Mapping):
        raise ValueError("peak_flops must map a precision to FLOP/s")
    for precision, value in peaks.items():
        if precision not in PRECISIONS:
            raise ValueError(f"peak_flops has unknown precision {precision!r}; use {', '.join(PRECISIONS)}")
        _positive(f"peak_flops.{precision}", value)
    for key in _AMOUNTS:
        if row.get(key) is not None:
            _positive(key, row[key])
    if "cores" in row:
        try:
            numbers.Bound("cores", 1, 1_000_000, integer=True).check(row["cores"])
        except numbers.NumberError as exc:
            raise ValueError(str(exc)) from None
    for key in ("as_of", "release_date"):
        if key in row:
            check_date(row[key], key)
    if row["id"] not in known:
        for key in ("name", "class"):
            if key not in row:
                raise ValueError(f"a new device needs {key}")
        if not peaks:
            raise ValueError("a new device needs at least one peak_flops figure")
        if row["class"] == CPU and "cores" not in row:
            raise ValueError("a new CPU needs cores")
    return row


def load_overrides(known: set[str], path: Path | None = None) -> Overrides:
    """The user's rows and prices; empty when the file does not exist."""
    file = path if path is not None else overrides_path()
    if not file.exists():
        return Overrides()
    where = str(file)
    try:
        data = numbers.json_loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise OverrideError(f"{where}: not readable JSON ({str(exc)[:120]})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise OverrideError(f"{where}: not a Horsepower hardware file (needs \"schema\": {SCHEMA})")
    extra = sorted(set(data) - {"schema", "devices", "prices"})
    if extra:
        raise OverrideError(f"{where}: unknown key(s) {', '.join(extra)}; allowed: schema, devices, prices")
    devices, prices = data.get("devices", []), data.get("prices", [])
    if not isinstance(devices, list) or not isinstance(prices, list):
        raise OverrideError(f"{where}: devices and prices must be lists")
    rows, ids = [], set(known)
    for i, raw in enumerate(devices):
        label = f"devices[{i}]" + (f" ({raw.get('id')!r})" if isinstance(raw, Mapping) and raw.get("id") else "")
        try:
            row = check_device_row(raw, ids)
        except ValueError as exc:
            raise OverrideError(f"{where}: {label}: {exc}") from None
        ids.add(row["id"])
        rows.append(row)
    parsed = []
    for i, raw in enumerate(prices):
        try:
            price = parse_price(raw, user=True)
            if price.device not in ids:
                raise ValueError(f"device {price.device!r} is not in the catalogue")
        except ValueError as exc:
            raise OverrideError(f"{where}: prices[{i}]: {exc}") from None
        parsed.append(price)
    return Overrides(tuple(rows), tuple(parsed), where)


def apply_row(base: HardwareDevice | None, row: Mapping[str, Any], where: str) -> HardwareDevice:
    """``base`` with the row's fields (or a new device from the row)."""
    source = f"user: {row['source']} ({where})"
    as_of = row.get("as_of")

    def fig(value: Any) -> Figure:
        return Figure(float(value), source, as_of)

    device = base or HardwareDevice(id=row["id"], name=row["name"], vendor=row.get("vendor", ""),
                                    device_class=row["class"], origin="user")
    changes: dict[str, Any] = {"origin": f"{device.origin}+user" if base else "user"}
    for key in ("name", "vendor"):
        if key in row:
            changes[key] = row[key]
    if row.get("architecture"):
        changes["architecture"] = row["architecture"].strip()
    if "class" in row:
        changes["device_class"] = row["class"]
    for key in _AMOUNTS:
        if row.get(key) is not None:
            changes[key] = fig(row[key])
    if "release_date" in row:
        changes["release_date"] = row["release_date"]
    if "pattern" in row:
        changes["patterns"] = (row["pattern"],)
    if "featured" in row:
        changes["featured"] = bool(row["featured"])
    if row.get("peak_flops"):
        changes["peaks"] = {**device.peaks, **{p: fig(v) for p, v in row["peak_flops"].items()}}
    device = replace(device, **changes)
    if device.is_cpu and (row.get("peak_flops") or "cores" in row):
        cores = row.get("cores") or device.cores or 1
        # one equivalent group, so a slice of the CPU keeps its share of every peak
        per_cycle = {p: f.value / (cores * 1e9) for p, f in device.peaks.items()}
        device = replace(device, core_groups=(CoreGroup(cores, 1.0, per_cycle, "user"),))
    return device
