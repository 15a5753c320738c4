"""Demo mode: full screen, dark, big numbers, and an unattended loop over the selected devices.

For a booth or a meeting room: after each round the loop pauses, clears the plots and
starts the next round. A failed run shows its banner and the loop carries on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

log = logging.getLogger(__name__)

PAUSE_BETWEEN_ROUNDS_MS = 5000
RETRY_MS = 500  # nothing could start yet (devices still loading): look again this soon


class DemoController(QObject):
    """Drives the loop. ``start_round`` starts one round (returns False when it cannot)."""

    sig_active_changed = Signal(bool)
    """Demo mode switched on or off. GUI thread."""

    def __init__(
        self, start_round: Callable[[], bool], set_look: Callable[[bool], None],
        pause_ms: int = PAUSE_BETWEEN_ROUNDS_MS, parent: QObject | None = None,
        stop_round: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._start_round = start_round
        self._stop_round = stop_round
        self._set_look = set_look
        self.active = False
        self.rounds = 0
        self._next = QTimer(self, singleShot=True, interval=pause_ms)
        self._next.timeout.connect(self._on_next_round)
        self._retry = QTimer(self, singleShot=True, interval=RETRY_MS)
        self._retry.timeout.connect(self._on_next_round)

    def enter(self) -> None:
        if self.active:
            return
        self.active = True
        self._set_look(True)
        self.sig_active_changed.emit(True)
        log.info("demo mode on")
        self._on_next_round()

    def leave(self) -> None:
        """Leave at once: no next round, the round going now stopped (what it measured is kept)."""
        if not self.active:
            return
        self.active = False
        self._next.stop()
        self._retry.stop()
        if self._stop_round is not None:
            self._stop_round()
        self._set_look(False)
        self.sig_active_changed.emit(False)
        log.info("demo mode off after %d round(s)", self.rounds)

    def toggle(self) -> None:
        self.leave() if self.active else self.enter()

    def on_busy_changed(self, busy: bool) -> None:
        """Connect to ``RunManager.sig_busy_changed``: schedule the next round when idle."""
        if self.active and not busy:
            self._next.start()

    def _on_next_round(self) -> None:
        if not self.active:
            return
        if self._start_round():
            self.rounds += 1
        else:
            self._retry.start()  # nothing to run yet (devices still loading): try again soon
