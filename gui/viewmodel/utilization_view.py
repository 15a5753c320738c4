"""What the "Which utilization is true?" panel shows: five figures side by side. Qt-free, GUI thread.

The rows come from ``profiler.metrics.utilization``: for a finished run its timed-window
means (``result_utilization``), for a running one the latest readings and live figures
(``live_utilization``), and with no run the machine's own readings (the Utilization plot's).
This module picks the rows for the run in focus and writes their values; it computes none.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gui.viewmodel import series_store as sk
from gui.viewmodel.series_store import SeriesStore
from profiler import units
from profiler.metrics import keys
from profiler.metrics.figures import Figures
from profiler.metrics.utilization import (
    TASK_MANAGER_NOTE,
    UtilizationRow,
    live_utilization,
    result_utilization,
)

__all__ = ["TASK_MANAGER_NOTE", "UtilizationLine", "UtilizationView", "final_view", "idle_view", "live_view",
           "value_text"]


@dataclass(frozen=True)
class UtilizationLine:
    """One row as the panel shows it: its name, its value in words (``n/a`` when missing),
    what it measures and, when n/a, why (``na_note``; "" otherwise)."""

    label: str
    value: str
    meaning: str
    na_note: str = ""

    @property
    def na(self) -> bool:
        return self.value == units.NA


@dataclass(frozen=True)
class UtilizationView:
    """The panel's rows and what they cover (``basis``: whose figures, live or final);
    ``sample_unit`` names what the throughput row counts."""

    basis: str
    rows: tuple[UtilizationRow, ...]
    sample_unit: str = "samples"

    @property
    def lines(self) -> tuple[UtilizationLine, ...]:
        """The rows as shown, in panel order."""
        return tuple(UtilizationLine(row.label if row.key != "samples_per_s" else f"{self.sample_unit}/s",
                                     value_text(row, self.sample_unit), row.meaning,
                                     row.note if row.value is None else "")
                     for row in self.rows)


def value_text(row: UtilizationRow, sample_unit: str = "samples") -> str:
    """The row's value as shown: ``48%`` (a percent reading), ``31%`` (MFU), ``16,955 samples/s``."""
    if row.value is None:
        return units.NA
    if row.unit == "percent":
        return units.pct(row.value)
    if row.unit == "fraction":
        return units.share(row.value)
    return units.rate(row.value, sample_unit)


def _readings(store: SeriesStore, run_id: str, device: str) -> dict[str, Any]:
    names = (keys.host("cpu_util_percent"), keys.host("process_cpu_percent"), keys.key(device, "util_percent"))
    return {name: store.last(run_id, name) for name in names}


def live_view(store: SeriesStore, run_id: str, device: str, title: str) -> UtilizationView:
    """A running run: its sampler's latest readings and the live figures of the last 2 s."""
    live = store.scalar(run_id, sk.LIVE)
    info = sk.description(store, run_id)
    unit = (info.sample_unit if info else "") or "samples"
    rows = live_utilization(_readings(store, run_id, device), device, os.cpu_count(),
                            live if isinstance(live, Figures) else None)
    return UtilizationView(f"{title} · live: the latest readings, figures of the last 2 s", tuple(rows), unit)


def final_view(result: Mapping[str, Any], title: str, sample_unit: str = "samples") -> UtilizationView:
    """A finished run: means over its timed window."""
    return UtilizationView(f"{title} · final: means over the whole timed window",
                           tuple(result_utilization(result)), sample_unit)


def idle_view(store: SeriesStore) -> UtilizationView:
    """No run: the machine's own readings, its first accelerator's utilization included (the
    run's rows say n/a)."""
    busy = sorted(k for k in store.keys(sk.MACHINE) if keys.split(k)[1] == "util_percent")
    device = keys.split(busy[0])[0] if busy else "cpu"
    rows = live_utilization(_readings(store, sk.MACHINE, device), device, os.cpu_count(), None)
    return UtilizationView("No run yet · the machine now (start a run to fill the rest)", tuple(rows))
