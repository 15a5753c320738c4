"""Write a run into history while it runs: an event-bus handler that buffers, and a writer thread.

``RunRecorder`` is called on the publishing thread (the engine thread, the telemetry
sampler thread, or the thread that re-publishes a worker's events). Handling an event is a
list append under a lock and never touches the database: every SQLite call (opening the
store, creating the run's row, every commit, the final result) runs on the recorder's own
writer thread, so a locked or full database can never stall a training step.

The writer commits the buffer every ``flush_interval_s`` (at once on a state change), so a
crash or power cut loses about a second. Rows leave the buffer only once committed: a failed
write (disk full, another process holding the lock) keeps them and is retried with backoff.
When the run ends, ``close()`` waits a bounded time for the last commit; ``outcome()`` then
says plainly what history kept (``HistoryOutcome.message`` is one line, None when all was
stored), and a run whose stored steps are fewer than it measured is marked incomplete.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from profiler.error_text import first_line
from profiler.events import (
    Event,
    EventBus,
    RunFinished,
    RunNotice,
    RunStateChanged,
    StepFinished,
    TelemetrySample,
)
from profiler.history.database import HistoryError
from profiler.history.store import HistoryStore, NoticeRow, StepRow, TelemetryRow
from profiler.metrics import keys
from profiler.results.result import RunResult
from profiler.results.spec import RunSpec

log = logging.getLogger(__name__)

#: rows kept in memory while the database cannot take them (then new rows are counted, not kept)
MAX_BUFFERED_ROWS = 250_000
RETRY_FIRST_S = 0.1
RETRY_MAX_S = 2.0
#: how long ``close()`` waits for the last commit after the run ended
CLOSE_TIMEOUT_S = 10.0
#: busy timeout of a store the recorder opens itself: short, so a give-up is prompt
OWN_BUSY_TIMEOUT_S = 1.0


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


@dataclass(frozen=True)
class HistoryOutcome:
    """What history kept of one run (plain data for the CLI and the window).

    ``steps_measured``: steps the run published (all stages); ``steps_stored``: those committed.
    ``final_stored``: the final result is in history. ``error``: the last failure, one line.
    """

    run_id: str
    recorded: bool
    final_stored: bool
    run_finished: bool
    steps_measured: int
    steps_stored: int
    rows_dropped: int
    error: str | None
    notices: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """History holds everything the run published (a run that never started: nothing to hold)."""
        if self.steps_measured == 0 and not self.run_finished:
            return True
        return self.steps_stored == self.steps_measured and self.rows_dropped == 0 and (
            self.final_stored or not self.run_finished)

    @property
    def message(self) -> str | None:
        """One line for a user when history did not keep the whole run; None when it did."""
        if self.complete:
            return None
        why = f" ({self.error})" if self.error else ""
        if not self.recorded:
            return f"run {self.run_id} is not in history{why}"
        kept = f"history kept {self.steps_stored:,} of {self.steps_measured:,} measured steps of run {self.run_id}"
        if not self.final_stored:
            return f"{kept} and not its final result{why}; it shows as interrupted"
        return f"{kept}{why}; it is marked incomplete"


class RunRecorder:
    """Records events of run ``run_id`` into ``store``; other runs' events are ignored.

    ``store`` is an open ``HistoryStore`` or a zero-argument function that opens one (called on
    the writer thread; the recorder closes it when done). The run's row is created when the
    run publishes its first event (status as published), so a run that never starts leaves no
    row. Series telemetry keys are ``profiler.metrics.keys`` keys (``host.cpu_util_percent``,
    ``cuda:0.power_w``); non-numeric and n/a readings are not stored.
    """

    def __init__(
        self,
        store: HistoryStore | Callable[[], HistoryStore],
        run_id: str,
        spec: RunSpec | dict[str, Any],
        flush_interval_s: float = 1.0,
    ) -> None:
        self._opener = None if isinstance(store, HistoryStore) else store
        self.store: HistoryStore | None = store if isinstance(store, HistoryStore) else None
        self.run_id = run_id
        self.spec = spec
        self.flush_interval_s = flush_interval_s
        self.finished = False  # RunFinished seen
        self._lock = threading.Lock()
        self._steps: list[StepRow] = []
        self._telemetry: list[TelemetryRow] = []
        self._notices: list[NoticeRow] = []
        self._status: str | None = None
        self._first_status = "pending"
        self._final: RunResult | None = None
        self._final_row: dict[str, Any] | None = None  # its stored form, made once on the writer thread
        self._seen = False
        self._begun = False
        self._final_stored = False
        self._steps_seen = 0
        self._dropped = 0
        self._failures = 0
        self._error: str | None = None
        self._fatal = False
        #: steps committed to the database so far (what a crash right now would keep)
        self.steps_committed = 0
        self._wake = threading.Event()
        self._stop = threading.Event()  # the run is over: write what is left, then end
        self._abandon = threading.Event()  # close() gave up waiting: end after this attempt
        self._writer = threading.Thread(target=self._write_loop, name=f"history-{run_id}", daemon=True)
        self._writer.start()

    # ---- publishing threads: buffer only ---------------------------------------------
    def __call__(self, event: Event) -> None:
        if getattr(event, "run_id", None) != self.run_id or self.finished:
            return
        with self._lock:
            first, self._seen = not self._seen, True
            urgent = first
            if isinstance(event, StepFinished):
                self._steps_seen += 1
                if self._room(1, self._steps):
                    self._steps.append((event.step, event.stage, event.t_s, event.step_time_s,
                                        event.samples, _number(event.loss)))
            elif isinstance(event, TelemetrySample):
                rows = [(event.t_s, keys.key(event.source, name), v) for name, raw in event.values.items()
                        if (v := _number(raw)) is not None]
                if self._room(len(rows), self._telemetry):
                    self._telemetry.extend(rows)
            elif isinstance(event, RunNotice):
                if self._room(1, self._notices):
                    self._notices.append((event.t_s, event.kind, event.message))
            elif isinstance(event, RunStateChanged):
                self._status = event.state
                if first:
                    self._first_status = event.state
                urgent = True
            elif isinstance(event, RunFinished):
                self._final = event.result
                self.finished = urgent = True
        if urgent:
            self._wake.set()

    def _room(self, n: int, buffer: list[Any]) -> bool:
        if len(buffer) + n <= MAX_BUFFERED_ROWS:
            return True
        self._dropped += n
        return False

    # ---- the writer thread: every database call -------------------------------------
    def _write_loop(self) -> None:
        try:
            while True:
                ending = self._stop.is_set()
                self._wake.clear()
                ok = self._write_once()
                if self._fatal or self._abandon.is_set() or (ending and ok):
                    break
                if ok:
                    self._wake.wait(max(self.flush_interval_s, 0.01))
                else:  # back off; close() ends the wait when it gives up
                    self._abandon.wait(min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** (self._failures - 1)))
        finally:
            if self._opener is not None and self.store is not None:
                self.store.close()

    def _write_once(self) -> bool:
        """One attempt to commit everything buffered; False (rows kept) when it failed."""
        try:
            if self.store is None:
                assert self._opener is not None
                self.store = self._opener()
            if not self._seen:
                return True
            if not self._begun:
                self.store.begin_run(self.run_id, self.spec, status=self._first_status)
                self._begun = True
            final = self._flush_buffers()
            if final is not None and not self._final_stored:
                if self._final_row is None:
                    self._final_row = final.to_dict()
                self.store.finish_run(self.run_id, self._final_row, incomplete=self._incomplete())
                self._final_stored = True
        except (sqlite3.OperationalError, OSError) as exc:
            return self._failed(exc, retriable=True)
        except HistoryError as exc:
            return self._failed(exc, retriable=exc.retriable)
        except Exception as exc:  # history must never break a run
            log.exception("writing run %s to history failed", self.run_id)
            return self._failed(exc, retriable=False)
        self._failures = 0
        return True

    def _failed(self, exc: BaseException, retriable: bool) -> bool:
        self._failures += 1
        self._error = first_line(exc, 160, named=False)
        self._fatal = not retriable
        if self._failures == 1:
            log.info("history write for run %s failed (%s); %s", self.run_id, self._error,
                        "retrying" if retriable else "giving up")
        return False

    def _flush_buffers(self) -> RunResult | None:
        """Commit what is buffered; returns the final result if it had arrived when the buffer
        was taken (so every step published before it is committed by now), else None."""
        assert self.store is not None
        with self._lock:
            steps, telemetry, notices = list(self._steps), list(self._telemetry), list(self._notices)
            status, final = self._status, self._final
        if steps or telemetry or notices or status is not None:
            self.store.append(self.run_id, steps, telemetry, notices, status)
        with self._lock:  # committed: only now do the rows leave the buffer
            del self._steps[: len(steps)]
            del self._telemetry[: len(telemetry)]
            del self._notices[: len(notices)]
            if self._status == status:
                self._status = None
        self.steps_committed += len(steps)
        return final

    def _incomplete(self) -> str | None:
        with self._lock:
            dropped, seen = self._dropped, self._steps_seen
        if not dropped and self.steps_committed >= seen:
            return None
        return (f"{dropped:,} rows were not stored while history could not keep up "
                f"({self._error or 'buffer full'}); {self.steps_committed:,} of {seen:,} steps stored")

    def flush(self) -> None:
        """Ask the writer thread to commit now (returns at once; never waits on the database)."""
        self._wake.set()

    def sync(self, timeout_s: float = 5.0) -> bool:
        """Wait until everything buffered so far is committed; False on timeout or failure.
        Waits on the database: never call it on a training thread."""
        deadline = time.monotonic() + timeout_s
        self._wake.set()
        while time.monotonic() < deadline and self._writer.is_alive():
            with self._lock:
                pending = bool(self._steps or self._telemetry or self._notices or self._status is not None)
                pending = pending or (self._seen and not self._begun) or (
                    self._final is not None and not self._final_stored)
            if not pending and self._failures == 0:
                return True
            time.sleep(0.01)
        return False

    def close(self, timeout_s: float | None = None) -> HistoryOutcome:
        """End recording: wait up to ``timeout_s`` (default ``CLOSE_TIMEOUT_S``) for the last
        commit, then give up (a row that could not be stored keeps its last status). Returns
        what history kept."""
        self._stop.set()
        self._wake.set()
        if self._writer is not threading.current_thread():
            self._writer.join(CLOSE_TIMEOUT_S if timeout_s is None else timeout_s)
            if self._writer.is_alive():
                self._abandon.set()
                self._wake.set()
                self._writer.join(OWN_BUSY_TIMEOUT_S + 1.0 if self._opener is not None else 11.0)
        return self.outcome()

    def outcome(self) -> HistoryOutcome:
        """What history holds of this run so far."""
        with self._lock:
            seen, dropped = self._steps_seen, self._dropped
        notices = tuple(self.store.notices) if self._opener is not None and self.store is not None else ()
        return HistoryOutcome(self.run_id, self._begun, self._final_stored, self._final is not None, seen,
                              self.steps_committed, dropped, self._error, notices)


@contextmanager
def recording(
    bus: EventBus,
    run_id: str,
    spec: RunSpec,
    store: HistoryStore | None = None,
    warn: Callable[[str], None] | None = None,
    on_outcome: Callable[[HistoryOutcome], None] | None = None,
) -> Iterator[RunRecorder]:
    """Record run ``run_id`` published on ``bus`` into history for the block's duration.

    The one hook-up of history to a run, used by the CLI, sweeps and the window. ``store``
    defaults to the user's history, opened (and closed) on the recorder's writer thread, never
    on the caller's. A run never fails because history does: at the end, ``on_outcome`` gets
    the ``HistoryOutcome`` (called on the closing thread); without it, a notice about the store
    and an incomplete outcome's one-line message go to ``warn`` (default: the log).
    """
    def opener() -> HistoryStore:
        return HistoryStore.open(busy_timeout_s=OWN_BUSY_TIMEOUT_S)

    recorder = RunRecorder(store if store is not None else opener, run_id, spec)
    unsubscribe = bus.subscribe(recorder)
    try:
        yield recorder
    finally:
        unsubscribe()
        outcome = recorder.close()
        if on_outcome is not None:
            on_outcome(outcome)
        else:
            for line in (*outcome.notices, *([outcome.message] if outcome.message else [])):
                (warn or log.warning)(line)
