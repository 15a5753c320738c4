"""Host readings through psutil: CPU, memory, frequency, the run's process.

A reading the OS does not give is ``None`` (n/a), never 0.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import psutil

log = logging.getLogger(__name__)


def load_avg_1m() -> float | None:
    """The OS's 1-minute load average (runnable threads, every process's); None where there is none."""
    try:
        return float(psutil.getloadavg()[0])
    except (AttributeError, OSError, RuntimeError):
        return None


class HostReader:
    """Reads host telemetry. Create and call it in the sampling thread.

    psutil's ``cpu_percent(None)`` keeps its reference point per calling thread and returns
    0.0 on a thread's first call, so the constructor primes it: build this object in the
    thread that will call ``read``.
    """

    #: how often to look for new child processes: scanning /proc costs ~2 ms, 20x a whole tick
    CHILD_SCAN_S = 2.0
    #: how often to re-read slow-moving readings (CPU frequency, system RAM): ~80 us each
    SLOW_READ_S = 0.5

    def __init__(self, pid: int | None = None, track_children: bool = False) -> None:
        self._proc = psutil.Process(pid or os.getpid())
        self._track_children = track_children
        self._children: dict[int, psutil.Process] = {}
        self._next_scan = 0.0
        psutil.cpu_percent(None, percpu=True)
        self._proc.cpu_percent(None)
        self._freq_ok = True
        self._slow: dict[str, Any] = {}
        self._next_slow = 0.0

    def _cpu_freq_mhz(self) -> float | None:
        if not self._freq_ok:
            return None
        try:
            freq = psutil.cpu_freq()
        except (AttributeError, NotImplementedError, OSError, RuntimeError):
            freq = None
        if freq is None or not freq.current:
            self._freq_ok = False  # not exposed here (common in VMs); stop asking
            return None
        return float(freq.current)

    def _process_cpu_percent(self) -> float:
        """CPU of the run's process, plus its children (DataLoader workers) when tracked,
        in percent of one core."""
        total = self._proc.cpu_percent(None)
        if not self._track_children:
            return total
        now = time.monotonic()
        if now >= self._next_scan:
            self._next_scan = now + self.CHILD_SCAN_S
            try:
                live = {c.pid: c for c in self._proc.children(recursive=True)}
            except psutil.Error:
                live = {}
            for pid, child in live.items():
                if pid not in self._children:
                    self._children[pid] = child
                    child.cpu_percent(None)  # prime: its first reading would be 0.0
            self._children = {pid: self._children[pid] for pid in live}
        for pid, child in list(self._children.items()):
            try:
                total += child.cpu_percent(None)
            except psutil.Error:
                del self._children[pid]
        return total

    def _slow_readings(self) -> dict[str, Any]:
        now = time.monotonic()
        if now >= self._next_slow:
            self._next_slow = now + self.SLOW_READ_S
            vm = psutil.virtual_memory()
            self._slow = {
                "ram_used_bytes": int(vm.total - vm.available),
                "ram_total_bytes": int(vm.total),
                "cpu_freq_mhz": self._cpu_freq_mhz(),
                "load_avg_1m": load_avg_1m(),
            }
        return self._slow

    def read(self) -> dict[str, Any]:
        try:
            rss: int | None = self._proc.memory_info().rss
            proc_cpu: float | None = self._process_cpu_percent()
        except psutil.Error:
            rss, proc_cpu = None, None
        per_core = psutil.cpu_percent(None, percpu=True)
        return {
            "cpu_util_percent": sum(per_core) / len(per_core) if per_core else None,
            "cpu_per_core_percent": per_core,
            "process_cpu_percent": proc_cpu,
            # the process's share of the whole machine, on the same 0-100 scale as cpu_util_percent
            "process_cpu_share_percent": proc_cpu / len(per_core) if proc_cpu is not None and per_core else None,
            "process_rss_bytes": rss,
            **self._slow_readings(),
        }
