"""Starts, stops and joins profiling threads for the window. GUI thread only.

Sequential mode (the default, for fair numbers) runs the selected devices one after
another in one thread; race mode starts one thread per device at once (for demos: the
devices then compete for host CPU and the numbers are not comparable to solo runs).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from PySide6.QtCore import QObject, Signal

from gui.runs.bridge import EngineBridge
from gui.runs.profiling_thread import ProfilingThread, RecordFn, SuperviseFn
from gui.runs.trace_request import trace_request
from profiler.results.result import new_run_id
from profiler.results.spec import RunSpec, TraceRequest

log = logging.getLogger(__name__)


class RunManager(QObject):
    """Owns every ProfilingThread the window starts."""

    sig_busy_changed = Signal(bool)
    """True when runs start, False when the last thread has ended. GUI thread."""

    def __init__(
        self, bridge: EngineBridge, supervise_fn: SuperviseFn | None = None,
        parent: QObject | None = None, record_fn: RecordFn | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.supervise_fn = supervise_fn
        self.record_fn = record_fn
        self._threads: list[ProfilingThread] = []
        self._cancel = threading.Event()

    @property
    def busy(self) -> bool:
        return any(t.isRunning() for t in self._threads)

    def start(self, specs: Sequence[RunSpec], race: bool = False, trace: bool = False) -> list[str]:
        """Start ``specs``; returns their run ids in order. Refuses while runs are active.
        ``trace``: each run also records a torch.profiler trace (``trace_request``); when one
        cannot be written, ``TraceUnavailable`` is raised and nothing starts."""
        if self.busy:
            raise RuntimeError("runs are already active; stop them first")
        jobs = [(new_run_id(), spec) for spec in specs]
        traces: dict[str, TraceRequest] = {run_id: trace_request(run_id) for run_id, _ in jobs} if trace else {}
        self._reap()
        self._cancel = threading.Event()
        groups = [[job] for job in jobs] if race else [jobs]
        for group in groups:
            thread = ProfilingThread(group, self.bridge, self._cancel, self.supervise_fn, self,
                                     record_fn=self.record_fn, traces=traces)
            thread.finished.connect(self._on_thread_finished)
            self._threads.append(thread)
            thread.start()
        log.info("started %d run(s) %s", len(jobs), "racing" if race else "in sequence")
        self.sig_busy_changed.emit(True)
        return [run_id for run_id, _ in jobs]

    def stop(self) -> None:
        """Ask every run to stop; the supervisor ends each worker within about a second."""
        self._cancel.set()

    def shutdown(self, timeout_s: float = 2.0) -> bool:
        """Stop and join every thread; True when all ended within ``timeout_s``."""
        self.stop()
        deadline = time.monotonic() + timeout_s
        ok = True
        for thread in self._threads:
            remaining_ms = max(0, int((deadline - time.monotonic()) * 1000))
            if not thread.wait(remaining_ms):
                ok = False
                log.error("profiling thread did not end within %.1f s", timeout_s)
        self._reap()
        return ok

    def _on_thread_finished(self) -> None:
        if not self.busy:
            self._reap()
            self.sig_busy_changed.emit(False)

    def _reap(self) -> None:
        done = [t for t in self._threads if t.isFinished()]
        for thread in done:
            self._threads.remove(thread)
            thread.deleteLater()
