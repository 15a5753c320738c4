"""The two references a run's FLOP/s is compared with, found without touching the run's process.

1. The hardware peak (``devices.hardware_peak``): the MFU denominator. On CPU its clock (and,
   where needed, FMA rate) is measured by machine code in a child process.
2. The best GEMM measured here (``workloads.ceiling_cache``): cached, measured in a child
   process when missing or stale (``HORSEPOWER_CEILING``: auto | cached | off).

Nothing here allocates tensors in the calling process: an in-process matmul probe before the
timed window raises glibc's dynamic mmap threshold and makes the run faster than a user's own
loop (FIELD_NOTES). Blocking for up to several seconds when the ceiling is measured.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

import torch

from profiler.devices.hardware_peak import HardwarePeak, hardware_fingerprint, hardware_peak
from profiler.metrics.figures import mfu_alarm
from profiler.results.result import RunResult
from profiler.workloads.ceiling_cache import POLICIES, Ceiling, ceiling_for

log = logging.getLogger(__name__)

POLICY_ENV = "HORSEPOWER_CEILING"


def ceiling_policy() -> str:
    """The run's ceiling policy from ``HORSEPOWER_CEILING`` (default ``auto``)."""
    value = os.environ.get(POLICY_ENV, "auto").strip().lower() or "auto"
    if value not in POLICIES:
        log.warning("%s=%r is not one of %s; using auto", POLICY_ENV, value, ", ".join(POLICIES))
        return "auto"
    return value


@dataclass(frozen=True)
class References:
    """The hardware peak and the measured ceiling of one run, and what a user should hear."""

    peak: HardwarePeak
    ceiling: Ceiling
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def find_references(device: str, precision: str, device_info: dict[str, Any]) -> References:
    """Both references for a run on ``device`` at ``precision`` with the current torch threads."""
    threads = torch.get_num_threads() if device.split(":")[0] == "cpu" else None
    warnings: list[str] = []
    notices: list[str] = []
    try:
        peak = hardware_peak(device, str(device_info.get("name", "")), precision, threads)
    except Exception as exc:  # a peak is a reference, never a reason to fail the run
        log.exception("hardware peak failed")
        peak = HardwarePeak(None, None, reason=f"hardware peak failed: {exc}")
    warnings += peak.notes
    notices += peak.info
    if peak.flops_per_s is None:
        warnings.append(f"no hardware peak ({peak.reason}): MFU is n/a")
    try:
        ceiling = ceiling_for(device, precision, threads, hardware_fingerprint(device, device_info), ceiling_policy())
    except Exception as exc:
        log.exception("GEMM ceiling failed")
        ceiling = Ceiling(None, f"not measured: {exc}")
    warnings += ceiling.notes
    return References(peak, ceiling, warnings, notices)


def reference_warnings(result: RunResult) -> list[str]:
    """Warnings about a finished (or partial) result's figures: MFU above the hardware peak (an
    error: a bug in the FLOP count or the peak) and other processes contending for the CPU."""
    out = []
    alarm = mfu_alarm(result.figures, result.flops_per_step, result.peak_flops_per_s, result.peak_source)
    if alarm:
        log.error("run %s: %s", result.run_id, alarm)
        out.append(alarm)
    contended = result.contention.warning()
    if contended:
        out.append(contended)
    return out
