"""Turn engine events into series-store updates. Qt-free; runs on the publishing thread.

Called for every event (hundreds a second for fast steps), so it does cheap appends under
the store's lock and never touches Qt. Every figure it stores comes from
``profiler.metrics.figures``: the live throughput curve and the cards' live figures are the
same function over the same window (the last 2 s of the current stage's steps: warm-up, compile or timed), so the plot
and the card agree; warm-up and compile steps feed the curve (marked by stage) but never a
card figure. Step-phase samples (a few a second at most) are kept as the run's last
``phases.LIVE_SAMPLES`` splits (``PHASE_SAMPLES``); the window turns them into its step-phase
bar on its own timer.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from numbers import Real

from gui.viewmodel import series_store as sk
from gui.viewmodel.series_store import SeriesStore
from profiler.events import (
    Event,
    PhaseSample,
    RunDescribed,
    RunNotice,
    RunStateChanged,
    StepFinished,
    TelemetrySample,
)
from profiler.metrics import keys
from profiler.metrics.figures import LIVE_MIN_STEPS, LIVE_WINDOW_S, Step, live_figures
from profiler.metrics.phases import LIVE_SAMPLES
from profiler.results.description import RunDescription

MACHINE = sk.MACHINE  # machine-wide series (profiler.runner.machine.MACHINE): no clock offset
#: how often (seconds of run time) the live figures are recomputed and a curve point added
LIVE_EVERY_S = 0.1
SAMPLES_PER_S = keys.run("samples_per_s")
STEP_TIME_MS = keys.run("step_time_ms")
LOSS = keys.run("loss")


class _RunTally:
    """Steps of the current stage's last seconds and how many timed steps were seen."""

    __slots__ = ("info", "last_live_t", "offset", "phase_samples", "recent", "stage", "timed_steps", "warmup_steps")

    def __init__(self) -> None:
        self.warmup_steps = 0
        self.recent: deque[Step] = deque()
        self.stage = ""
        self.last_live_t = -1.0
        self.timed_steps = 0
        self.info = RunDescription()  # None figures until the engine describes the run
        self.offset: float | None = None
        self.phase_samples: deque[dict[str, float]] = deque(maxlen=LIVE_SAMPLES)

    def add(self, ev: StepFinished) -> None:
        if ev.stage != self.stage:  # a new stage starts its own window: warm-up never leaks into it
            self.recent.clear()
            self.stage = ev.stage
            self.last_live_t = -1.0
        self.recent.append((ev.t_s, ev.step_time_s, ev.samples))
        while len(self.recent) > LIVE_MIN_STEPS and ev.t_s - self.recent[0][0] > 2 * LIVE_WINDOW_S:
            self.recent.popleft()
        if ev.stage == "timed":
            self.timed_steps += 1

    def due(self, t_s: float) -> bool:
        if t_s - self.last_live_t < LIVE_EVERY_S:
            return False
        self.last_live_t = t_s
        return True


class EventIngest:
    """Bus handler that records events into a ``SeriesStore``. Thread-safe.

    ``now_s`` is the machine clock (the machine monitor's): each run's offset from its own
    clock is recorded (``CLOCK_OFFSET``, the least delay seen) so the machine plots can put
    its process beside the machine's readings.
    """

    def __init__(self, store: SeriesStore, now_s: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.now_s = now_s
        self._tallies: dict[str, _RunTally] = {}
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        if isinstance(event, StepFinished):
            self._step(event)
        elif isinstance(event, TelemetrySample):
            self._telemetry(event)
        elif isinstance(event, RunDescribed):
            self._described(event)
        elif isinstance(event, PhaseSample):
            self._phases(event)
        elif isinstance(event, RunStateChanged):
            self.store.set_scalar(event.run_id, sk.STATE_MESSAGE, event.message)
            self.store.set_scalar(event.run_id, sk.STATE, event.state)
        elif isinstance(event, RunNotice) and event.kind == "throttle":
            self.store.set_scalar(event.run_id, sk.THROTTLE, event.message)

    def _described(self, ev: RunDescribed) -> None:
        with self._lock:
            self._tallies.setdefault(ev.run_id, _RunTally()).info = ev.description
        self.store.set_scalar(ev.run_id, sk.DESCRIBED, ev.description)

    def _phases(self, ev: PhaseSample) -> None:
        """Keep the run's latest phase splits; the store gets an immutable copy to read."""
        with self._lock:
            tally = self._tallies.setdefault(ev.run_id, _RunTally())
            tally.phase_samples.append(dict(ev.phases))
            latest = tuple(tally.phase_samples)
        self.store.set_scalar(ev.run_id, sk.PHASE_SAMPLES, latest)

    def _step(self, ev: StepFinished) -> None:
        live = None
        warmup = 0
        with self._lock:
            tally = self._tallies.setdefault(ev.run_id, _RunTally())
            first_timed = ev.stage == "timed" and tally.timed_steps == 0
            tally.add(ev)
            if ev.stage == "warmup":
                tally.warmup_steps += 1
                warmup = tally.warmup_steps
            if tally.due(ev.t_s):
                info = tally.info
                seen = tally.timed_steps if ev.stage == "timed" else len(tally.recent)
                live = live_figures(list(tally.recent), seen, info.flops_per_step, info.peak_flops_per_s,
                                    info.ceiling_flops_per_s)
        store, run = self.store, ev.run_id
        if warmup:
            store.set_scalar(run, sk.WARMUP_STEPS, warmup)
        if first_timed:
            store.set_scalar(run, sk.TIMED_START, float(ev.t_s - ev.step_time_s))
        store.append(run, STEP_TIME_MS, ev.t_s, ev.step_time_s * 1e3)
        if ev.loss is not None:
            store.append(run, LOSS, ev.t_s, ev.loss)
        if live is not None and live.samples_per_s is not None:
            store.append(run, SAMPLES_PER_S, ev.t_s, live.samples_per_s)
            if ev.stage == "timed":
                store.set_scalar(run, sk.LIVE, live)
        store.set_scalar(run, sk.STAGE, ev.stage)
        store.set_scalar(run, sk.STEPS, ev.step)

    def _place(self, ev: TelemetrySample) -> None:
        """Keep the run's offset from the machine clock (the smallest relay delay seen)."""
        offset = self.now_s() - ev.t_s
        with self._lock:
            tally = self._tallies.setdefault(ev.run_id, _RunTally())
            if tally.offset is not None and tally.offset <= offset:
                return
            tally.offset = offset
        self.store.set_scalar(ev.run_id, sk.CLOCK_OFFSET, offset)

    def _telemetry(self, ev: TelemetrySample) -> None:
        if ev.run_id != MACHINE:
            self._place(ev)
        for name, value in ev.values.items():
            key = keys.key(ev.source, name)
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
