"""Is the machine quiet enough to measure? A reading before a run, and a bounded wait for quiet.

``QuietReader.read`` gives other processes' share of the CPU (percent of all logical CPUs,
this process and the children it has waited for left out) over the time since its previous
read, from the kernel's cumulative CPU times, with the 1-minute load average and the clock
(MHz). ``QuietWait`` is the decision of one bounded wait, fed readings and times (no clock,
no I/O: the window drives it from a timer); ``wait_for_quiet`` is the blocking loop the CLI
uses, with the clock, the pause and the reader injectable. The threshold is the run verdict's
(``metrics.contention.CONTENDED_OTHERS_PERCENT``), so "busy now" and "contended" agree.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import psutil

from profiler import units
from profiler.metrics.contention import DEFAULT_WAIT_S, clock_words, load_words
from profiler.metrics.cpu_share import contended_points
from profiler.runner.host import load_avg_1m

log = logging.getLogger(__name__)

#: others' share must stay at or below the threshold this long to count as quiet (s)
SETTLE_S = 3.0
#: the shortest interval a reading is taken over (s): shorter ones are mostly noise
MIN_INTERVAL_S = 0.25


@dataclass(frozen=True)
class QuietReading:
    """The machine over one interval: ``others_percent`` of all logical CPUs (None: n/a),
    ``load_avg_1m`` (runnable threads), ``clock_mhz`` (None where the OS does not say)."""

    others_percent: float | None
    load_avg_1m: float | None = None
    logical_cpus: int | None = None
    clock_mhz: float | None = None
    threshold_percent: float = field(default_factory=contended_points)  # the one in force now
    #: how the clock was found ("measured", "" for the OS's reading)
    clock_how: str = ""

    @property
    def busy(self) -> bool:
        return self.others_percent is not None and self.others_percent > self.threshold_percent

    def line(self) -> str:
        """"quiet: other processes use 3% of the CPU · load 0.4 on 2 CPUs · clock 2.90 GHz"."""
        verdict = "BUSY" if self.busy else "quiet" if self.others_percent is not None else "not measured"
        return (f"{verdict}: other processes use {units.pct(self.others_percent)} of the CPU "
                f"(busy above {self.threshold_percent:.0f}%) · {load_words(self.load_avg_1m, self.logical_cpus)} · "
                f"{clock_words(self.clock_mhz, self.clock_how)}")

    def to_dict(self) -> dict[str, Any]:
        return {"others_percent": self.others_percent, "load_avg_1m": self.load_avg_1m,
                "logical_cpus": self.logical_cpus, "clock_mhz": self.clock_mhz,
                "clock_how": self.clock_how, "threshold_percent": self.threshold_percent, "busy": self.busy}


def _busy_s(times: Any) -> float:
    return float(sum(times)) - float(times.idle) - float(getattr(times, "iowait", 0.0))


class QuietReader:
    """Readings of the machine between calls (the constructor takes the first reference)."""

    def __init__(self, pid: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._proc = psutil.Process(pid or os.getpid())
        self._clock = clock
        self._cpus = psutil.cpu_count() or 1
        self._mark = self._sample()

    def _own_s(self) -> float:
        t = self._proc.cpu_times()
        return float(t.user + t.system + t.children_user + t.children_system)

    def _sample(self) -> tuple[float, float, float]:
        return self._clock(), _busy_s(psutil.cpu_times()), self._own_s()

    def since_last_s(self) -> float:
        """Seconds since the reference the next ``read`` measures from."""
        return self._clock() - self._mark[0]

    def read(self) -> QuietReading:
        """The machine since the previous ``read`` (or the constructor); never raises."""
        try:
            now = self._sample()
        except (psutil.Error, OSError):
            log.exception("reading the machine's CPU times failed")
            return QuietReading(None, load_avg_1m(), self._cpus, _clock_mhz())
        (t0, host0, own0), (t1, host1, own1) = self._mark, now
        self._mark = now
        wall = t1 - t0
        if wall <= 0:
            return QuietReading(None, load_avg_1m(), self._cpus, _clock_mhz())
        host = 100.0 * (host1 - host0) / (wall * self._cpus)
        own = 100.0 * (own1 - own0) / (wall * self._cpus)
        return QuietReading(min(100.0, max(0.0, host - own)), load_avg_1m(), self._cpus, _clock_mhz())


def _clock_mhz() -> float | None:
    try:
        freq = psutil.cpu_freq()
    except (AttributeError, NotImplementedError, OSError, RuntimeError):
        return None
    return float(freq.current) if freq is not None and freq.current else None


def read_now(reader: QuietReader | None = None, sleep: Callable[[float], None] = time.sleep) -> QuietReading:
    """A reading over at least ``MIN_INTERVAL_S`` (sleeping only for what is missing)."""
    reader = reader or QuietReader()
    missing = MIN_INTERVAL_S - reader.since_last_s()
    if missing > 0:
        sleep(missing)
    return reader.read()


Outcome = Literal["waiting", "quiet", "timed_out", "cancelled"]


@dataclass(frozen=True)
class WaitProgress:
    """Where a wait stands: ``waited_s`` of ``limit_s``, quiet for ``quiet_for_s`` of ``settle_s``."""

    outcome: Outcome
    waited_s: float
    limit_s: float
    reading: QuietReading
    quiet_for_s: float = 0.0
    settle_s: float = SETTLE_S

    def line(self) -> str:
        """The progress line: "waiting for quiet: other processes use 52% of the CPU (quiet is
        15% or less for 3 s) · 12 s of 60 s"."""
        r = self.reading
        state = {"waiting": "waiting for quiet", "quiet": "quiet now", "timed_out": "still busy after the wait",
                 "cancelled": "stopped waiting"}[self.outcome]
        return (f"{state}: other processes use {units.pct(r.others_percent)} of the CPU (quiet is "
                f"{r.threshold_percent:.0f}% or less for {self.settle_s:.0f} s) · {self.waited_s:.0f} s of "
                f"{self.limit_s:.0f} s")


