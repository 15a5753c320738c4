"""Bounded, thread-safe time series for live plots. Qt-free.

Bus handlers append from the profiling thread; the GUI thread pulls snapshots on a timer.
Every series is a ring buffer of the last ``capacity`` points, so memory stays flat however
long a run or a demo loop lasts. Each series carries a version number that changes on every
append, so a plot can skip ``setData`` for curves that did not change since its last tick.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from profiler.results.description import RunDescription

DEFAULT_CAPACITY = 3000

# Series keys follow ``profiler.metrics.keys``: ``host.cpu_util_percent``, ``cuda:0.alloc_bytes``,
# and the run's own live figures ``run.samples_per_s``, ``run.step_time_ms``, ``run.loss``.
# Scalars (the latest value of something that is not a time series): see ``series_keys``.
from gui.viewmodel.series_keys import (  # noqa: E402  (re-exported for the writers)
    CLOCK_OFFSET,
    DESCRIBED,
    LIVE,
    MACHINE,
    PHASE_SAMPLES,
    STAGE,
    STATE,
    STATE_MESSAGE,
    STEPS,
    THROTTLE,
    TIMED_START,
    WARMUP_STEPS,
)

__all__ = ["CLOCK_OFFSET", "DESCRIBED", "LIVE", "MACHINE", "PHASE_SAMPLES", "STAGE", "STATE", "STATE_MESSAGE",
           "STEPS", "THROTTLE", "TIMED_START", "WARMUP_STEPS", "RingBuffer", "SeriesStore", "description"]


class RingBuffer:
    """The last ``capacity`` (t, value) points. Not thread-safe on its own: the store locks."""

    __slots__ = ("_head", "_n", "_t", "_v", "capacity", "version")

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity <= 0:
            raise ValueError(f"capacity must be positive, got {capacity}")
        self.capacity = capacity
        self._t = np.empty(capacity, dtype=np.float64)
        self._v = np.empty(capacity, dtype=np.float64)
        self._head = 0  # index of the next write
        self._n = 0
        self.version = 0

    def __len__(self) -> int:
        return self._n

    def append(self, t: float, value: float) -> None:
        self._t[self._head] = t
        self._v[self._head] = value
        self._head = (self._head + 1) % self.capacity
        self._n = min(self._n + 1, self.capacity)
        self.version += 1

    def snapshot(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the points in time order."""
        if self._n < self.capacity:
            return self._t[: self._n].copy(), self._v[: self._n].copy()
        order = np.r_[self._head : self.capacity, 0 : self._head]
        return self._t[order], self._v[order]

    def last(self) -> float | None:
        if self._n == 0:
            return None
        return float(self._v[(self._head - 1) % self.capacity])


class SeriesStore:
    """Per-run series keyed by ``(run_id, key)``, plus latest scalars and vectors.

    ``key`` names a reading with its source (``profiler.metrics.keys``), e.g.
    ``host.cpu_util_percent``, ``cuda:0.alloc_bytes``, ``run.samples_per_s``. All methods are
    thread-safe.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._series: dict[tuple[str, str], RingBuffer] = {}
        self._scalars: dict[tuple[str, str], object] = {}
        self._vectors: dict[tuple[str, str], tuple[float, ...]] = {}

    def append(self, run_id: str, key: str, t_s: float, value: float) -> None:
        with self._lock:
            buf = self._series.get((run_id, key))
            if buf is None:
                buf = self._series[(run_id, key)] = RingBuffer(self.capacity)
            buf.append(t_s, value)

    def snapshot(self, run_id: str, key: str) -> tuple[np.ndarray, np.ndarray, int]:
        """(times, values, version); empty arrays and version 0 for an unknown series."""
        with self._lock:
            buf = self._series.get((run_id, key))
            if buf is None:
                return np.empty(0), np.empty(0), 0
            t, v = buf.snapshot()
            return t, v, buf.version

    def version(self, run_id: str, key: str) -> int:
        with self._lock:
            buf = self._series.get((run_id, key))
            return 0 if buf is None else buf.version

    def last(self, run_id: str, key: str) -> float | None:
        with self._lock:
            buf = self._series.get((run_id, key))
            return None if buf is None else buf.last()

    def keys(self, run_id: str) -> list[str]:
        with self._lock:
            return sorted(k for r, k in self._series if r == run_id)

    def run_ids(self) -> list[str]:
        with self._lock:
            return sorted({r for r, _ in self._series} | {r for r, _ in self._scalars})

    def set_scalar(self, run_id: str, key: str, value: object) -> None:
        with self._lock:
            self._scalars[(run_id, key)] = value

    def scalar(self, run_id: str, key: str, default: object = None) -> object:
        with self._lock:
            return self._scalars.get((run_id, key), default)

    def set_vector(self, run_id: str, key: str, values: Sequence[float | None]) -> None:
        """Latest per-item reading (e.g. per-core CPU %); None items become NaN."""
        vec = tuple(float("nan") if v is None else float(v) for v in values)
        with self._lock:
            self._vectors[(run_id, key)] = vec

    def vector(self, run_id: str, key: str) -> tuple[float, ...]:
        with self._lock:
            return self._vectors.get((run_id, key), ())

    def drop_run(self, run_id: str) -> None:
        with self._lock:
            for table in (self._series, self._scalars, self._vectors):
                for k in [k for k in table if k[0] == run_id]:
                    del table[k]

    def clear(self) -> None:
        with self._lock:
            self._series.clear()
            self._scalars.clear()
            self._vectors.clear()

    def point_count(self) -> int:
        """Points held in all series (for the soak test's bounded-memory check)."""
        with self._lock:
            return sum(len(b) for b in self._series.values())


def description(store: SeriesStore, run_id: str) -> RunDescription | None:
    """The run's ``RunDescription`` (``DESCRIBED``), or None before the engine described it."""
    found = store.scalar(run_id, DESCRIBED)
    return found if isinstance(found, RunDescription) else None
