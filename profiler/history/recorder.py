"""Write a run into history while it runs: an event-bus handler that buffers and flushes.

``RunRecorder`` is called on the publishing thread (the engine thread, the telemetry
sampler thread, or the thread that re-publishes a worker's events). Handling an event is a
list append under a lock; its own writer thread writes the buffer in one transaction every
``flush_interval_s`` (and at every state change), so a crash or power cut loses about a
second, and a commit's fsync never lands inside a measured training step.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from profiler.events import (
    Event,
    EventBus,
    RunFinished,
    RunNotice,
    RunStateChanged,
    StepFinished,
    TelemetrySample,
)
from profiler.history.store import HistoryStore, NoticeRow, StepRow, TelemetryRow
from profiler.metrics import keys
from profiler.results.spec import RunSpec

log = logging.getLogger(__name__)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


class RunRecorder:
    """Records events of run ``run_id`` into ``store``; other runs' events are ignored.

    The run's row is created at construction (status ``pending``). Series telemetry keys are
    ``profiler.metrics.keys`` keys (``host.cpu_util_percent``, ``cuda:0.power_w``);
    non-numeric and n/a readings are not stored. ``close()`` joins the writer thread.
    """

    def __init__(
        self,
        store: HistoryStore,
        run_id: str,
        spec: RunSpec | dict[str, Any],
        flush_interval_s: float = 1.0,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.flush_interval_s = flush_interval_s
        self.finished = False
        self._lock = threading.Lock()
        self._steps: list[StepRow] = []
        self._telemetry: list[TelemetryRow] = []
        self._notices: list[NoticeRow] = []
        self._status: str | None = None
        self._last_flush = time.monotonic()
        self._flush_lock = threading.Lock()  # one writer at a time, in buffer order
        #: steps committed to the database so far (what a crash right now would keep)
        self.steps_committed = 0
        store.begin_run(run_id, spec)
        self._stop = threading.Event()
        self._writer = threading.Thread(target=self._write_loop, name=f"history-{run_id}", daemon=True)
        self._writer.start()

    def _write_loop(self) -> None:
        while not self._stop.wait(max(self.flush_interval_s, 0.05)):
            try:
                self.flush()
            except Exception:  # history must never break a run; the next flush retries
                log.exception("writing run %s to history failed", self.run_id)

    def __call__(self, event: Event) -> None:
        if getattr(event, "run_id", None) != self.run_id or self.finished:
            return
        if isinstance(event, StepFinished):
            loss = _number(event.loss)
            with self._lock:
                self._steps.append((event.step, event.phase, event.t_s, event.step_time_s,
                                    event.samples, loss))
        elif isinstance(event, TelemetrySample):
            rows = [(event.t_s, keys.key(event.source, name), v) for name, raw in event.values.items()
                    if (v := _number(raw)) is not None]
            with self._lock:
                self._telemetry.extend(rows)
        elif isinstance(event, RunNotice):
            with self._lock:
                self._notices.append((event.t_s, event.kind, event.message))
        elif isinstance(event, RunStateChanged):
            with self._lock:
                self._status = event.state
            self.flush()
            return
        elif isinstance(event, RunFinished):
            self._stop.set()
            self.flush()
            self.store.finish_run(self.run_id, event.result)
            self.finished = True

    def flush(self) -> None:
        """Write everything buffered so far (one commit)."""
        with self._flush_lock:
            with self._lock:
                steps, self._steps = self._steps, []
                telemetry, self._telemetry = self._telemetry, []
                notices, self._notices = self._notices, []
                status, self._status = self._status, None
                self._last_flush = time.monotonic()
            if steps or telemetry or notices or status is not None:
                self.store.append(self.run_id, steps, telemetry, notices, status)
                self.steps_committed += len(steps)

    def close(self) -> None:
        """Stop the writer thread and flush what is left (a run that never sent RunFinished
        keeps its last status)."""
        self._stop.set()
        if self._writer.is_alive() and self._writer is not threading.current_thread():
            self._writer.join(5.0)
        if not self.finished:
            self.flush()


@contextmanager
def recording(
    bus: EventBus,
    run_id: str,
    spec: RunSpec,
    store: HistoryStore | None = None,
    warn: Callable[[str], None] | None = None,
) -> Iterator[RunRecorder | None]:
    """Record run ``run_id`` published on ``bus`` into history for the block's duration.

    The one hook-up of history to a run, used by the CLI, sweeps and the window. ``store``
    defaults to the user's history (opened and closed here). History that cannot be opened
    is reported through ``warn`` (default: the log) and skipped, yielding None: a run never
    fails because history does.
    """
    own = store is None
    try:
        store = store or HistoryStore.open()
        for notice in store.notices if own else ():
            (warn or log.warning)(notice)
        recorder = RunRecorder(store, run_id, spec)
    except Exception as exc:
        (warn or log.warning)(f"run history unavailable, this run is not recorded: {exc}")
        yield None
        return
    unsubscribe = bus.subscribe(recorder)
    try:
        yield recorder
    finally:
        unsubscribe()
        try:
            recorder.close()
        finally:
            if own:
                store.close()
