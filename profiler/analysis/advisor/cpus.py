"""CPUs of the catalogue (``resources/hardware/cpus.json``) and which one a run ran on.

A CPU's peak is derived, not quoted: cores x clock x FLOP per cycle per core for the precision
(the ISA table names its source). A run on ``cpu`` is matched by its CPU model name; a VM
that reports only "Intel(R) Xeon(R) Processor" is matched, on this machine only, by
/proc/cpuinfo vendor, family and flags against the generic class rows.
"""

from __future__ import annotations

import json
import logging
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from profiler.analysis.advisor.hardware import CPU, CoreGroup, Figure, HardwareDevice, section
from profiler.analysis.advisor.resources_io import HARDWARE_DIR, read_text
from profiler.results.result import RunResult
from profiler.results.spec import cpu_model

log = logging.getLogger(__name__)

FILE = "cpus.json"
CPUINFO = Path("/proc/cpuinfo")
CACHE_DIR = Path("/sys/devices/system/cpu/cpu0/cache")


@dataclass(frozen=True)
class CpuInfo:
    """What /proc/cpuinfo says about this machine's CPU."""

    vendor_id: str
    family: int | None
    model_name: str
    flags: frozenset[str]


def _groups(row: Mapping[str, Any], isa: Mapping[str, Any]) -> tuple[CoreGroup, ...]:
    out = []
    for group in row["core_groups"]:
        spec = isa[group["isa"]]
        per_cycle = {p: float(spec[p]) for p in ("fp32", "bf16") if p in spec}
        out.append(CoreGroup(int(group["cores"]), float(group["clock_ghz"]), per_cycle, group["isa"]))
    return tuple(out)


def _peaks(groups: tuple[CoreGroup, ...], isa: Mapping[str, Any], product: str,
           as_of: str | None) -> dict[str, Figure]:
    peaks = {}
    for precision in ("fp32", "bf16"):
        if not all(precision in g.flops_per_cycle for g in groups):
            continue  # a part whose cores lack the unit has no figure for it
        value = sum(g.peak(precision) or 0.0 for g in groups)
        terms = " + ".join(f"{g.cores} x {g.clock_ghz:g} GHz x {g.flops_per_cycle[precision]:g}" for g in groups)
        isa_sources = "; ".join(sorted({isa[g.isa]["source"] for g in groups}))
        peaks[precision] = Figure(value, f"derived: {terms} FLOP/cycle ({isa_sources}); part: {product}", as_of)
    return peaks


def _bandwidth(row: Mapping[str, Any]) -> Figure | None:
    if row.get("bandwidth_bytes_per_s"):
        return Figure(float(row["bandwidth_bytes_per_s"]), row["source"], row.get("release_date"))
    if row.get("memory_channels") and row.get("memory_mts"):
        value = row["memory_channels"] * row["memory_mts"] * 1e6 * 8
        how = f"derived: {row['memory_channels']} channels x {row['memory_mts']} MT/s x 8 bytes; {row['source']}"
        return Figure(value, how, row.get("release_date"))
    return None


def _optional(row: Mapping[str, Any], key: str) -> Figure | None:
    value = row.get(key)
    return Figure(float(value), row["source"], row.get("release_date")) if value else None


def cpu_device(row: Mapping[str, Any], isa: Mapping[str, Any]) -> HardwareDevice:
    groups = _groups(row, isa)
    notes = tuple(n for n in (row.get("note"), *(isa[g.isa].get("note") for g in groups)) if n)
    return HardwareDevice(
        id=row["id"], name=row["name"], vendor=row["vendor"], device_class=CPU,
        peaks=_peaks(groups, isa, row["source"], row.get("release_date")),
        bandwidth_bytes_per_s=_bandwidth(row), tdp_w=_optional(row, "tdp_w"),
        release_date=row.get("release_date"), release_price_usd=_optional(row, "release_price_usd"),
        featured=bool(row.get("featured")), patterns=(row["pattern"],), core_groups=groups,
        cache_bytes=_optional(row, "l3_bytes"),
        estimate=bool(row.get("estimate")), notes=tuple(dict.fromkeys(notes)), origin="vendor",
    )


def generic_device(row: Mapping[str, Any], isa: Mapping[str, Any]) -> HardwareDevice:
    """A CPU class described per core (one core; ``slice(n)`` scales it to n cores)."""
    spec = isa[row["isa"]]
    group = CoreGroup(1, float(row["clock_ghz"]), {p: float(spec[p]) for p in ("fp32", "bf16") if p in spec},
                      row["isa"])
    source = f"generic class: {row['note']}; {spec['source']}"
    peaks = {p: Figure(group.peak(p) or 0.0, f"derived per core: {group.clock_ghz:g} GHz x "
                       f"{group.flops_per_cycle[p]:g} FLOP/cycle; {source}") for p in group.flops_per_cycle}
    return HardwareDevice(
        id=row["id"], name=row["name"], vendor=row["vendor"], device_class=CPU, peaks=peaks,
        bandwidth_bytes_per_s=Figure(float(row["per_core_bandwidth_bytes_per_s"]), source),
        tdp_w=Figure(float(row["per_core_tdp_w"]), source), core_groups=(group,), estimate=True,
        notes=(row["note"],), origin="generic",
    )


