"""Per-step timing that is honest on every device.

CPU work is synchronous, so ``perf_counter`` around a step is its time. Accelerators run
asynchronously: a host timer measures only the launch. There we record a device event
after each step and read the elapsed times between consecutive events in batches, so the
device is synchronized at the boundaries of what is reported without a stall every step.
A device without timing events (XLA) is synchronized after every step instead.
"""

from __future__ import annotations

import time
from typing import Any

import torch

from profiler import accelerator
from profiler.workloads.sync import synchronize


class StepClock:
    """Marks step boundaries; ``collect()`` returns step times (s) completed since last call."""

    def __init__(self, device: torch.device, flush_every_s: float = 0.25) -> None:
        self.device = device
        self.flush_every_s = flush_every_s
        self._events = device.type != "cpu" and self._events_work(device)
        self._last_host = time.perf_counter()
        self._pending: list[Any] = []  # device events awaiting resolution
        self._prev_event: Any = None
        self._done: list[float] = []
        self._last_flush = self._last_host

    @staticmethod
    def _events_work(device: torch.device) -> bool:
        return accelerator.events_supported(device)

    def _record(self) -> Any:
        """An event recorded on this device's current stream (not the current device's)."""
        event = torch.Event(device=self.device, enable_timing=True)
        event.record(accelerator.current_stream(self.device))
        return event

    def start(self) -> None:
        """Begin a window: synchronize so earlier work is not billed to the first step."""
        synchronize(self.device)
        self._last_host = time.perf_counter()
        self._done.clear()
        self._pending.clear()
        if self._events:
            self._prev_event = self._record()

    def step_done(self) -> bool:
        """Call after each step. Returns True when resolved times are ready to ``collect``."""
        now = time.perf_counter()
        if not self._events:
            if self.device.type != "cpu":
                synchronize(self.device)  # no events: pay a sync per step rather than lie
                now = time.perf_counter()
            self._done.append(now - self._last_host)
            self._last_host = now
            return True
        self._pending.append(self._record())
        if now - self._last_flush >= self.flush_every_s:
            self._resolve()
            self._last_flush = now
            return True
        return False

    def _resolve(self) -> None:
        if not self._pending:
            return
        self._pending[-1].synchronize()
        prev = self._prev_event
        for event in self._pending:
            self._done.append(prev.elapsed_time(event) / 1000.0)  # ms -> s
            prev = event
        self._prev_event = prev
        self._pending.clear()

    def finish(self) -> list[float]:
        """End a window: synchronize and return every step time not yet collected."""
        if self._events:
            self._resolve()
        return self.collect()

    def pause(self) -> list[float]:
        """Stop timing before work that is not a step (a phase-sampled or traced step):
        synchronize and return every step time not yet collected. ``resume()`` goes on."""
        synchronize(self.device)
        return self.finish()

    def resume(self) -> None:
        """Go on after ``pause()``: the next step starts now, so what ran in between is billed
        to no step. The device is idle here (the paused work synchronized it)."""
        self._last_host = time.perf_counter()
        if self._events:
            self._prev_event = self._record()

    def collect(self) -> list[float]:
        done, self._done = self._done, []
        return done
