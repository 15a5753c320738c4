"""Decide when warm-up is over: step time has settled, within bounds."""

from __future__ import annotations

import statistics

SETTLE_WINDOW = 5  # steps per comparison window
SETTLE_TOLERANCE = 0.05  # medians of two consecutive windows within 5%
MIN_WARMUP_STEPS = 3


class WarmupGate:
    """Feed warm-up step times; ``settled`` turns True once they stop falling.

    Bounded by ``max_steps`` and ``max_s``: a run whose step time never settles still
    starts measuring, and ``timed_out`` says so (the result then carries a warning).
    """

    def __init__(self, max_steps: int, max_s: float) -> None:
        self.max_steps = max(MIN_WARMUP_STEPS, max_steps)
        self.max_s = max_s
        self.times: list[float] = []
        self.timed_out = False

    def add(self, step_time_s: float) -> bool:
        """Record one step; return True when warm-up is over."""
        self.times.append(step_time_s)
        if self._settled():
            return True
        if len(self.times) >= self.max_steps or sum(self.times) >= self.max_s:
            self.timed_out = len(self.times) >= 2 * SETTLE_WINDOW and not self._settled()
            return True
        return False

    def _settled(self) -> bool:
        n = len(self.times)
        if n < max(MIN_WARMUP_STEPS, 2 * SETTLE_WINDOW):
            return False
        prev = statistics.median(self.times[-2 * SETTLE_WINDOW : -SETTLE_WINDOW])
        last = statistics.median(self.times[-SETTLE_WINDOW:])
        return abs(prev - last) <= SETTLE_TOLERANCE * last