@lru_cache(maxsize=1)
def shipped_cpus() -> tuple[tuple[HardwareDevice, ...], tuple[tuple[HardwareDevice, dict[str, Any]], ...]]:
    """(named CPUs, (generic class device, its cpuinfo match) pairs)."""
    data = json.loads(read_text(HARDWARE_DIR, FILE))
    isa = data["isa"]
    named = tuple(cpu_device(row, isa) for row in data["cpus"])
    generic = tuple((generic_device(row, isa), dict(row["match"])) for row in data["generic"])
    return named, generic


def read_cpuinfo(path: Path = CPUINFO) -> CpuInfo | None:
    """This machine's CPU vendor, family, name and flags; None where /proc/cpuinfo is absent."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the first processor is enough
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    family = fields.get("cpu family", "")
    return CpuInfo(fields.get("vendor_id", ""), int(family) if family.isdigit() else None,
                   fields.get("model name", ""), frozenset(fields.get("flags", "").split()))


def last_level_cache_bytes(directory: Path = CACHE_DIR) -> float | None:
    """Size of this machine's highest cache level (sysfs ``index*/size``, e.g. ``491520K``)."""
    best: tuple[int, float] | None = None
    for index in sorted(directory.glob("index*")):
        try:
            level = int((index / "level").read_text().strip())
            text = (index / "size").read_text().strip().upper()
        except (OSError, ValueError):
            continue
        scale = {"K": 1024.0, "M": 1024.0**2, "G": 1024.0**3}.get(text[-1:], 1.0)
        try:
            size = float(text.rstrip("KMG")) * scale
        except ValueError:
            continue
        if best is None or level > best[0]:
            best = (level, size)
    return best[1] if best else None


def match_generic(info: CpuInfo, generic: tuple[tuple[HardwareDevice, dict[str, Any]], ...]) -> HardwareDevice | None:
    for device, match in generic:
        if match.get("vendor_id") and match["vendor_id"] != info.vendor_id:
            continue
        if "family" in match and match["family"] != info.family:
            continue
        if set(match.get("flags", ())) <= info.flags:
            return device
    return None


def _run_host(run: RunResult) -> tuple[str, str]:
    env, info = run.environment, run.device_info
    name = str(env.get("cpu_model") or info.get("name") or "")
    return name, str(env.get("hostname") or "")


def identify_cpu(run: RunResult, named: tuple[HardwareDevice, ...],
                 generic: tuple[tuple[HardwareDevice, dict[str, Any]], ...],
                 cpuinfo: CpuInfo | None = None) -> tuple[HardwareDevice | None, str]:
    """(catalogue CPU of the run's machine or None, how it was identified, in words)."""
    name, host = _run_host(run)
    for device in named:
        if any(re.search(p, name, re.IGNORECASE) for p in device.patterns):
            return device, f"named: {name!r} matches {device.name}"
    same_machine = host == socket.gethostname() and name == cpu_model()
    if not same_machine:
        return None, f"CPU {name!r} is not in the catalogue (add it to hardware.json)"
    info = cpuinfo if cpuinfo is not None else read_cpuinfo()
    generic_cpu = match_generic(info, generic) if info is not None else None
    if generic_cpu is None:
        return None, f"CPU {name!r} is not in the catalogue and its class was not recognised"
    cache = last_level_cache_bytes()
    if cache:
        generic_cpu = replace(generic_cpu, cache_bytes=Figure(cache, f"this machine's {CACHE_DIR}"))
    return generic_cpu, f"class from this machine's /proc/cpuinfo flags ({name!r} names no part)"


def cores_used(run: RunResult) -> int | None:
    """Physical cores a CPU run used: its thread count, at most the physical cores."""
    env, info = run.environment, run.device_info
    details = section(info, "details")
    threads = run.spec.threads or env.get("torch_threads") or details.get("torch_threads")
    physical = details.get("physical_cores") or info.get("compute_units") or env.get("logical_cpus")
    if not isinstance(threads, int) or threads <= 0:
        threads = physical if isinstance(physical, int) else None
    if threads is None:
        return None
    return min(threads, physical) if isinstance(physical, int) and physical > 0 else threads
