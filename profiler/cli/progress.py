"""The live status line of ``horsepower run``: one line on a terminal, sparse lines in a log."""

from __future__ import annotations

import time
from typing import TextIO

from profiler import units
from profiler.events import Event, RunNotice, RunStateChanged, StepFinished, TelemetrySample
from profiler.metrics import keys
from profiler.metrics.figures import Step, live_figures
from profiler.metrics.start_progress import start_progress
from profiler.results.result import RunState
from profiler.results.spec import RunSpec


class ProgressLine:
    """Bus handler that keeps one status line up to date (4 Hz on a terminal, every 2 s in a
    log). Its samples/s is the live figure of ``profiler.metrics`` (last 2 s of timed steps)."""

    PERIOD_S = 0.25
    MAX_RECENT = 4096

    def __init__(self, spec: RunSpec, out: TextIO) -> None:
        self.spec = spec
        self.out = out
        self.tty = out.isatty()
        self.state = "starting"
        self.message = ""
        self.warmup_steps = 0
        self.step = 0
        self.loss: float | None = None
        self.cpu: float | None = None
        self.window_start: float | None = None
        self.t_s = 0.0
        self.recent: list[Step] = []
        self.timed_steps = 0
        self._last = 0.0
        self._last_line_len = 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, StepFinished):
            self._step(event)
        elif isinstance(event, TelemetrySample) and event.source == keys.HOST:
            self.cpu = event.values.get("cpu_util_percent")
        elif isinstance(event, RunStateChanged):
            self.state, self.message = event.state, event.message
            self._render(force=True)
            return
        elif isinstance(event, RunNotice):
            self._clear()
            print(f"[{units.plain(event.kind)}] {units.plain(event.message)}", file=self.out)
        self._render()

    def _step(self, event: StepFinished) -> None:
        self.step, self.t_s, self.loss = event.step, event.t_s, event.loss
        if event.stage == "warmup":
            self.warmup_steps += 1
        if event.stage != "timed":
            return
        if self.window_start is None:
            self.window_start = event.t_s - event.step_time_s
        self.timed_steps += 1
        self.recent.append((event.t_s, event.step_time_s, event.samples))
        if len(self.recent) > self.MAX_RECENT:
            del self.recent[: self.MAX_RECENT // 2]

    def _render(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < (self.PERIOD_S if self.tty else 2.0):
            return
        self._last = now
        parts = [f"[{self.state}]"]
        start = start_progress(self.state, self.message, self.warmup_steps, self.spec.warmup_max_steps)
        if start is not None:
            parts.append(f"{start.fraction * 100:3.0f}%  step {start.index + 1}/{start.total}: {start.words}")
        if self.state == RunState.MEASURING and self.window_start is not None and self.spec.duration_s:
            elapsed = min(self.t_s - self.window_start, self.spec.duration_s)
            parts.append(f"{elapsed:.1f}/{self.spec.duration_s:.0f} s")
        if self.step:
            parts.append(f"step {self.step}")
        live = live_figures(self.recent, self.timed_steps)
        if live is not None:
            parts.append(f"{units.rate(live.samples_per_s)} (last {live.window_s:.1f} s)")
        if self.loss is not None:
            parts.append(f"loss {self.loss:.4f}")
        if self.cpu is not None:
            parts.append(f"host cpu {self.cpu:.0f}%")
        line = "  ".join(parts)
        if self.tty:
            self.out.write("\r" + line.ljust(self._last_line_len))
            self._last_line_len = len(line)
        else:
            self.out.write(line + "\n")
        self.out.flush()

    def _clear(self) -> None:
        if self.tty and self._last_line_len:
            self.out.write("\r" + " " * self._last_line_len + "\r")
            self._last_line_len = 0

    def done(self) -> None:
        if self.tty:
            self.out.write("\n")
            self.out.flush()
