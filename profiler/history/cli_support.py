"""Store every run published on a bus into history: the CLI's one-line hook-up.

``attach_recorder(bus, spec)`` subscribes a handler that starts a ``RunRecorder`` for each
run id it sees (the runner picks the id). Without ``spec`` the run's row starts with a
placeholder spec that the final result replaces. Thread-safe; ``close()`` when done.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from profiler.events import Event, EventBus, RunFinished
from profiler.history.recorder import RunRecorder
from profiler.history.store import HistoryStore
from profiler.results.spec import RunSpec

log = logging.getLogger(__name__)


class HistoryAttachment:
    """A bus handler that records each run into ``store`` as it runs."""

    def __init__(self, bus: EventBus, store: HistoryStore, spec: RunSpec | None = None,
                 own_store: bool = False) -> None:
        self.store = store
        self.spec = spec
        self._own_store = own_store
        self._lock = threading.Lock()
        self._recorders: dict[str, RunRecorder] = {}
        self._unsubscribe = bus.subscribe(self)

    @property
    def run_ids(self) -> list[str]:
        return list(self._recorders)

    def __call__(self, event: Event) -> None:
        run_id = event.run_id
        with self._lock:
            recorder = self._recorders.get(run_id)
            if recorder is None:
                recorder = RunRecorder(self.store, run_id, self._spec_for(event))
                self._recorders[run_id] = recorder
        recorder(event)

    def _spec_for(self, event: Event) -> RunSpec | dict[str, Any]:
        if isinstance(event, RunFinished) and isinstance(event.result.get("spec"), dict):
            return event.result["spec"]
        return self.spec or RunSpec(workload="unknown", device="unknown")

    def close(self) -> None:
        """Stop listening, flush what is buffered, close the store if this opened it."""
        self._unsubscribe()
        with self._lock:
            recorders = list(self._recorders.values())
        for recorder in recorders:
            recorder.close()
        if self._own_store:
            self.store.close()


def attach_recorder(bus: EventBus, spec: RunSpec | None = None,
                    store: HistoryStore | None = None) -> HistoryAttachment:
    """Record runs on ``bus`` into ``store`` (default: the user's history)."""
    own = store is None
    store = store or HistoryStore.open()
    for notice in store.notices:
        log.warning("%s", notice)
    return HistoryAttachment(bus, store, spec, own_store=own)
