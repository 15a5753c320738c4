"""The measured GEMM ceiling, cached per device, precision, thread count and torch version.

The ceiling is measured out of process (``python -m profiler.workloads.ceiling``, ~3 s plus
torch's import) and kept in ``<cache dir>/gemm_ceilings.json`` (``HORSEPOWER_CACHE_DIR``). An
entry is stale after ``MAX_AGE_DAYS`` (``BUSY_MAX_AGE_DAYS`` when it was measured on a busy
machine), or when the torch version or the hardware (the caller's ``hardware_id``: CPU model
and ISA, GPU name, UUID and driver) changed. ``remeasure=True`` measures regardless.

Policies (``HORSEPOWER_CEILING`` for runs): ``auto`` measures when missing or stale,
``cached`` only reads the cache (a stale entry is used and flagged), ``off`` skips it.

Thread-safety: callers in one process are serialised by a lock; two processes writing at once
may lose one entry (it is measured again next time), never corrupt the file.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from profiler import numbers, paths
from profiler.child_process import run_json_child
from profiler.error_text import first_line
from profiler.lifeline import python_command
from profiler.outputs import aside_path
from profiler.workloads.ceiling import CeilingMeasurement

log = logging.getLogger(__name__)

CACHE_FILE = "gemm_ceilings.json"
MAX_AGE_DAYS = 7.0
BUSY_MAX_AGE_DAYS = 1.0
POLICIES = ("auto", "cached", "off")
DAY_S = 86_400.0
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Ceiling:
    """The ceiling a run is compared with. ``flops_per_s`` None: none (``source`` says why).
    ``inputs``: the measurement (backend, n, per-backend bests, load) plus cache facts."""

    flops_per_s: float | None
    source: str
    inputs: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    from_cache: bool = False


def cache_path() -> Path:
    return paths.cache_dir() / CACHE_FILE


def entry_key(device: str, precision: str, threads: int | None) -> str:
    return f"{device}|{precision}|threads={threads if threads is not None else '-'}"


def _set_aside(path: Path, reason: str) -> str:
    """Move a bad cache file aside (never deleted, never overwritten); the notice to show."""
    try:
        aside = path.rename(aside_path(path, "bad"))
        notice = f"the GEMM ceiling cache {path} was invalid ({reason}); set aside as {aside.name}"
    except OSError as exc:
        notice = f"the GEMM ceiling cache {path} is invalid ({reason}) and could not be set aside ({exc})"
    log.warning("%s", notice)
    return notice


def _read(path: Path, notices: list[str] | None = None) -> dict[str, Any]:
    """The cache's entries; a file that is not a cache is set aside (notice in ``notices``)."""
    try:
        data = numbers.json_loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        notice = _set_aside(path, first_line(exc, 160, named=False))
        if notices is not None:
            notices.append(notice)
        return {}
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        notice = _set_aside(path, "no entries object")
        if notices is not None:
            notices.append(notice)
        return {}
    return entries


def entry_problem(entry: Any) -> str:
    """Why a cached entry cannot be used ("" when it can): every number is checked by
    ``profiler.numbers`` (a string, NaN, a list, 1e-300 or a negative ceiling is refused)."""
    if not isinstance(entry, dict):
        return f"an entry is {type(entry).__name__}, not an object"
    try:
        numbers.FLOPS.named("flops_per_s").check(entry.get("flops_per_s"))
        numbers.Bound("measured_at", 0, 1e11).check(entry.get("measured_at"))
    except numbers.NumberError as exc:
        return str(exc)
    if not all(isinstance(entry.get(k), str) for k in ("hardware_id", "torch")):
        return "hardware_id and torch must be strings"
    return ""


