"""What the window knows about the runs of this session. Qt-free, GUI thread.

Keeps specs and results by run id, which run is in focus for the cards, and the CPU
baseline for "speedup vs CPU" (same workload, size, batch and precision).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gui import ingest
from gui.card_values import FAILED, CardValues, final_values, live_values
from gui.series import SeriesStore

FAILED_STATES = FAILED


def _comparable(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("workload", "size", "precision", "batch_size")
    return all(a.get(k) == b.get(k) for k in keys)


@dataclass
class Session:
    """Runs started from this window, in start order."""

    specs: dict[str, Any] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    focus: str | None = None

    def started(self, run_id: str, spec: Any) -> None:
        self.specs[run_id] = spec
        self.focus = run_id

    def finished(self, run_id: str, result: dict[str, Any]) -> None:
        self.results[run_id] = result

    def active_devices(self) -> list[str]:
        return [s.device for rid, s in self.specs.items() if rid not in self.results]

    def cpu_baseline(self, result: dict[str, Any]) -> float | None:
        """Best samples/s of a comparable completed CPU run, or None."""
        rates = [
            r["samples_per_s"] for r in self.results.values()
            if r.get("device") == "cpu" and r.get("samples_per_s")
            and r.get("status") in ("completed", "stopped") and _comparable(r, result)
        ]
        return max(rates) if rates else None

    def card_values(self, store: SeriesStore) -> CardValues | None:
        """Figures for the run in focus: final when finished, live (timed steps only) while running."""
        run_id = self.focus
        if run_id is None or run_id not in self.specs:
            return None
        spec = self.specs[run_id]
        result = self.results.get(run_id)
        caption = str(getattr(spec, "title", "") or f"{spec.workload}-{spec.size} {spec.precision} on {spec.device}")
        if result is None:
            base = self.cpu_baseline(
                {"workload": spec.workload, "size": spec.size, "precision": spec.precision,
                 "batch_size": _batch_of(self.results, spec)}
            ) if spec.device != "cpu" else None
            return live_values(store, run_id, spec.device, caption, base)
        info = store.scalar(run_id, ingest.DESCRIBED)
        unit = str(info.get("sample_unit") or "samples") if isinstance(info, dict) else "samples"
        return final_values(result, caption, self.cpu_baseline(result), unit)


def _batch_of(results: dict[str, dict[str, Any]], spec: Any) -> int | None:
    """Resolved batch size of an earlier comparable run (the spec may say None = default)."""
    if spec.batch_size:
        return int(spec.batch_size)
    for r in results.values():
        if r.get("workload") == spec.workload and r.get("size") == spec.size:
            s = r.get("spec") or {}
            if not s.get("batch_size"):
                return r.get("batch_size")
    return None
