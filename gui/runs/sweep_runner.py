"""Run a knob sweep from the window: ``profiler.analysis.sweep.sweep`` on a QThread.

Each point runs in its own worker process through ``supervise`` (the same isolation as a
live run) and is recorded in history while it runs. ``stop()`` sets the cancel event that
both the sweep (between points) and the supervisor (within a point, killing the worker
after its grace period) watch, so a stop or a closing window ends everything in ~1 s.

A sweep of a user's own model is checked on the sweep thread before its first point (the
engine builds each distinct model in a child process: seconds, so never on the GUI thread);
a point that does not pass ends it with ``sig_sweep_rejected`` before anything is recorded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from gui.runs.event_ingest import EventIngest
from gui.runs.history_link import HistoryLink
from gui.runs.job_runner import JobRunner, JobThread
from gui.runs.profiling_thread import SuperviseFn, default_supervise
from gui.viewmodel import run_states
from gui.viewmodel.series_store import SeriesStore
from profiler.events import Event, EventBus, RunStateChanged
from profiler.results.result import RunResult, new_run_id
from profiler.results.spec import RunSpec, SpecError
from profiler.worker.run_one import run_one

log = logging.getLogger(__name__)

RunFn = Callable[[RunSpec], RunResult]
CheckFn = Callable[[], None]


def base_spec(request: dict[str, Any]) -> RunSpec:
    """The spec every point starts from: ``request["base"]`` (a spec dict) or the defaults."""
    base = request.get("base")
    spec = RunSpec.from_dict(dict(base)) if base else RunSpec(workload=str(request["workload"]))
    return spec.replace(duration_s=float(request.get("duration_s") or spec.duration_s or 3.0))


class SweepThread(JobThread):
    """Runs one sweep; reports per point through ``SweepRunner``'s signals."""

    def __init__(self, runner: SweepRunner, request: dict[str, Any], run_fn: RunFn | None,
                 check: CheckFn | None = None) -> None:
        super().__init__(runner)
        self.check = check
        self.runner = runner
        self.request = dict(request)
        self.result: Any = None
        self._run_fn = run_fn
        self._done = 0

    @property
    def total(self) -> int:
        return len(set(self.request["values"])) * len(self.request["devices"])

    def run(self) -> None:  # sweep thread
        from gui.runs.engine_import import engine_imports

        with engine_imports():
            from profiler.analysis.sweep import sweep

        req = self.request
        if self.check is not None:
            try:
                self.check()
            except (SpecError, ValueError) as exc:
                self.runner.sig_sweep_rejected.emit(str(exc), str(getattr(exc, "details", "") or ""))
                return
        if self.cancel.is_set():
            return
        try:
            self.result = sweep(str(req["workload"]), str(req["knob"]), req["values"],
                                req["devices"], run_fn=self._run_fn or self._supervised_point,
                                base=base_spec(req), cancel=self.cancel, on_point=self._on_point)
        except Exception as exc:
            log.exception("sweep failed")
            self.runner.sig_sweep_failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.runner.sig_sweep_finished.emit(self.result, self.cancel.is_set())

    def _on_point(self, point: Any) -> None:
        self._done += 1
        self.runner.sig_point_finished.emit(point, self._done, self.total)

    def _supervised_point(self, spec: RunSpec) -> RunResult:
        """One point in a worker process, recorded in history. Sweep thread."""
        supervise: SuperviseFn = self.runner.supervise_fn or default_supervise()
        run_id = new_run_id()
        bus = EventBus()
        label = f"{self.request['knob']} {_knob_value(spec, str(self.request['knob']))} " \
                f"on {spec.device}"

        def on_event(event: Event) -> None:
            if isinstance(event, RunStateChanged):
                self.runner.sig_point_state.emit(f"{label}: {run_states.words(event.state)}", self._done,
                                                 self.total)

        bus.subscribe(on_event)
        self.runner.point_store.clear()
        self.runner.current_point = (run_id, spec.device, label)
        bus.subscribe(EventIngest(self.runner.point_store))  # the point's live plot
        started = time.perf_counter()
        result = run_one(spec, bus, self.cancel, run_id=run_id, record=self.runner.link.recording,
                         supervise_fn=supervise)
        log.info("sweep point %s took %.1f s: %s", label, time.perf_counter() - started,
                 result.status)
        return result


def _knob_value(spec: RunSpec, knob: str) -> object:
    return spec.batch_size if knob == "batch_size" else spec.knobs.get(knob)


class SweepRunner(JobRunner):
    """Starts, stops and joins the window's sweep thread. GUI thread only."""

    job_name = "sweep"

    sig_point_state = Signal(str, int, int)
    """(text, points done, points in all) a point changed state. Sweep thread; queued."""
    sig_point_finished = Signal(object, int, int)
    """(SweepPoint, points done, points in all). Sweep thread; connect queued."""
    sig_sweep_finished = Signal(object, bool)
    """(SweepResult, stopped early). Sweep thread; connect queued."""
    sig_sweep_failed = Signal(str)
    """(message) the sweep could not run. Sweep thread; connect queued."""
    sig_sweep_rejected = Signal(str, str)
    """(message, details) a point did not pass the check before the sweep: nothing ran. Sweep
    thread; connect queued."""

    def __init__(self, link: HistoryLink, supervise_fn: SuperviseFn | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.supervise_fn = supervise_fn
        self._thread: SweepThread | None = None  # type: ignore[assignment]
        #: the running point's live series (its own store: the Live tab's stays as it is)
        self.point_store = SeriesStore(capacity=1200)
        #: (run id, device, label) of the point running now, or None
        self.current_point: tuple[str, str, str] | None = None

    @property
    def request(self) -> dict[str, Any] | None:
        """The request of the running (or last) sweep."""
        return self._thread.request if self._thread is not None else None

    def start(self, request: dict[str, Any], run_fn: RunFn | None = None, check: CheckFn | None = None) -> None:
        """Run ``request`` ({workload, knob, values, devices, duration_s[, base]}); ``check``
        runs on the sweep thread first (its ``SpecError`` rejects the sweep)."""
        self._launch(lambda: SweepThread(self, request, run_fn, check))
        log.info("sweep started: %s", {k: v for k, v in request.items() if k != "base"})

    def _ended(self) -> None:
        self.current_point = None
