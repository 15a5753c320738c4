"""What the window's sweep and scale runners share: one job thread at a time, started, stopped
and joined from the GUI thread, and a ``busy`` that stays true until the GUI thread has handled
the thread's end (so the job's last queued result has reached the page). GUI thread only."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QThread, Signal

log = logging.getLogger(__name__)


class JobThread(QThread):
    """A job thread the runner can stop: it watches ``cancel``."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cancel = threading.Event()


class JobRunner(QObject):
    """Runs one ``JobThread`` at a time; subclasses build the thread and call ``_launch``."""

    #: what the job is called in logs and errors ("sweep", "scale sweep")
    job_name = "job"

    sig_busy_changed = Signal(bool)
    """True when a job starts, False once the GUI thread has handled its thread's end. GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: JobThread | None = None
        self._active = False  # from start until the GUI thread has handled the thread's end

    @property
    def busy(self) -> bool:
        """A job is running, or has ended and its last result has not reached the page yet."""
        return self._active or (self._thread is not None and self._thread.isRunning())

    def _launch(self, make_thread: Callable[[], JobThread]) -> None:
        """Build the job's thread with ``make_thread`` and start it; RuntimeError (and no thread
        built) while a job is busy."""
        if self.busy:
            raise RuntimeError(f"a {self.job_name} is already running")
        self._reap()
        thread = make_thread()
        thread.finished.connect(self._on_thread_finished, Qt.ConnectionType.QueuedConnection)
        self._thread = thread
        self._active = True
        thread.start()
        self.sig_busy_changed.emit(True)

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.cancel.set()

    def shutdown(self, timeout_s: float = 2.0) -> bool:
        """Stop and join the job thread (which ends its workers first); True when it ended in time."""
        self.stop()
        if self._thread is None:
            return True
        ok = self._thread.wait(max(0, int(timeout_s * 1000)))
        if not ok:
            log.error("%s thread did not end within %.1f s", self.job_name, timeout_s)
        else:
            self._active = False
        return ok

    def _ended(self) -> None:
        """The thread's end reached the GUI thread (its queued results already have)."""

    def _on_thread_finished(self) -> None:
        if self._thread is not None:
            self._thread.wait(500)  # ``finished`` comes just before the thread's very end
        self._ended()
        self._active = False  # queued after the thread's own signals: the page has them
        self.sig_busy_changed.emit(False)

    def _reap(self) -> None:
        if self._thread is not None and self._thread.isFinished():
            self._thread.deleteLater()
            self._thread = None
