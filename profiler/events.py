"""Engine events and the bus that delivers them to observers.

The engine publishes; it never knows who listens (CLI progress line, history
store, the GUI's bridge, a worker pipe). Events are small frozen dataclasses so
they pickle cheaply across a process boundary. Handlers run on the publishing
thread and must be quick; a handler that raises is logged (with its traceback the first
time) and never allowed to break a run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from profiler.results.description import RunDescription
from profiler.results.result import RunResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunStateChanged:
    """A run moved to ``state`` (see ``profiler.results.result.RunState``)."""

    run_id: str
    state: str
    message: str = ""


@dataclass(frozen=True)
class RunDescribed:
    """What the run measures, known once the model is built and before warm-up: its batch,
    FLOPs per step and both MFU references (``RunDescription``). Observers use it to show live
    FLOP/s and both MFUs from step times."""

    run_id: str
    description: RunDescription = field(default_factory=RunDescription)


@dataclass(frozen=True)
class StepFinished:
    """One optimizer step finished, in ``stage`` of the run. ``t_s`` is seconds since the run started."""

    run_id: str
    step: int
    stage: str  # of the run: "warmup" | "timed" | "compile"
    t_s: float
    step_time_s: float
    samples: int
    loss: float | None


@dataclass(frozen=True)
class PhaseSample:
    """Where one phase-sampled step's time went (``profiler.runner.phases``).

    ``phases`` maps phase names (``profiler.metrics.phases.PHASES``: ``data_wait``, ``h2d_copy``,
    ``forward``, ``backward``, ``optimizer``, ``device_wait``) to seconds; they add up to the
    step's time. A sampled step is not a timed step: it has no ``StepFinished``. At most a few
    per second (``MIN_INTERVAL_S``), so the worker pipe stays cheap.
    """

    run_id: str
    step: int
    t_s: float
    phases: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class TelemetrySample:
    """One telemetry reading. ``values`` maps unit-named keys to numbers or None (n/a)."""

    run_id: str
    source: str  # "host" or a device id such as "cuda:0"
    t_s: float
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunNotice:
    """Something a user should know mid-run (compile fallback, throttling, noisy data)."""

    run_id: str
    kind: str  # "info" | "warning" | "throttle"
    message: str
    t_s: float = 0.0


@dataclass(frozen=True)
class RunFinished:
    """The run ended with ``result``. Published once per run; observers only read the result
    (a dict is made of it only at a JSON, SQLite or display edge: ``RunResult.to_dict``)."""

    run_id: str
    result: RunResult


Event = RunStateChanged | RunDescribed | StepFinished | PhaseSample | TelemetrySample | RunNotice | RunFinished
Handler = Callable[[Event], None]


class EventBus:
    """Thread-safe publish/subscribe for engine events."""

    def __init__(self) -> None:
        self._handlers: list[Handler] = []
        self._lock = threading.Lock()
        self._failed: set[int] = set()  # ids of handlers whose traceback was logged once

    def subscribe(self, handler: Handler) -> Callable[[], None]:
        """Add ``handler``; returns a function that removes it again."""
        with self._lock:
            self._handlers = [*self._handlers, handler]

        def unsubscribe() -> None:
            with self._lock:
                self._handlers = [h for h in self._handlers if h is not handler]

        return unsubscribe

    def publish(self, event: Event) -> None:
        for handler in self._handlers:  # copy-on-write list: no lock needed to read
            try:
                handler(event)
            except Exception:
                if id(handler) in self._failed:
                    log.debug("event handler %r failed again on %s", handler, type(event).__name__)
                else:
                    self._failed.add(id(handler))
                    log.exception("event handler %r failed on %s; the event is skipped for it",
                                  handler, type(event).__name__)
