"""Write a run into history while it runs: an event-bus handler that buffers and flushes.

``RunRecorder`` is called on the publishing thread (the engine thread, the telemetry
sampler thread, or the thread that re-publishes a worker's events). Handling an event is a
list append under a lock; at most ``flush_interval_s`` apart (and at every state change)
the buffer is written in one transaction, so a crash or power cut loses about a second.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator
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
from profiler.results.spec import RunSpec

log = logging.getLogger(__name__)

HOST_SOURCE = "host"


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


class RunRecorder:
    """Records events of run ``run_id`` into ``store``; other runs' events are ignored.

    The run's row is created at construction (status ``pending``). Telemetry keys are
    ``<reading>`` for the host and ``<source>.<reading>`` for devices (``cuda:0.power_w``),
    like ``RunResult.telemetry``; non-numeric and n/a readings are not stored.
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
        store.begin_run(run_id, spec)

    def __call__(self, event: Event) -> None:
        if getattr(event, "run_id", None) != self.run_id or self.finished:
            return
        if isinstance(event, StepFinished):
            loss = _number(event.loss)
            with self._lock:
                self._steps.append((event.step, event.phase, event.t_s, event.step_time_s,
                                    event.samples, loss))
        elif isinstance(event, TelemetrySample):
            prefix = "" if event.source == HOST_SOURCE else f"{event.source}."
            rows = [(event.t_s, prefix + key, v) for key, raw in event.values.items()
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
            self.flush()
            self.store.finish_run(self.run_id, event.result)
            self.finished = True
            return
        if time.monotonic() - self._last_flush >= self.flush_interval_s:
            self.flush()

    def flush(self) -> None:
        """Write everything buffered so far (one commit)."""
        with self._lock:
            steps, self._steps = self._steps, []
            telemetry, self._telemetry = self._telemetry, []
            notices, self._notices = self._notices, []
            status, self._status = self._status, None
            self._last_flush = time.monotonic()
        self.store.append(self.run_id, steps, telemetry, notices, status)

    def close(self) -> None:
        """Flush what is left (a run that never sent RunFinished keeps its last status)."""
        if not self.finished:
            self.flush()


@contextmanager
def recording(
    bus: EventBus,
    spec: RunSpec,
    run_id: str,
    store: HistoryStore | None = None,
) -> Iterator[RunRecorder | None]:
    """Record run ``run_id`` published on ``bus`` into history for the block's duration.

    For the CLI ``run`` command: history that cannot be opened is logged and skipped
    (yields None); a run never fails because history does.
    """
    own = store is None
    try:
        store = store or HistoryStore.open()
        recorder = RunRecorder(store, run_id, spec)
    except Exception as exc:
        log.warning("run history unavailable, this run is not recorded: %s", exc)
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
