"""Host versus run: how much of the machine's CPU this run took, and how much others took.

The sampler records ``host.cpu_util_percent`` (the whole machine, percent of all logical CPUs)
and ``host.process_cpu_percent`` (this run's process, plus its DataLoader workers in pipeline
mode, in percent of ONE core, as psutil reports it). Both are averaged over the same samples
of the timed window, so others' share = host - run / cpus (means are linear). Whether a run
was contended is decided from per-sample figures in ``profiler.metrics.contention``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from profiler import units
from profiler.metrics import keys

#: others' share of the machine (points of all CPUs) above which a run is contended: the one
#: threshold, used by ``metrics.contention`` (as ``CONTENDED_OTHERS_PERCENT``, on the window median)
CONTENDED_POINTS = 15.0
#: sets another threshold (0-100), read at each judgement: a test suite that runs on several
#: processes at once sets 100, so that its own workers never count as the "other processes" that
#: make a run contended (tests/conftest.py; the contention tests keep the default)
THRESHOLD_ENV = "HORSEPOWER_CONTENDED_PERCENT"


def contended_points() -> float:
    """The threshold in force: ``THRESHOLD_ENV`` when it holds a number from 0 to 100, else
    ``CONTENDED_POINTS``."""
    raw = os.environ.get(THRESHOLD_ENV, "").strip()
    try:
        value = float(raw) if raw else CONTENDED_POINTS
    except ValueError:
        return CONTENDED_POINTS
    return value if 0.0 <= value <= 100.0 else CONTENDED_POINTS


def others_percent(host_percent: float | None, run_core_percent: float | None, cpus: int | None) -> float | None:
    """Other processes' share of the machine (percent of all CPUs): host busy minus this
    process's ``run_core_percent`` (percent of one core) spread over ``cpus``; within 0-100."""
    if host_percent is None or run_core_percent is None or not cpus:
        return None
    return min(100.0, max(0.0, host_percent - run_core_percent / cpus))


@dataclass(frozen=True)
class CpuShares:
    """Percent of the whole machine (all logical CPUs) during the timed window; None: n/a."""

    host_percent: float | None
    run_percent: float | None
    others_percent: float | None


def cpu_shares(telemetry: Mapping[str, Mapping[str, float | None]], cpus: int | None) -> CpuShares:
    """The host's, this run's and the others' share of the CPU over a run's timed window."""
    host = keys.stat(telemetry, keys.HOST, "cpu_util_percent")
    run_core = keys.stat(telemetry, keys.HOST, "process_cpu_percent")
    run = run_core / cpus if run_core is not None and cpus else None
    if run is not None and host is not None:
        run = min(run, 100.0)
    return CpuShares(host, run, others_percent(host, run_core, cpus))


def shares_sentence(host_percent: float | None, run_percent: float | None, others_percent: float | None,
                    host_max_percent: float | None = None) -> str:
    """The CPU shares in the words of the window's Utilization plot ("machine CPU", "this run's
    process"), one line for the CLI summary, the window's results table and its cards:
    "this run's process 38% of all cores · machine CPU 90% (every process) · other processes 52%".
    ``host_max_percent`` adds the machine's highest reading."""
    peak = f", max {units.pct(host_max_percent)}" if host_max_percent is not None else ""
    return (f"this run's process {units.pct(run_percent)} of all cores · machine CPU {units.pct(host_percent)} "
            f"(every process{peak}) · other processes {units.pct(others_percent)}")
