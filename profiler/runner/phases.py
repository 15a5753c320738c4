"""The per-phase split of the training step, measured on a sampled subset of timed steps.

How often: after the first timed step, then on average every ``every_n_steps`` timed steps
(random gaps, see ``PhaseSchedule``), and on average at most once per ``MIN_INTERVAL_S`` (so
about 4 samples/s at most cross the worker pipe however short the step), a timed step is
timed phase by phase: a ``time.perf_counter`` mark at each phase boundary (``PhaseTimer``).

What it costs, and how the throughput stays honest:

- On the CPU, about seven clock reads and a small dict (a few µs; the step is synchronous, so
  nothing waits). The sampled step stays a timed step; its phases add up to its step time
  less the loop's own bookkeeping between steps.
- On an accelerator each mark synchronizes the device, so the host cannot run ahead of it:
  the sampled step runs serialized and is slower (``overhead`` in the phase summary says by
  how much). The loop therefore pauses the step clock around it (``StepClock.pause`` /
  ``resume``): a sampled step is billed to no timed step and is not in the throughput.
The phase names and the summary are in ``profiler.metrics.phases``.

Thread: everything here runs on the training thread.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from typing import Any

import torch

from profiler.metrics.phases import COMPUTE_PHASES, DATA_WAIT, DEVICE_WAIT, H2D_COPY, PhaseRecord
from profiler.runner.step import StepFn
from profiler.workloads.pipeline import batch_to_device
from profiler.workloads.sync import is_accelerator, synchronize

DEFAULT_EVERY_N_STEPS = 10
MIN_INTERVAL_S = 0.25
MAX_KEPT_SAMPLES = 1000  # raw samples kept on the result; beyond, every other one is dropped


class BatchFeed:
    """Where the run's batches come from: ``fetch()`` the next one from its source, ``copy()``
    it to the device (``device`` None: the source yields device batches already)."""

    def __init__(self, fetch: Callable[[], Any], device: torch.device | None = None) -> None:
        self.fetch = fetch
        self.device = device

    @property
    def copies(self) -> bool:
        """True when batches come from host memory and are copied to an accelerator."""
        return self.device is not None and is_accelerator(self.device)

    def copy(self, batch: Any) -> Any:
        return batch if self.device is None else batch_to_device(batch, self.device)

    def next(self) -> Any:
        """The next batch on the device (an unsampled step's data wait and copy in one)."""
        return self.copy(self.fetch())


class PhaseTimer:
    """Times one step's phases: ``start()``, then ``mark(name)`` at the end of each phase.

    On an accelerator ``mark`` synchronizes the device: a compute phase's time is the host's
    time issuing it and the wait for the device goes to ``device_wait``; any other phase (data
    wait, copy) keeps its wait. Phases are seconds and add up to the step's time.
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.accelerator = is_accelerator(device)
        self._t = 0.0
        self.phases: dict[str, float] = {}

    @property
    def synchronizes(self) -> bool:
        """True when marks synchronize the device (a sampled step is then slower than others)."""
        return self.accelerator

    def start(self) -> None:
        synchronize(self.device)
        self.phases = {}
        self._t = time.perf_counter()

    def _add(self, name: str, seconds: float) -> None:
        self.phases[name] = self.phases.get(name, 0.0) + seconds

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        if not self.accelerator:
            self._add(name, now - self._t)
            self._t = now
            return
        synchronize(self.device)
        after = time.perf_counter()
        if name in COMPUTE_PHASES:
            self._add(name, now - self._t)
            self._add(DEVICE_WAIT, after - now)
        else:
            self._add(name, after - self._t)
        self._t = after


def sampled_step(step: StepFn, feed: BatchFeed, timer: PhaseTimer) -> tuple[torch.Tensor, dict[str, float]]:
    """Run one phase-timed step; returns (detached loss, {phase: seconds})."""
    timer.start()
    batch = feed.fetch()
    if feed.copies:
        timer.mark(DATA_WAIT)
        batch = feed.copy(batch)
        timer.mark(H2D_COPY)
    else:
        batch = feed.copy(batch)  # a no-op copy to the CPU counts as getting the batch
        timer.mark(DATA_WAIT)
    loss = step(batch, timer.mark)
    return loss, dict(timer.phases)


class PhaseSchedule:
    """Decides which timed steps become phase-sampled steps (``every_n_steps`` 0: none).

    The first sample follows the first timed step. After each sample the gap to the next is
    drawn at random from 1 .. 2*stride-1 timed steps (mean: ``stride``), where ``stride`` is
    ``every_n_steps``, or more when steps are so short that samples would come more often than
    once per ``min_interval_s`` on average. The gap is random and fixed in advance on purpose: a
    fixed stride aliases with periodic step patterns (two DataLoader workers make every other
    step wait), and "the first step after 0.25 s" picks the step after a long one; both sample
    a biased subset. ``seed`` makes the choice reproducible; ``clock`` is for tests.

    ``free``: a sampled step costs nothing (the CPU: a few clock reads, nothing waits), so the
    stride is only the rate cap, down to every step: a run of slow steps (an input-bound one,
    0.5 s a step) still gathers the samples a verdict needs (``MIN_VERDICT_SAMPLES``) in seconds.
    """

    def __init__(self, every_n_steps: int, min_interval_s: float = MIN_INTERVAL_S, seed: int = 0,
                 clock: Callable[[], float] = time.perf_counter, free: bool = False) -> None:
        if every_n_steps < 0:
            raise ValueError(f"every_n_steps must be >= 0, got {every_n_steps}")
        self.every_n_steps = every_n_steps
        self.min_interval_s = min_interval_s
        self.free = free
        self.stride = 1 if free and every_n_steps else every_n_steps
        self._rng = random.Random(seed)
        self._clock = clock
        self._next_at = 1
        self._last: tuple[int, float] | None = None  # (timed steps, clock) at the last sample

    def due(self, timed_steps: int) -> bool:
        """True when the step after ``timed_steps`` timed steps should be sampled."""
        return bool(self.every_n_steps) and timed_steps >= self._next_at

    def taken(self, timed_steps: int) -> None:
        """A sample was taken after ``timed_steps`` timed steps: draw the next gap."""
        now = self._clock()
        if self._last is not None and timed_steps > self._last[0]:
            step_s = (now - self._last[1]) / (timed_steps - self._last[0])
            per_interval = math.ceil(self.min_interval_s / step_s) if step_s > 0 else self.every_n_steps
            self.stride = max(1, per_interval) if self.free else max(self.every_n_steps, per_interval)
        self._last = (timed_steps, now)
        self._next_at = timed_steps + self._rng.randint(1, 2 * self.stride - 1)


class PhaseLog:
    """The run's phase samples, bounded: past ``max_kept`` every other kept sample is dropped
    and only every ``stride``-th new one is kept, so the kept ones stay evenly spread."""

    def __init__(self, schedule: PhaseSchedule, in_timed_window: bool, max_kept: int = MAX_KEPT_SAMPLES) -> None:
        self.record = PhaseRecord(schedule.every_n_steps, schedule.min_interval_s, in_timed_window=in_timed_window)
        self.max_kept = max_kept
        self._stride = 1

    def add(self, phases: dict[str, float]) -> None:
        record = self.record
        record.sampled_steps += 1
        if (record.sampled_steps - 1) % self._stride:
            return
        record.samples.append(phases)
        if len(record.samples) >= self.max_kept:
            del record.samples[1::2]
            self._stride *= 2
