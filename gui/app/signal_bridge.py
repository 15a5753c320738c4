"""The window ends cleanly on SIGTERM, SIGINT and SIGHUP, and exits ``128 + signum``.

While Qt's event loop runs, Python signal handlers only run when the interpreter gets control
back, which an idle window never gives it. ``SignalBridge`` writes each signal's number to a
socket pair (``signal.set_wakeup_fd``) that a ``QSocketNotifier`` watches on the GUI thread, so
the signal is handled there, at once: ``on_signal(signum)`` stops the run (it is stored, and a
scripted run writes its ``--json``) and quits the event loop. A second signal exits at once
(the training worker dies with the window: ``profiler.lifeline``). Signals the parent ignores
(``nohup``) stay ignored.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier

log = logging.getLogger(__name__)

STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n))


class SignalBridge(QObject):
    """Delivers SIGINT/SIGTERM/SIGHUP to ``on_signal`` on the GUI thread (see the module doc)."""

    def __init__(self, on_signal: Callable[[int], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.on_signal = on_signal
        self.signum: int | None = None
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._previous: dict[int, Any] = {}
        for sig in STOP_SIGNALS:
            if signal.getsignal(sig) is not signal.SIG_IGN:
                self._previous[sig] = signal.signal(sig, self._python_handler)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)

    @property
    def exit_code(self) -> int | None:
        """``128 + signum`` once a stop signal arrived, else None."""
        return None if self.signum is None else 128 + self.signum

    def _python_handler(self, signum: int, frame: Any) -> None:
        """Runs when Python gets control (the wakeup byte already woke Qt); nothing to do here:
        the byte on the socket carries the signal to ``_drain``. Without a Python handler the
        default action (exit at once, a traceback for SIGINT) would happen instead."""

    def _drain(self) -> None:
        try:
            data = self._reader.recv(64)
        except OSError:
            return
        for signum in data:
            if signum in self._previous:
                self._deliver(signum)

    def _deliver(self, signum: int) -> None:
        name = signal.Signals(signum).name
        if self.signum is not None:
            log.warning("%s again: exiting now", name)
            os._exit(128 + signum)
        self.signum = signum
        log.warning("%s: stopping the run, saving it and closing the window", name)
        self.on_signal(signum)

    def uninstall(self) -> None:
        """Give the signals back their previous handlers (after the event loop ended)."""
        self._notifier.setEnabled(False)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._reader.close()
        self._writer.close()
