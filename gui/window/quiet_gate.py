"""Before the window starts a run: is the machine busy? If so, wait for quiet, bounded.

The gate reads the machine once a second (``profiler.runner.quiet.QuietReader``: other
processes' share of the CPU, this window's process left out). A Start on a busy machine shows
``QuietWaitBar`` with the engine's progress line and waits up to ``HORSEPOWER_WAIT_FOR_QUIET_S``
seconds (default 60; 0 never waits) for quiet, driven by a timer (``QuietWait`` decides);
"Run now" starts at once, "Cancel" starts nothing. A run that stays busy is marked by its
result. GUI thread only.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, QTimer

from gui.widgets.quiet_wait_bar import QuietWaitBar
from profiler.results.spec import RunSpec
from profiler.runner.quiet import DEFAULT_WAIT_S, QuietReader, QuietReading, QuietWait

log = logging.getLogger(__name__)

WAIT_ENV = "HORSEPOWER_WAIT_FOR_QUIET_S"
POLL_MS = 1000


def wait_limit_s() -> float:
    """The window's wait for quiet (s) from ``HORSEPOWER_WAIT_FOR_QUIET_S`` (default 60)."""
    raw = os.environ.get(WAIT_ENV, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_WAIT_S
    except ValueError:
        log.warning("%s=%r is not a number of seconds; using %.0f", WAIT_ENV, raw, DEFAULT_WAIT_S)
        return DEFAULT_WAIT_S
    return value if 0 <= value <= 86_400 else DEFAULT_WAIT_S


class QuietGate(QObject):
    """``request(start)`` calls ``start`` now on a quiet machine, else after a bounded wait."""

    def __init__(self, bar: QuietWaitBar, read: Callable[[], QuietReading] | None = None,
                 limit_s: float | None = None, clock: Callable[[], float] = time.monotonic,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bar = bar
        self.limit_s = wait_limit_s() if limit_s is None else limit_s
        self._read = read or QuietReader().read
        self._clock = clock
        self.last: QuietReading | None = None
        self._pending: Callable[[], object] | None = None
        self._wait: QuietWait | None = None
        self._t0 = 0.0
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.tick)
        bar.sig_run_now.connect(self.run_now)
        bar.sig_cancel.connect(self.cancel)
        if self.limit_s > 0:
            self.timer.start()

    @property
    def waiting(self) -> bool:
        return self._pending is not None

    def request(self, start: Callable[[], object]) -> None:
        """Start now, or show the bar and wait for quiet (a second request replaces the first)."""
        if self.limit_s <= 0 or self.last is None or not self.last.busy:
            start()
            return
        self._pending, self._wait, self._t0 = start, QuietWait(self.limit_s), self._clock()
        self._show(self._wait.update(self.last, 0.0).line())

    def gated(self, start: Callable[[Sequence[RunSpec]], object]) -> Callable[[Sequence[RunSpec]], list[str]]:
        """``start`` behind the gate: called with the same specs now or after the wait."""
        def gated_start(specs: Sequence[RunSpec]) -> list[str]:
            self.request(lambda: start(specs))
            return []
        return gated_start

    def tick(self) -> None:
        """One reading of the machine; advances a wait."""
        try:
            self.last = self._read()
        except Exception:  # a reading is advice, never a reason to block a run
            log.exception("reading the machine for the quiet gate failed")
            self.last = None
        if self._wait is None:
            return
        if self.last is None:
            self.run_now()
            return
        state = self._wait.update(self.last, self._clock() - self._t0)
        if state.outcome == "waiting":
            self._show(state.line())
        else:
            log.info("quiet gate: %s", state.line())
            self.run_now()

    def _show(self, line: str) -> None:
        self.bar.show_text(f"The machine is busy: waiting up to {self.limit_s:.0f} s for quiet before measuring",
                           line)

    def run_now(self) -> None:
        """Stop waiting and start (the result is marked if the machine stays busy)."""
        start, self._pending, self._wait = self._pending, None, None
        self.bar.hide()
        if start is not None:
            start()

    def cancel(self) -> None:
        """Stop waiting; nothing starts."""
        self._pending, self._wait = None, None
        self.bar.hide()

    def stop(self) -> None:
        self.cancel()
        self.timer.stop()
