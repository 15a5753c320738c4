"""Turn engine events into series-store updates. Qt-free; runs on the publishing thread.

Called for every event (hundreds a second for fast steps), so it does only cheap appends
under the store's lock and never touches Qt.

Live figures (samples/s, FLOP/s, MFU while a run is going) come from timed-phase steps
only, over the last ``LIVE_WINDOW_S`` seconds of the timed window (at least
``LIVE_MIN_STEPS`` steps), so they follow the run without the jitter of single steps.
Warm-up and compile steps feed the plots but never a live figure.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from numbers import Real
from typing import Any

from gui.series import SeriesStore
from profiler.events import (
    Event,
    RunDescribed,
    RunNotice,
    RunStateChanged,
    StepFinished,
    TelemetrySample,
)

#: rolling window (steps) for the live samples/s curve
THROUGHPUT_WINDOW_STEPS = 20
#: live card figures: timed steps of the last seconds, but never fewer than this many steps
LIVE_WINDOW_S = 2.0
LIVE_MIN_STEPS = 3

SAMPLES_PER_S = "samples_per_s"  # rolling samples/s over the last steps
STEP_TIME_MS = "step_time_ms"
LOSS = "loss"
TIMED_SAMPLES_PER_S = "timed_samples_per_s"  # scalar: timed samples / timed seconds so far
STATE = "state"  # scalar: last RunState
PHASE = "phase"  # scalar: phase of the last step
STEPS = "steps"  # scalar: steps seen
DESCRIBED = "described"  # scalar: the RunDescribed info dict
LIVE = "live"  # scalar: LiveFigures of the timed window so far


@dataclass(frozen=True)
class LiveFigures:
    """Figures over the last timed steps of a running run; None is n/a.

    ``samples_per_s`` and ``flops_per_s`` cover the same ``window_steps`` steps
    (``window_s`` seconds of step time); ``mfu`` is ``flops_per_s`` over the measured peak.
    """

    samples_per_s: float | None
    flops_per_s: float | None
    mfu: float | None
    window_steps: int
    window_s: float
    timed_steps: int


def live_figures(recent: deque[tuple[float, float, int]], timed_steps: int,
                 info: dict[str, Any]) -> LiveFigures | None:
    """Figures from ``recent`` timed steps ``(t_s, step_time_s, samples)``; None when empty."""
    if not recent:
        return None
    window_s = sum(dt for _, dt, _ in recent)
    if window_s <= 0:
        return None
    n = len(recent)
    samples_per_s = sum(s for _, _, s in recent) / window_s
    flops_per_step = info.get("flops_per_step")
    flops_per_s = flops_per_step * n / window_s if flops_per_step else None
    peak = info.get("peak_flops_per_s")
    mfu = flops_per_s / peak if (flops_per_s is not None and peak) else None
    return LiveFigures(samples_per_s, flops_per_s, mfu, n, window_s, timed_steps)


class _RunTally:
    __slots__ = ("info", "recent", "timed", "timed_s", "timed_samples", "timed_steps")

    def __init__(self) -> None:
        self.recent: deque[tuple[int, float]] = deque(maxlen=THROUGHPUT_WINDOW_STEPS)
        self.timed: deque[tuple[float, float, int]] = deque()
        self.timed_samples = 0
        self.timed_s = 0.0
        self.timed_steps = 0
        self.info: dict[str, Any] = {}

    def add_timed(self, ev: StepFinished) -> None:
        self.timed_samples += ev.samples
        self.timed_s += ev.step_time_s
        self.timed_steps += 1
        self.timed.append((ev.t_s, ev.step_time_s, ev.samples))
        while len(self.timed) > LIVE_MIN_STEPS and ev.t_s - self.timed[0][0] > LIVE_WINDOW_S:
            self.timed.popleft()


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
        elif isinstance(event, RunDescribed):
            self._described(event)
        elif isinstance(event, RunStateChanged):
            self.store.set_scalar(event.run_id, STATE, event.state)
        elif isinstance(event, RunNotice) and event.kind == "throttle":
            self.store.set_scalar(event.run_id, "throttle", event.message)

    def _described(self, ev: RunDescribed) -> None:
        with self._lock:
            self._tallies.setdefault(ev.run_id, _RunTally()).info = dict(ev.info)
        self.store.set_scalar(ev.run_id, DESCRIBED, dict(ev.info))

    def _step(self, ev: StepFinished) -> None:
        live = None
        with self._lock:
            tally = self._tallies.setdefault(ev.run_id, _RunTally())
            tally.recent.append((ev.samples, ev.step_time_s))
            if ev.phase == "timed":
                tally.add_timed(ev)
                live = live_figures(tally.timed, tally.timed_steps, tally.info)
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
        if live is not None:
            store.set_scalar(run, LIVE, live)
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