class QuietWait:
    """One bounded wait's decision, fed readings: quiet once others' share stayed at or below
    the threshold for ``settle_s``; timed out at ``limit_s``; cancelled by ``cancel``. Times
    are seconds since the wait began, from the caller's clock."""

    def __init__(self, limit_s: float = DEFAULT_WAIT_S, settle_s: float = SETTLE_S) -> None:
        if not limit_s >= 0 or not settle_s >= 0:
            raise ValueError(f"wait limits must be non-negative, got {limit_s} and {settle_s}")
        self.limit_s = limit_s
        self.settle_s = settle_s
        self._quiet_since: float | None = None
        self.last: WaitProgress | None = None

    def update(self, reading: QuietReading, now_s: float) -> WaitProgress:
        """The state after ``reading`` taken at ``now_s``."""
        if reading.busy or reading.others_percent is None:
            self._quiet_since = None
        elif self._quiet_since is None:
            self._quiet_since = now_s
        quiet_for = 0.0 if self._quiet_since is None else now_s - self._quiet_since
        outcome: Outcome = "waiting"
        if self._quiet_since is not None and quiet_for >= self.settle_s:
            outcome = "quiet"
        elif now_s >= self.limit_s:
            outcome = "timed_out"
        self.last = WaitProgress(outcome, now_s, self.limit_s, reading, quiet_for, self.settle_s)
        return self.last

    def cancel(self, now_s: float) -> WaitProgress:
        """Stop waiting (the user cancelled)."""
        reading = self.last.reading if self.last is not None else QuietReading(None)
        self.last = WaitProgress("cancelled", now_s, self.limit_s, reading, 0.0, self.settle_s)
        return self.last


def wait_for_quiet(limit_s: float, read: Callable[[], QuietReading],
                   progress: Callable[[WaitProgress], None] | None = None,
                   cancel: threading.Event | None = None, clock: Callable[[], float] = time.monotonic,
                   pause: Callable[[float], bool] | None = None, period_s: float = 1.0,
                   settle_s: float = SETTLE_S) -> WaitProgress:
    """Read every ``period_s`` until quiet, ``limit_s`` passed or ``cancel`` is set (bounded:
    never longer than ``limit_s`` plus one period; the first reading comes after one period).
    ``pause(s)`` waits and returns True when cancelled (default: ``cancel.wait``); each state
    goes to ``progress``."""
    stop = cancel or threading.Event()
    pause = pause or stop.wait
    wait = QuietWait(limit_s, settle_s)
    start = clock()
    while True:
        if pause(period_s) or stop.is_set():  # first a period: a reading needs an interval to span
            state = wait.cancel(clock() - start)
        else:
            state = wait.update(read(), clock() - start)
        if progress is not None:
            progress(state)
        if state.outcome != "waiting":
            return state
