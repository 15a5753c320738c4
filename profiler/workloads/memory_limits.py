"""How much memory this process may really use (bytes), and what limits it.

A process can be held below the machine's RAM by its cgroup (v2 ``memory.max``, v1
``memory.limit_in_bytes``: a container, a systemd slice, a job scheduler) and by its own
rlimits (``RLIMIT_AS``: address space, what ``prlimit --as`` and ``ulimit -v`` set;
``RLIMIT_DATA``: heap). Each limit counts as its headroom: the cgroup's limit less what the
group already uses, an rlimit less what this process already maps (``VmSize``/``VmData``
in ``/proc/self/status``). RAM counts as the machine's total (what others use changes from
minute to minute and is not a property of the model). The smallest wins.

For an accelerator target the answer is that device's free memory as its driver reports it.
Reads files and calls ``getrlimit`` only: no allocation, thread-safe. ``root`` lets a test
point the reads at a fake ``/proc`` and ``/sys``.
"""

from __future__ import annotations

import logging
import os
import resource
from dataclasses import dataclass

import psutil
import torch

log = logging.getLogger(__name__)

#: a cgroup limit at or above this is "no limit" (v1 writes 2^63 rounded down to a page)
UNLIMITED_BYTES = 1 << 60
HOST_KINDS = ("cpu", "meta", "mps")  # MPS shares the host's memory


@dataclass(frozen=True)
class MemoryLimit:
    """One bound on this process's memory: ``bytes`` it may still use and ``what`` it is."""

    bytes: int
    what: str


def usable_memory_bytes(device: str | None = None, root: str = "/") -> tuple[int, str]:
    """(bytes this process may use, what limits it in words). ``device``: the run's device
    (None or a host kind: the host's memory; else the accelerator's free memory)."""
    kind = torch.device(device).type if device else "cpu"
    if kind not in HOST_KINDS:
        accel = device_limit(device or kind)
        if accel is not None:
            return accel.bytes, accel.what
    best = min(host_limits(root), key=lambda limit: limit.bytes)
    return best.bytes, best.what


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says memory ran out: torch's ``OutOfMemoryError`` or an allocator's
    message (``DefaultCPUAllocator: can't allocate memory``), also as a plain ``MemoryError``."""
    if isinstance(exc, (torch.OutOfMemoryError, MemoryError)):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and (
        "out of memory" in text or "can't allocate memory" in text or "failed to allocate" in text
    )


def host_limits(root: str = "/") -> list[MemoryLimit]:
    """Every bound on host memory that applies to this process (RAM always comes first)."""
    limits = [MemoryLimit(_ram_bytes(root), "the machine's RAM")]
    for found in (_cgroup_limit(root), *_rlimits(root)):
        if found is not None:
            limits.append(found)
    return limits


def device_limit(device: str) -> MemoryLimit | None:
    """Free memory on an accelerator as its driver reports it (None where torch cannot say)."""
    dev = torch.device(device)
    index = dev.index or 0
    try:
        if hasattr(torch, "accelerator") and hasattr(torch.accelerator, "get_memory_info"):
            free, _total = torch.accelerator.get_memory_info(index)
        else:
            free, _total = getattr(torch, dev.type).mem_get_info(index)
    except Exception as exc:  # no such device or no memory API in this torch
        log.info("free memory on %s unknown: %s", device, exc)
        return None
    return MemoryLimit(int(free), f"free memory on {dev.type}:{index}")


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().strip()
    except OSError:
        return None


def _ram_bytes(root: str) -> int:
    text = _read(os.path.join(root, "proc/meminfo"))
    for line in (text or "").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return int(psutil.virtual_memory().total)


def _cgroup_limit(root: str) -> MemoryLimit | None:
    """The tightest cgroup memory limit on the way from this process's group to the root,
    as headroom (limit less the group's usage)."""
    text = _read(os.path.join(root, "proc/self/cgroup")) or ""
    best: MemoryLimit | None = None
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _id, controllers, path = parts
        if controllers == "":  # v2 unified hierarchy
            found = _walk(root, "sys/fs/cgroup", path, "memory.max", "memory.current", "cgroup v2 memory.max")
        elif "memory" in controllers.split(","):
            found = _walk(root, "sys/fs/cgroup/memory", path, "memory.limit_in_bytes", "memory.usage_in_bytes",
                          "cgroup v1 memory.limit_in_bytes")
        else:
            continue
        if found is not None and (best is None or found.bytes < best.bytes):
            best = found
    return best


def _walk(root: str, mount: str, path: str, limit_file: str, usage_file: str, name: str) -> MemoryLimit | None:
    """Check the group at ``path`` and every parent (a container sees its own group as ``/``,
    so a missing level is skipped)."""
    best: MemoryLimit | None = None
    parts = [p for p in path.strip("/").split("/") if p]
    for depth in range(len(parts), -1, -1):
        folder = os.path.join(root, mount, *parts[:depth])
        limit = _number(_read(os.path.join(folder, limit_file)))
        if limit is None or limit >= UNLIMITED_BYTES:
            continue
        usage = _number(_read(os.path.join(folder, usage_file))) or 0
        room = max(0, limit - usage)
        if best is None or room < best.bytes:
            best = MemoryLimit(room, f"the {name} limit of {_gib(limit)} ({_gib(usage)} in use)")
    return best


def _number(text: str | None) -> int | None:
    if text is None or text == "max":
        return None
    try:
        return int(text.split()[0])
    except (ValueError, IndexError):
        return None


def _rlimits(root: str) -> list[MemoryLimit]:
    status = _read(os.path.join(root, "proc/self/status")) or ""
    used = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in status.splitlines()
            if line.startswith(("VmSize:", "VmData:")) and len(line.split()) >= 2}
    found = []
    for name, which, mapped in (("RLIMIT_AS", resource.RLIMIT_AS, "VmSize"),
                                ("RLIMIT_DATA", resource.RLIMIT_DATA, "VmData")):
        soft, _hard = resource.getrlimit(which)
        if soft == resource.RLIM_INFINITY or soft < 0:
            continue
        in_use = used.get(mapped, 0)
        found.append(MemoryLimit(max(0, soft - in_use),
                                 f"this process's {name} of {_gib(soft)} ({_gib(in_use)} already mapped)"))
    return found


def _gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB"
