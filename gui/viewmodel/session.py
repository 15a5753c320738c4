"""What the window knows about the runs of this session. Qt-free, GUI thread.

Keeps specs and results by run id, which run is in focus for the cards, and picks the run
the cards compare with by the engine's comparability rule (``profiler.metrics.comparison``):
for an accelerator, the fastest comparable CPU run (a device speedup); for a CPU run, the
latest comparable CPU run with other settings (a settings speedup, labelled) or of the same
settings (a repeat: its run-to-run spread). A CPU run with neither is the baseline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gui.viewmodel import series_store as sk
from gui.viewmodel import utilization_view
from gui.viewmodel.card_values import CardValues, final_values, live_values
from gui.viewmodel.phase_split import PhaseBarValues, final_phase_values, live_phase_values
from gui.viewmodel.series_store import SeriesStore
from gui.viewmodel.utilization_view import UtilizationView
from profiler.metrics.comparison import REPEAT, SETTINGS, device_baseline, speedup
from profiler.metrics.start_progress import StartProgress, start_progress
from profiler.results.description import RunDescription
from profiler.results.result import RunResult, RunState
from profiler.results.spec import RunSpec


def running_result(spec: RunSpec, info: RunDescription | None = None, run_id: str = "") -> dict[str, Any]:
    """A running run as the engine's result dict (``RunResult.to_dict``: the one form the
    comparisons read), with what its description already says: batch and device."""
    batch = (info.batch_size if info else None) or spec.batch_size or 0
    return RunResult(spec=spec, run_id=run_id, status=RunState.MEASURING, batch_size=batch,
                     device_info=dict(info.device_info) if info else {}).to_dict()


@dataclass
class Session:
    """Runs started from this window, in start order."""

    specs: dict[str, RunSpec] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    focus: str | None = None

    def started(self, run_id: str, spec: RunSpec) -> None:
        self.specs[run_id] = spec
        self.focus = run_id

    def finished(self, run_id: str, result: dict[str, Any]) -> None:
        self.results[run_id] = result

    def active_devices(self) -> list[str]:
        return [s.device for rid, s in self.specs.items() if rid not in self.results]

    def cpu_baseline(self, run: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The fastest finished CPU run of this session that ``run`` has a device speedup over."""
        return device_baseline(run, self.results.values(), "cpu")

    def baseline_for(self, run: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The finished run of this session the cards compare ``run`` with (module doc)."""
        if str(run.get("device")) != "cpu":
            return self.cpu_baseline(run)
        for candidate in reversed(list(self.results.values())):
            if candidate.get("run_id") == run.get("run_id") or candidate.get("device") != "cpu":
                continue
            if speedup(run, candidate).kind in (SETTINGS, REPEAT):
                return candidate
        return None

    def card_values(self, store: SeriesStore) -> CardValues | None:
        """Figures for the run in focus: final when finished, live (timed steps only) while running."""
        run_id = self.focus
        if run_id is None or run_id not in self.specs:
            return None
        spec = self.specs[run_id]
        result = self.results.get(run_id)
        info = sk.description(store, run_id)
        if result is None:
            run = running_result(spec, info, run_id)
            base = self.baseline_for({**run, "samples_per_s": 1.0, "status": "measuring"})
            return live_values(store, run_id, run, spec.title, base)
        unit = str(result.get("sample_unit") or "samples")
        return final_values(result, str(result.get("name") or spec.title), self.baseline_for(result), unit)

    def phase_values(self, store: SeriesStore) -> PhaseBarValues:
        """The step-phase split of the run in focus: final when finished, live while running."""
        run_id = self.focus
        if run_id is None or run_id not in self.specs:
            return PhaseBarValues()
        result = self.results.get(run_id)
        if result is None:
            return live_phase_values(store, run_id, self.specs[run_id])
        return final_phase_values(result)

    def start_progress(self, store: SeriesStore) -> StartProgress | None:
        """The preparing step the run in focus is on (None once it measures or finished)."""
        run_id = self.focus
        if run_id is None or run_id not in self.specs or run_id in self.results:
            return None
        warmup = store.scalar(run_id, sk.WARMUP_STEPS)
        state, message = store.scalar(run_id, sk.STATE), store.scalar(run_id, sk.STATE_MESSAGE)
        return start_progress(str(state or ""), str(message or ""), warmup if isinstance(warmup, int) else 0,
                              self.specs[run_id].warmup_max_steps)

    def utilization(self, store: SeriesStore) -> UtilizationView:
        """The "which utilization is true?" rows of the run in focus (the machine's when none)."""
        run_id = self.focus
        if run_id is None or run_id not in self.specs:
            return utilization_view.idle_view(store)
        spec = self.specs[run_id]
        result = self.results.get(run_id)
        if result is None:
            return utilization_view.live_view(store, run_id, spec.device, spec.title)
        unit = str(result.get("sample_unit") or "samples")
        return utilization_view.final_view(result, str(result.get("name") or spec.title), unit)
