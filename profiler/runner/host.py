"""Host readings through psutil: CPU, memory, frequency, the run's process.

A reading the OS does not give is ``None`` (n/a), never 0.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import psutil

log = logging.getLogger(__name__)


class HostReader:
    """Reads host telemetry. Create and call it in the sampling thread.

    psutil's ``cpu_percent(None)`` keeps its reference point per calling thread and returns
    0.0 on a thread's first call, so the constructor primes it: build this object in the
    thread that will call ``read``.
    """

    def __init__(self, pid: int | None = None) -> None:
        self._proc = psutil.Process(pid or os.getpid())
        self._children: dict[int, psutil.Process] = {}
        psutil.cpu_percent(None)
        psutil.cpu_percent(None, percpu=True)
        self._proc.cpu_percent(None)
        self._freq_ok = True

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
        """CPU of the run's process plus its children (DataLoader workers), percent of one core."""
        total = self._proc.cpu_percent(None)
        try:
            live = {c.pid: c for c in self._proc.children(recursive=True)}
        except psutil.Error:
            live = {}
        for pid, child in live.items():
            known = self._children.setdefault(pid, child)
            try:
                total += known.cpu_percent(None)
            except psutil.Error:
                pass
        self._children = {pid: self._children[pid] for pid in live}
        return total

    def read(self) -> dict[str, Any]:
        vm = psutil.virtual_memory()
        try:
            rss: int | None = self._proc.memory_info().rss
            proc_cpu: float | None = self._process_cpu_percent()
        except psutil.Error:
            rss, proc_cpu = None, None
        return {
            "cpu_util_percent": psutil.cpu_percent(None),
            "cpu_per_core_percent": psutil.cpu_percent(None, percpu=True),
            "process_cpu_percent": proc_cpu,
            "ram_used_bytes": int(vm.total - vm.available),
            "ram_total_bytes": int(vm.total),
            "process_rss_bytes": rss,
            "cpu_freq_mhz": self._cpu_freq_mhz(),
        }
