"""The telemetry sampler: a thread that reads the host and the run's device at ~10 Hz.

It publishes a ``TelemetrySample`` per source per tick on the run's bus and keeps bounded
buffers from which it summarizes the timed window (mean and max per reading). Backends are
opened and read only on the sampler thread. A backend that fails is dropped with a log
line; sampling goes on.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from itertools import pairwise
from typing import Any

from profiler.devices.telemetry import TelemetryBackend
from profiler.devices.throttle import ThrottleDetector
from profiler.events import EventBus, RunNotice, TelemetrySample
from profiler.metrics import keys
from profiler.metrics.contention import others_stats
from profiler.runner.host import HostReader

log = logging.getLogger(__name__)

MAX_SAMPLES = 36_000  # per source: one hour at 10 Hz


class TelemetrySampler:
    """Samples host and device telemetry on its own thread until ``stop()``.

    ``open_backends`` is called on the sampler thread and returns the device's backends
    (none for a CPU run). ``t0`` is the run's start on the ``time.perf_counter`` clock.
    """

    def __init__(
        self,
        run_id: str,
        bus: EventBus,
        t0: float,
        hz: float = 10.0,
        device_id: str = "cpu",
        open_backends: Callable[[], list[TelemetryBackend]] | None = None,
        track_children: bool = False,
    ) -> None:
        if not hz > 0:
            raise ValueError(f"sample rate must be positive, got {hz}")
        self.run_id = run_id
        self.bus = bus
        self.t0 = t0
        self.period_s = 1.0 / hz
        self.device_id = device_id
        self._open_backends = open_backends
        self._track_children = track_children  # count DataLoader workers' CPU (input pipeline)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._host: deque[tuple[float, dict[str, Any]]] = deque(maxlen=MAX_SAMPLES)
        self._device: deque[tuple[float, dict[str, Any]]] = deque(maxlen=MAX_SAMPLES)
        self._window: tuple[float, float | None] | None = None
        self._thread = threading.Thread(target=self._loop, name=f"sampler-{run_id}", daemon=True)
        self.sample_cost_s: deque[float] = deque(maxlen=1000)  # wall time per tick, for overhead
        self.throttle_messages: list[str] = []  # one per throttling episode, for the result

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def mark_window(self, start_t_s: float, end_t_s: float | None = None) -> None:
        """Set the timed window (seconds since t0) that ``summary`` covers."""
        self._window = (start_t_s, end_t_s)

    def close_window(self, end_t_s: float) -> None:
        """End the timed window opened by ``mark_window``."""
        if self._window is not None:
            self._window = (self._window[0], end_t_s)

    # ---- the thread ----------------------------------------------------------------
    def _loop(self) -> None:
        host = HostReader(track_children=self._track_children)
        backends = self._open_safely()
        detectors = self._make_detectors(backends)
        next_tick = time.perf_counter()
        while not self._stop.is_set():
            started = time.perf_counter()
            t_s = started - self.t0
            self._tick(t_s, host, backends, detectors)
            self.sample_cost_s.append(time.perf_counter() - started)
            next_tick += self.period_s
            delay = next_tick - time.perf_counter()
            if delay < 0:  # fell behind (suspended machine, slow backend): do not burst
                next_tick = time.perf_counter()
                delay = 0.0
            self._stop.wait(delay)
        for backend in backends:
            try:
                backend.close()
            except Exception:
                log.exception("closing telemetry backend %s failed", backend.backend)

    def _open_safely(self) -> list[TelemetryBackend]:
        if self._open_backends is None:
            return []
        try:
            return list(self._open_backends())
        except Exception:
            log.exception("opening telemetry backends for %s failed; host telemetry only", self.device_id)
            return []

    def _make_detectors(self, backends: list[TelemetryBackend]) -> list[ThrottleDetector]:
        return [ThrottleDetector()] if backends else []

    def _tick(self, t_s: float, host: HostReader, backends: list[TelemetryBackend],
              detectors: list[ThrottleDetector]) -> None:
        try:
            host_values = host.read()
        except Exception:
            log.exception("host telemetry read failed")
            host_values = {}
        with self._lock:
            self._host.append((t_s, host_values))
        self.bus.publish(TelemetrySample(self.run_id, keys.HOST, t_s, host_values))
        if not backends:
            return
        device_values: dict[str, Any] = {}
        for backend in list(backends):
            try:
                values = backend.read()
            except Exception:  # read() must not raise; one that does is dropped, sampling goes on
                log.exception("telemetry backend %s raised; dropped for the rest of the run", backend.backend)
                backends.remove(backend)
                continue
            for key, value in values.items():
                if device_values.get(key) is None:
                    device_values[key] = value
        with self._lock:
            self._device.append((t_s, device_values))
        self.bus.publish(TelemetrySample(self.run_id, self.device_id, t_s, device_values))
        for detector in detectors:
            event = detector.update(t_s, device_values)
            if event is not None:
                self.throttle_messages.append(str(event))
                self.bus.publish(RunNotice(self.run_id, "throttle", str(event), t_s))

    # ---- summaries -----------------------------------------------------------------
    def summary(self) -> dict[str, dict[str, float | None]]:
        """Mean and max of each numeric reading inside the timed window.

        Keys follow ``profiler.metrics.keys`` (``host.cpu_util_percent``, ``cuda:0.power_w``).
        A reading that was n/a throughout has None for both.
        """
        with self._lock:
            host = list(self._host)
            device = list(self._device)
        out = summarize_samples(self._in_window(host), keys.HOST)
        out.update(summarize_samples(self._in_window(device), self.device_id))
        return out

    def others_cpu(self) -> dict[str, dict[str, Any]]:
        """Other processes' share of the machine per host sample, summarized (median, p90, mean,
        max; percent of all CPUs) before the timed window (build and warm-up) and inside it: the
        raw record ``profiler.results.result.contention_of`` judges."""
        with self._lock:
            host = list(self._host)
        start = self._window[0] if self._window is not None else None
        before = [v for t, v in host if start is None or t < start]
        return {"before": others_stats(before).to_dict(), "window": others_stats(self._in_window(host)).to_dict()}

    def _in_window(self, samples: list[tuple[float, dict[str, Any]]]) -> list[dict[str, Any]]:
        if self._window is None:
            return []  # no timed window (stopped during warm-up): nothing to summarize
        start, end = self._window
        chosen = [v for t, v in samples if t >= start and (end is None or t <= end)]
        # A window shorter than one sampling period still deserves its nearest reading.
        return chosen or [v for _, v in samples[-1:]]

    def energy_delta_j(self) -> float | None:
        """Device energy (J) used inside the timed window, from the cumulative ``energy_j``
        counter interpolated at the window's start and end. None when the device has no
        counter or the counter does not span the window."""
        if self._window is None:
            return None
        start, end = self._window
        with self._lock:
            points = energy_points(self._device)
        return energy_in_window(points, start, end)


def energy_points(samples: Iterable[tuple[float, Mapping[str, Any]]]) -> list[tuple[float, float]]:
    """(t_s, cumulative energy_j) of the device samples that carry the counter."""
    return [(t, float(v["energy_j"])) for t, v in samples if v.get("energy_j") is not None]


def energy_in_window(points: list[tuple[float, float]], start: float, end: float | None) -> float | None:
    """Energy (J) between ``start`` and ``end`` (None: the last point) from a cumulative counter's
    ``points``, interpolated at both ends; None when the points do not span the window."""
    if end is None:
        end = points[-1][0] if points else start
    first, last = _interpolate(points, start), _interpolate(points, end)
    if first is None or last is None:
        return None
    return last - first

def summarize_samples(samples: list[dict[str, Any]], source: str) -> dict[str, dict[str, float | None]]:
    """Mean and max of every numeric reading of ``source`` in ``samples``, keyed
    ``<source>.<reading>``; all-n/a readings get None."""
    readings: dict[str, None] = {}
    for sample in samples:
        for name, value in sample.items():
            if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
                readings.setdefault(name, None)
    out: dict[str, dict[str, float | None]] = {}
    for name in readings:
        numbers = [
            float(s[name]) for s in samples
            if isinstance(s.get(name), (int, float)) and not isinstance(s.get(name), bool)
            and math.isfinite(float(s[name]))
        ]
        out[keys.key(source, name)] = (
            {"mean": sum(numbers) / len(numbers), "max": max(numbers)} if numbers else {"mean": None, "max": None}
        )
    return out


def _interpolate(points: list[tuple[float, float]], t: float) -> float | None:
    """Linear interpolation of a sampled counter at time ``t``; None outside the samples."""
    for (t0, v0), (t1, v1) in pairwise(points):
        if t0 <= t <= t1:
            return v1 if t1 == t0 else v0 + (v1 - v0) * (t - t0) / (t1 - t0)
    return None
