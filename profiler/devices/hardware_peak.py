"""The hardware's peak FLOP/s for a run: the MFU denominator.

CPU: ``cpu_peak`` (cores in use x FLOP/cycle for the dtype x the measured clock; the clock and,
where the table has no row, the FMA rate come from ``cpu_microbench`` in a child process).
GPUs and other accelerators: the datasheet row (``peaks.datasheet_peak``). Either way the
answer names its source ("ISA table", "FMA microbenchmark", "datasheet"; "assumed" when
FLOP/cycle had to be assumed) and carries its inputs for a tooltip and the JSON.

The microbenchmark runs at most once per process per (thread count, ISA) and takes ~0.3-1 s;
call this from a worker thread, not a GUI thread.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from profiler.devices import cpu_microbench
from profiler.devices.cpu_identity import CpuIdentity, read_cpu_identity
from profiler.devices.cpu_peak import cpu_peak
from profiler.devices.cpu_table import CpuRow, RowMatch, match_cpu
from profiler.devices.peaks import datasheet_peak

log = logging.getLogger(__name__)

CPUFREQ_MAX = Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
_BRAND_GHZ = re.compile(r"@\s*([0-9.]+)\s*GHz", re.IGNORECASE)


@dataclass(frozen=True)
class HardwarePeak:
    """``flops_per_s`` None: no peak (``reason`` says why). ``source``: "ISA table", "FMA
    microbenchmark", "assumed" (CPU) or "datasheet"; ``inputs``: JSON-ready facts it came from;
    ``notes``: doubts about it (run warnings); ``info``: facts about it (run notices)."""

    flops_per_s: float | None
    source: str | None
    inputs: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    reason: str = ""
    info: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def nominal_clock(cpu: CpuIdentity, row: CpuRow | None, cpufreq_max_khz: float | None = None
                  ) -> tuple[float, str] | None:
    """A clock (GHz, where from) for when none could be measured, best first."""
    if cpufreq_max_khz:
        return cpufreq_max_khz / 1e6, "cpufreq cpuinfo_max_freq (the maximum boost clock)"
    if row is not None and row.max_clock_ghz:
        return row.max_clock_ghz, row.clock_source or f"the {row.name} row"
    found = _BRAND_GHZ.search(cpu.model_name)
    if found:
        return float(found.group(1)), "the model name's base clock"
    if cpu.cpuinfo_mhz:
        return cpu.cpuinfo_mhz / 1e3, "/proc/cpuinfo 'cpu MHz' (often the timestamp-counter rate, not the core clock)"
    return None


def _cpufreq_max_khz() -> float | None:
    try:
        return float(CPUFREQ_MAX.read_text().strip()) or None
    except (OSError, ValueError):
        return None


_BENCH: dict[tuple[int, str | None], cpu_microbench.Microbench | str] = {}
_LOCK = threading.Lock()


def _microbench(threads: int, fma_isa: str | None) -> cpu_microbench.Microbench | str:
    with _LOCK:
        key = (threads, fma_isa)
        if key not in _BENCH:
            _BENCH[key] = cpu_microbench.run_in_subprocess(threads, fma_isa)
            log.info("CPU microbenchmark (%d threads, %s): %s", threads, fma_isa, _BENCH[key])
        return _BENCH[key]


def clear_cache() -> None:
    """Forget measured clocks (a later call measures again)."""
    with _LOCK:
        _BENCH.clear()


def _fma_isa(cpu: CpuIdentity, match: RowMatch) -> str | None:
    """Which FMA loop to run: only where the table gives no complete datapath."""
    row = match.row
    if row is not None and row.fma_pipes is not None and row.pipe_bits is not None:
        return None
    if cpu.has("avx512f"):
        return "avx512"
    return "avx2" if cpu.has("avx2") and cpu.has("fma") else None


def cpu_hardware_peak(threads: int, precision: str, cpu: CpuIdentity | None = None) -> HardwarePeak:
    """The CPU's peak for ``threads`` torch threads at ``precision`` (fp32/tf32/bf16/fp16)."""
    cpu = cpu or read_cpu_identity()
    match = match_cpu(cpu)
    cores = max(1, min(threads, cpu.physical_cores or threads))
    bench = _microbench(cores, _fma_isa(cpu, match))
    measured = bench if isinstance(bench, cpu_microbench.Microbench) else None
    not_measured = bench if isinstance(bench, str) else ""
    peak = cpu_peak(cpu, threads, precision, match, measured, not_measured,
                    nominal_clock(cpu, match.row, _cpufreq_max_khz()))
    inputs = {**peak.to_dict(), "cpu": cpu.model_name, "vendor": cpu.vendor, "family": cpu.family,
              "model": cpu.model, "table_row": match.row.name if match.row else None,
              "table_refused": match.reason or None}
    inputs.pop("notes")
    inputs.pop("info")
    if peak.flops_per_s is None:
        return HardwarePeak(None, None, inputs, tuple(peak.notes), peak.clock_method, tuple(peak.info))
    return HardwarePeak(peak.flops_per_s, peak.datapath, inputs, tuple(peak.notes), info=tuple(peak.info))


def accelerator_hardware_peak(device_name: str, precision: str) -> HardwarePeak:
    """An accelerator's dense datasheet peak at ``precision``; None when the table has no row."""
    sheet = datasheet_peak(device_name, precision)
    if sheet is None:
        return HardwarePeak(None, None, {"device": device_name, "dtype": precision},
                            reason=f"no datasheet figure for {device_name or 'this device'} at {precision}")
    value, source = sheet
    return HardwarePeak(value, "datasheet", {"device": device_name, "dtype": precision, "source": source})


def _nvidia_driver() -> str:
    try:
        with open("/proc/driver/nvidia/version", encoding="utf-8") as fh:
            return fh.readline().strip()
    except OSError:
        return ""


def hardware_fingerprint(device: str, device_info: dict[str, Any]) -> str:
    """A string that changes when the device behind ``device`` (or its driver) changes: keys
    the GEMM ceiling cache. CPU: vendor, family/model, name, ISA; GPU: name, UUID, runtime, driver."""
    if device.split(":")[0] == "cpu":
        return read_cpu_identity().fingerprint
    details = device_info.get("details") or {}
    parts = [str(device_info.get("name", "")), str(details.get("uuid", "")), str(details.get("cuda_runtime", "")),
             str(details.get("hip_runtime", "")), str(details.get("driver", "")), _nvidia_driver()]
    return "|".join(parts)


def hardware_peak(device: str, device_name: str, precision: str, threads: int | None) -> HardwarePeak:
    """The peak for a run on ``device`` ("cpu", "cuda:0", ...) named ``device_name``."""
    if device.split(":")[0] == "cpu":
        return cpu_hardware_peak(max(1, threads or 1), precision)
    return accelerator_hardware_peak(device_name, precision)
