"""The window's link to the run history: opens the store off the GUI thread, records runs.

``HistoryLink.start()`` opens ``HistoryStore`` on a plain thread, so the window appears
without waiting for SQLite (or for a damaged file to be moved aside). Profiling and sweep
threads call ``recording(bus, run_id, spec)`` around each run: a ``RunRecorder`` on the run's
bus buffers its steps, telemetry and notices and writes them on its own writer thread about
once a second, so a crash loses at most ~1 s of a run and no database wait ever reaches the
training loop (never call ``recorder.sync()`` from a run's thread: it waits on the database).
When the run ends, the recorder's ``close()`` waits up to ``CLOSE_TIMEOUT_S`` (10 s) for the
last commit on the profiling thread, then says what history kept: that ``HistoryOutcome`` is
emitted as ``sig_run_outcome`` (its ``message`` is None when history holds the whole run).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from profiler.events import EventBus
from profiler.results.spec import RunSpec

if TYPE_CHECKING:
    from profiler.history import HistoryStore

log = logging.getLogger(__name__)

READY_WAIT_S = 15.0  # a run waits this long for the store to open before going unrecorded


class HistoryLink(QObject):
    """Owns the window's ``HistoryStore``; thread-safe apart from ``start``/``close``."""

    sig_ready = Signal(object)
    """(HistoryStore) the store is open. Emitted on the opening thread; connect queued."""

    sig_failed = Signal(str)
    """(message) history cannot be used this session. Opening thread; connect queued."""

    sig_run_recorded = Signal(str)
    """(run_id) a run's last rows are written. Profiling or sweep thread; connect queued."""

    sig_run_outcome = Signal(str, object)
    """(run_id, HistoryOutcome) what history kept of the run, once it ended. Profiling or sweep
    thread; connect queued."""

    def __init__(self, directory: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.directory = directory
        self.store: HistoryStore | None = None
        self.error = ""
        self._opened = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        #: what history kept of each run recorded this session (written once per run, any thread)
        self.outcomes: dict[str, Any] = {}

    @property
    def ready(self) -> bool:
        return self.store is not None

    def start(self) -> None:
        """Open the store on a background thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._open, name="horsepower-history-open")
            self._thread.start()

    def _open(self) -> None:  # opening thread
        try:
            from profiler.history import HistoryStore

            store = HistoryStore.open(self.directory)
        except Exception as exc:
            log.exception("run history could not be opened")
            self.error = f"{type(exc).__name__}: {exc}"
            self._opened.set()
            self.sig_failed.emit(self.error)
            return
        self.store = store
        self._opened.set()
        log.info("run history open at %s", store.path)
        self.sig_ready.emit(store)

    def wait_store(self, timeout_s: float = READY_WAIT_S) -> HistoryStore | None:
        """The open store, waiting up to ``timeout_s`` for it; None if unusable. Any thread."""
        self.start_if_needed()
        self._opened.wait(timeout_s)
        return None if self._closed else self.store

    def start_if_needed(self) -> None:
        if self._thread is None and not self._closed:
            self.start()

    @contextmanager
    def recording(self, bus: EventBus, run_id: str, spec: RunSpec) -> Iterator[Any]:
        """Record run ``run_id`` published on ``bus`` for the block. Profiling/sweep thread.

        History that cannot be used is logged and skipped: a run never fails because of it.
        """
        store = self.wait_store()
        if store is None:
            log.warning("run %s is not stored in history: %s", run_id, self.error or "not open")
            yield None
            return
        from profiler.history.recorder import recording

        try:
            with recording(bus, run_id, spec, store, on_outcome=self._on_outcome) as recorder:
                yield recorder
        finally:
            if not self._closed:
                self.sig_run_recorded.emit(run_id)

    def _on_outcome(self, outcome: Any) -> None:  # profiling or sweep thread
        """Keep what history kept of a run, log what it missed, and tell the window."""
        self.outcomes[outcome.run_id] = outcome
        for line in (*outcome.notices, *([outcome.message] if outcome.message else [])):
            log.warning("%s", line)
        if not self._closed:
            self.sig_run_outcome.emit(outcome.run_id, outcome)

    def in_history(self, run_id: str) -> bool:
        """True when history stored the run's final result (it can be exported from there)."""
        outcome = self.outcomes.get(run_id)
        return bool(outcome is not None and outcome.final_stored)

    def close(self, timeout_s: float = 2.0, close_store: bool = True) -> bool:
        """Join the opening thread and close the store; True when both happened.

        ``close_store=False`` leaves the store open for a thread that did not end in time.
        """
        self._closed = True
        self._opened.set()  # wake runs still waiting for the store: they go unrecorded
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.error("history store still opening after %.1f s", timeout_s)
                return False
        if self.store is not None and close_store:
            self.store.close()
        return close_store
