"""A QThread that owns runs: it supervises the engine's worker process, one run at a time.

Each run goes through ``profiler.worker.run_one``, as the CLI's does: training runs in a
spawned child process, so a native crash in torch cannot take the window down and the GUI's
Python work cannot steal the training loop's GIL. This thread only blocks in ``run_one`` and
forwards the events the child sends (through the bus) to the bridge.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Mapping, Sequence

from PySide6.QtCore import QObject, QThread

from gui.runs.bridge import EngineBridge
from profiler.events import EventBus, RunFinished
from profiler.results.spec import RunSpec, TraceRequest
from profiler.worker.run_one import RecordFn, SuperviseFn, failed_result, run_one

log = logging.getLogger(__name__)


_LIVE: weakref.WeakSet[ProfilingThread] = weakref.WeakSet()


def live_threads() -> list[ProfilingThread]:
    """Profiling threads that are still running (tests check none is left behind)."""
    running = []
    for thread in list(_LIVE):
        try:
            if thread.isRunning():
                running.append(thread)
        except RuntimeError:  # its C++ side was deleted, which Qt only allows once it ended
            _LIVE.discard(thread)
    return running


def default_supervise() -> SuperviseFn:
    """The engine's process-isolated runner (imported lazily: it pulls in torch)."""
    from gui.runs.engine_import import import_worker

    import_worker()
    from profiler.worker.supervisor import supervise

    return supervise


class ProfilingThread(QThread):
    """Runs ``jobs`` (run_id, spec) one after another until done or ``cancel`` is set;
    ``traces`` maps the run ids that record a torch.profiler trace to their request."""

    def __init__(
        self,
        jobs: Sequence[tuple[str, RunSpec]],
        bridge: EngineBridge,
        cancel: threading.Event,
        supervise_fn: SuperviseFn | None = None,
        parent: QObject | None = None,
        record_fn: RecordFn | None = None,
        traces: Mapping[str, TraceRequest] | None = None,
    ) -> None:
        super().__init__(parent)
        self.jobs = list(jobs)
        self.traces = dict(traces or {})
        self.bridge = bridge
        self.cancel = cancel
        self._supervise_fn = supervise_fn
        self._record_fn = record_fn
        self.done: list[str] = []  # run ids whose supervision ended, in order
        _LIVE.add(self)

    def run(self) -> None:  # profiling thread
        bus = EventBus()
        unsubscribe = bus.subscribe(self.bridge.handle)
        try:
            supervise = self._supervise_fn or default_supervise()
            for run_id, spec in self.jobs:
                if self.cancel.is_set():
                    break
                self._run_one(supervise, bus, run_id, spec)
        except Exception:
            log.exception("profiling thread failed")
            for run_id, spec in self.jobs:
                if run_id not in self.done:
                    bus.publish(RunFinished(run_id, failed_result(spec, run_id, "could not start the engine")))
        finally:
            unsubscribe()

    def _run_one(self, supervise: SuperviseFn, bus: EventBus, run_id: str, spec: RunSpec) -> None:
        """One run through the engine's ``run_one``, recorded in history from this thread (~1 s
        flushes); it publishes the run's one ``RunFinished``, a failed one when the spec is
        refused or the supervisor fails."""
        self.bridge.announce_start(run_id, spec)
        started = time.perf_counter()
        run_one(spec, bus, self.cancel, run_id=run_id, trace=self.traces.get(run_id), record=self._record_fn,
                supervise_fn=supervise)
        log.info("run %s on %s took %.1f s", run_id, spec.device, time.perf_counter() - started)
        self.done.append(run_id)

