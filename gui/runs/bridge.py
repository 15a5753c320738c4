"""The one door from the engine into the GUI: engine events -> coarse Qt signals.

``handle`` is an ``EventBus`` handler called on the profiling thread (one per run). It
records every event into the ``SeriesStore`` (no Qt involved) and emits a Qt signal only
for coarse events: a run started, changed state, posted a notice, or finished. Never one
signal per sample: plots pull store snapshots on their own timer.

The bridge object lives on the GUI thread, so connections made with
``Qt.QueuedConnection`` (see ``connect_queued``) deliver every signal on the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, SignalInstance

from gui.runs.event_ingest import EventIngest
from gui.viewmodel.series_store import SeriesStore
from profiler.events import Event, RunFinished, RunNotice, RunStateChanged

log = logging.getLogger(__name__)


class EngineBridge(QObject):
    """Engine events in (any thread), documented signals out (GUI thread when queued)."""

    sig_run_started = Signal(str, object)
    """(run_id, RunSpec). Emitted on the profiling thread just before the run begins."""

    sig_run_state_changed = Signal(str, str, str)
    """(run_id, state, message). Emitted on the profiling thread."""

    sig_run_notice = Signal(str, str, str)
    """(run_id, kind, message); kind is info | warning | throttle. Profiling thread."""

    sig_run_finished = Signal(str, object)
    """(run_id, ``RunResult``). Once per run: from the run's one ``RunFinished`` event
    (published by the supervisor). Profiling thread; the result is not changed after it."""

    def __init__(self, store: SeriesStore, parent: QObject | None = None,
                 now_s: Callable[[], float] | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.ingest = EventIngest(store, now_s) if now_s is not None else EventIngest(store)

    def connect_queued(self, signal: SignalInstance, slot: Callable[..., Any]) -> None:
        """Connect so that ``slot`` always runs on the bridge's (GUI) thread."""
        signal.connect(slot, Qt.ConnectionType.QueuedConnection)

    # ---- called on the profiling thread ---------------------------------------------
    def handle(self, event: Event) -> None:
        """EventBus handler: record, then emit a signal for coarse events only."""
        self.ingest(event)
        if isinstance(event, RunStateChanged):
            self.sig_run_state_changed.emit(event.run_id, event.state, event.message)
        elif isinstance(event, RunNotice):
            self.sig_run_notice.emit(event.run_id, event.kind, event.message)
        elif isinstance(event, RunFinished):
            log.info("run %s finished: %s", event.run_id, event.result.status)
            self.ingest.forget(event.run_id)
            self.sig_run_finished.emit(event.run_id, event.result)

    def announce_start(self, run_id: str, spec: Any) -> None:
        self.sig_run_started.emit(run_id, spec)