def _write(path: Path, entries: dict[str, Any]) -> None:
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(json.dumps({"schema": 1, "entries": entries}, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("could not write the ceiling cache %s: %s", path, exc)
    finally:
        if tmp.exists():
            tmp.unlink()


def stale_reason(entry: dict[str, Any], hardware_id: str, torch_version: str, now: float) -> str:
    """Why a cached entry no longer describes this machine ("" when it does)."""
    if entry.get("hardware_id") != hardware_id:
        return "the hardware changed since it was measured"
    if entry.get("torch") != torch_version:
        return f"torch changed ({entry.get('torch')} -> {torch_version})"
    age_days = (now - float(entry.get("measured_at", 0.0))) / DAY_S
    limit = BUSY_MAX_AGE_DAYS if entry.get("busy") else MAX_AGE_DAYS
    if age_days > limit:
        return f"measured {age_days:.1f} days ago{' on a busy machine' if entry.get('busy') else ''}"
    return ""


def measure_out_of_process(device: str, precision: str, threads: int | None, seconds: float = 3.0,
                           force: bool = False, timeout_s: float = 180.0) -> CeilingMeasurement | str:
    """Run ``profiler.workloads.ceiling`` in a child process; its measurement, or why not."""
    cmd = python_command("profiler.workloads.ceiling", "--device", device, "--precision", precision,
                         "--seconds", str(seconds))
    if threads:
        cmd += ["--threads", str(threads)]
    if force:
        cmd.append("--force")
    out = run_json_child(cmd, "ceiling measurement", timeout_s)
    if isinstance(out, str):
        return out
    try:
        return CeilingMeasurement(**out)
    except TypeError as exc:
        return f"the ceiling measurement printed something unexpected ({exc})"


def _describe(entry: dict[str, Any], cached: bool, now: float) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(float(entry.get("measured_at", now))))
    how = f"{entry.get('backend')} n={entry.get('n')}"
    return f"best GEMM measured here: {how}, {when}{' (cached)' if cached else ''}"


def _ceiling(entry: dict[str, Any], cached: bool, now: float, extra: list[str]) -> Ceiling:
    notes = [*entry.get("notes", []), *extra]
    inputs = {**entry, "cached": cached, "age_days": (now - float(entry.get("measured_at", now))) / DAY_S}
    return Ceiling(entry.get("flops_per_s"), _describe(entry, cached, now), inputs, tuple(notes), cached)


def ceiling_for(device: str, precision: str, threads: int | None, hardware_id: str, policy: str = "auto",
                remeasure: bool = False, seconds: float = 3.0, force: bool = False) -> Ceiling:
    """The ceiling for a run of ``precision`` on ``device`` with ``threads`` (CPU) torch threads.

    Blocking (seconds when it measures); run it off the GUI thread."""
    if policy not in POLICIES:
        raise ValueError(f"unknown ceiling policy {policy!r}; choose from {', '.join(POLICIES)}")
    if policy == "off":
        return Ceiling(None, "not measured (HORSEPOWER_CEILING=off)")
    key, path, now = entry_key(device, precision, threads), cache_path(), time.time()
    version = torch.__version__
    with _LOCK:
        notices: list[str] = []
        entries = _read(path, notices)
        entry = entries.get(key)
        problem = entry_problem(entry) if entry is not None else ""
        if problem:  # keep the bad entry beside the cache, drop it from the cache, measure anew
            kept = path.with_name(aside_path(path, "bad").name)
            _write(kept, {key: entry})
            del entries[key]
            _write(path, entries)
            notices.append(f"the cached GEMM ceiling for {key} was invalid ({problem}); set aside in "
                           f"{kept.name} and measured again")
            log.warning("%s", notices[-1])
            entry = None
        ceiling = _ceiling_locked(device, precision, threads, hardware_id, policy, remeasure, seconds, force,
                                  key, path, now, version, entry)
    return replace(ceiling, notes=(*notices, *ceiling.notes)) if notices else ceiling


def _ceiling_locked(device: str, precision: str, threads: int | None, hardware_id: str, policy: str,
                    remeasure: bool, seconds: float, force: bool, key: str, path: Path, now: float, version: str,
                    entry: dict[str, Any] | None) -> Ceiling:
    """``ceiling_for`` past the cache check, under ``_LOCK`` (``entry``: a usable one or None)."""
    stale = stale_reason(entry, hardware_id, version, now) if entry else "never measured"
    if entry and not stale and not remeasure:
        return _ceiling(entry, True, now, [])
    if policy == "cached" and not remeasure:
        if entry and entry.get("hardware_id") == hardware_id:
            return _ceiling(entry, True, now, [f"the cached GEMM ceiling is stale ({stale}); "
                                                f"re-measure with `horsepower probe --remeasure`"])
        return Ceiling(None, f"not measured ({stale}; `horsepower probe --remeasure` measures it)")
    measured = measure_out_of_process(device, precision, threads, seconds, force)
    if isinstance(measured, CeilingMeasurement) and measured.flops_per_s is not None:
        fresh = {**measured.to_dict(), "hardware_id": hardware_id}
        entries = _read(path)
        entries[key] = fresh
        _write(path, entries)
        return _ceiling(fresh, False, now, [])
    why = measured if isinstance(measured, str) else (measured.refused or "; ".join(measured.notes)
                                                      or "no GEMM ran")
    if entry and entry.get("hardware_id") == hardware_id:
        return _ceiling(entry, True, now, [f"the GEMM ceiling could not be re-measured ({why}); "
                                           f"using the stale cached one ({stale})"])
    return Ceiling(None, f"not measured: {why}", notes=(f"no GEMM ceiling: {why}",))
