"""Was a dead worker killed by the kernel's out-of-memory killer? The kernel counts its kills:
``oom_kill`` in the memory cgroup's ``memory.events`` (v2) or ``memory.oom_control`` (v1), and
system-wide in ``/proc/vmstat`` (Linux 4.13+). A worker that died of SIGKILL, not killed by us,
while one of those counters went up, was OOM-killed; its last RSS reading says how big it was.
"""

from __future__ import annotations

import signal
from pathlib import Path

from profiler import units

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _read_count(path: Path, key: str = "oom_kill") -> int | None:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key and value.strip().isdigit():
                return int(value)
    except OSError:
        return None
    return None


def _cgroup_files(proc_cgroup: Path = Path("/proc/self/cgroup"), root: Path = CGROUP_ROOT) -> list[Path]:
    files = []
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        _, controllers, path = [*line.split(":", 2), "", ""][:3]
        if controllers == "":
            files += [root / path.lstrip("/") / "memory.events", root / "memory.events"]
        elif "memory" in controllers.split(","):
            files += [root / "memory" / path.lstrip("/") / "memory.oom_control", root / "memory" / "memory.oom_control"]
    return files


def oom_kill_counts() -> tuple[int | None, ...]:
    """The kernel's OOM-kill counters this process can read (its memory cgroup's, the system's);
    None for one it cannot read. Compare two readings with ``oom_killed``."""
    cgroup = next((n for n in (_read_count(f) for f in _cgroup_files()) if n is not None), None)
    return cgroup, _read_count(Path("/proc/vmstat"))


def oom_killed(exitcode: int | None, before: tuple[int | None, ...], after: tuple[int | None, ...]) -> bool:
    """True for a SIGKILL death while a kernel OOM-kill counter went up."""
    if exitcode != -signal.SIGKILL:
        return False
    return any(a is not None and b is not None and a > b for b, a in zip(before, after, strict=False))


def oom_sentence(rss_bytes: float | None) -> str:
    """``killed by the kernel's out-of-memory killer (SIGKILL) at 7.9 GiB resident``."""
    at = f" at {units.nbytes(rss_bytes)} resident (its last reading)" if rss_bytes else ""
    return f"killed by the kernel's out-of-memory killer (SIGKILL){at}"
