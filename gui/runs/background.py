"""One slow engine call at a time, off the GUI thread, answered on the GUI thread.

``BackgroundCall.submit(token, fn)`` runs ``fn()`` on a plain thread and emits
``sig_done(token, value)`` or ``sig_failed(token, exc)``; connect them queued and the slots
run on the GUI thread. A call submitted while one runs waits for it (the newest waiting
call replaces an older waiting one: a user who changed the form twice wants the last
answer). ``shutdown`` drops what waits and joins the running thread, as the window does
with every thread on close. Used for the model check (a child process: seconds) and the
advisor (up to ~2 s the first time).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class BackgroundCall(QObject):
    """Runs submitted callables one after another on short-lived threads."""

    sig_done = Signal(object, object)
    """(token, value returned). Emitted on the job's own thread; connect queued."""

    sig_failed = Signal(object, object)
    """(token, the exception raised). Emitted on the job's own thread; connect queued."""

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._waiting: tuple[Any, Callable[[], Any]] | None = None
        self._closed = False

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._waiting is not None or (self._thread is not None and self._thread.is_alive())

    def submit(self, token: Any, fn: Callable[[], Any]) -> None:
        """Run ``fn`` after the call in progress (if any). GUI thread."""
        with self._lock:
            if self._closed:
                return
            if self._thread is not None and self._thread.is_alive():
                self._waiting = (token, fn)
                return
            self._start(token, fn)

    def _start(self, token: Any, fn: Callable[[], Any]) -> None:  # holds the lock
        self._thread = threading.Thread(target=self._run, args=(token, fn), name=f"horsepower-{self.name}",
                                        daemon=False)
        self._thread.start()

    def _run(self, token: Any, fn: Callable[[], Any]) -> None:  # the job's own thread
        while True:
            try:
                value = fn()
            except Exception as exc:  # the slot decides what the user sees; log the unexpected
                log.debug("%s call %r raised %s: %s", self.name, token, type(exc).__name__, exc)
                if not self._closed:
                    self.sig_failed.emit(token, exc)
            else:
                if not self._closed:
                    self.sig_done.emit(token, value)
            with self._lock:
                if self._waiting is None or self._closed:
                    self._waiting = None
                    return
                token, fn = self._waiting
                self._waiting = None

    def shutdown(self, timeout_s: float = 2.0) -> bool:
        """Drop the waiting call and join the running one; True when it ended in time."""
        with self._lock:
            self._closed = True
            self._waiting = None
            thread = self._thread
        if thread is None:
            return True
        thread.join(timeout_s)
        if thread.is_alive():
            log.error("%s call still running after %.1f s", self.name, timeout_s)
            return False
        return True
