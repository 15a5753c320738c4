"""Turn engine events into series-store updates. Qt-free; runs on the publishing thread.

Called for every event (hundreds a second for fast steps), so it does only cheap appends
under the store's lock and never touches Qt.
"""

from __future__ import annotations

import threading
from collections import deque
from numbers import Real

from gui.series import SeriesStore
from profiler.events import Event, RunNotice, RunStateChanged, StepFinished, TelemetrySample

#: rolling window (steps) for the live samples/s curve
THROUGHPUT_WINDOW_STEPS = 20

SAMPLES_PER_S = "samples_per_s"  # rolling samples/s over the last steps
STEP_TIME_MS = "step_time_ms"
LOSS = "loss"
TIMED_SAMPLES_PER_S = "timed_samples_per_s"  # scalar: timed samples / timed seconds so far
STATE = "state"  # scalar: last RunState
PHASE = "phase"  # scalar: phase of the last step
STEPS = "steps"  # scalar: steps seen


class _RunTally:
    __slots__ = ("recent", "timed_s", "timed_samples")

    def __init__(self) -> None:
        self.recent: deque[tuple[int, float]] = deque(maxlen=THROUGHPUT_WINDOW_STEPS)
        self.timed_samples = 0
        self.timed_s = 0.0


class EventIngest:
    """Bus handler that records events into a ``SeriesStore``. Thread-safe."""

    def __init__(self, store: SeriesStore) -> None:
        self.store = store
        self._tallies: dict[str, _RunTally] = {}
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        if isinstance(event, StepFinished):
            self._step(event)
        elif isinstance(event, TelemetrySample):
            self._telemetry(event)
        elif isinstance(event, RunStateChanged):
            self.store.set_scalar(event.run_id, STATE, event.state)
        elif isinstance(event, RunNotice) and event.kind == "throttle":
            self.store.set_scalar(event.run_id, "throttle", event.message)

    def _step(self, ev: StepFinished) -> None:
        with self._lock:
            tally = self._tallies.setdefault(ev.run_id, _RunTally())
            tally.recent.append((ev.samples, ev.step_time_s))
            if ev.phase == "timed":
                tally.timed_samples += ev.samples
                tally.timed_s += ev.step_time_s
            window_s = sum(dt for _, dt in tally.recent)
            rolling = sum(n for n, _ in tally.recent) / window_s if window_s > 0 else None
            timed = tally.timed_samples / tally.timed_s if tally.timed_s > 0 else None
        store, run = self.store, ev.run_id
        if rolling is not None:
            store.append(run, SAMPLES_PER_S, ev.t_s, rolling)
        store.append(run, STEP_TIME_MS, ev.t_s, ev.step_time_s * 1e3)
        if ev.loss is not None:
            store.append(run, LOSS, ev.t_s, ev.loss)
        if timed is not None:
            store.set_scalar(run, TIMED_SAMPLES_PER_S, timed)
        store.set_scalar(run, PHASE, ev.phase)
        store.set_scalar(run, STEPS, ev.step)

    def _telemetry(self, ev: TelemetrySample) -> None:
        for name, value in ev.values.items():
            key = f"{ev.source}.{name}"
            if isinstance(value, bool) or value is None:
                continue  # n/a stays absent: never plotted as 0
            if isinstance(value, Real):
                self.store.append(ev.run_id, key, ev.t_s, float(value))
            elif isinstance(value, (list, tuple)):
                self.store.set_vector(ev.run_id, key, value)
            else:
                self.store.set_scalar(ev.run_id, key, value)

    def forget(self, run_id: str) -> None:
        with self._lock:
            self._tallies.pop(run_id, None)
