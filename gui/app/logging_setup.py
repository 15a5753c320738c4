"""Logging to a rotating file in the user log dir, and hooks that surface unexpected errors.

Entry points only (``run_app``) call these. An unexpected exception on any thread is logged
with its traceback and shown in a dialog naming the log file; the app keeps running.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

import platformdirs
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger(__name__)

LOG_FORMAT = "%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s"


def log_file_path() -> Path:
    """``$HORSEPOWER_LOG_DIR/horsepower.log``, else the platform's user log dir."""
    folder = os.environ.get("HORSEPOWER_LOG_DIR") or platformdirs.user_log_dir("horsepower")
    return Path(folder) / "horsepower.log"


def setup_logging(level: int = logging.INFO) -> Path:
    """Send logs to a rotating file (1 MB x 3) and warnings to stderr; returns the file."""
    path = log_file_path()
    root = logging.getLogger()
    root.setLevel(level)
    if not any(getattr(h, "_horsepower", False) for h in root.handlers):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = RotatingFileHandler(
                path, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
            )
        except OSError as exc:  # read-only home: keep going with stderr only
            print(f"horsepower: cannot write log file {path}: {exc}", file=sys.stderr)
            handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler._horsepower = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        console = logging.StreamHandler()
        console.setLevel(logging.WARNING)
        console.setFormatter(logging.Formatter("horsepower: %(levelname)s %(message)s"))
        console._horsepower = True  # type: ignore[attr-defined]
        root.addHandler(console)
    return path


class ErrorReporter(QObject):
    """Shows unexpected errors in a (non-blocking) dialog on the GUI thread."""

    sig_error = Signal(str)
    """(one-line summary). Emitted on any thread; delivered queued to the GUI thread."""

    def __init__(self, log_path: Path, parent_widget: QWidget | None = None) -> None:
        super().__init__()
        self.log_path = log_path
        self.parent_widget = parent_widget
        self.shown = 0
        self.open_dialogs: list[QMessageBox] = []  # a Python reference keeps each one alive
        self.sig_error.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def _show(self, summary: str) -> None:
        self.shown += 1
        box = QMessageBox(self.parent_widget)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle("Horsepower: unexpected error")
        box.setText(f"Something went wrong: {summary}")
        box.setInformativeText(
            f"Horsepower keeps running. The full report is in the log file:\n{self.log_path}"
        )
        box.finished.connect(lambda _result: self._forget(box))
        self.open_dialogs.append(box)
        box.open()

    def _forget(self, box: QMessageBox) -> None:
        if box in self.open_dialogs:
            self.open_dialogs.remove(box)
        box.deleteLater()


def install_excepthooks(reporter: ErrorReporter) -> None:
    """Route uncaught exceptions (main and other threads) to the log and the dialog."""

    def report(etype: type[BaseException], value: BaseException, tb: TracebackType | None,
               where: str) -> None:
        text = "".join(traceback.format_exception(etype, value, tb))
        log.critical("unexpected error in %s:\n%s", where, text)
        reporter.sig_error.emit(f"{etype.__name__}: {value}")

    def excepthook(etype: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(etype, KeyboardInterrupt):
            sys.__excepthook__(etype, value, tb)
            return
        report(etype, value, tb, "the GUI thread")

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        name = args.thread.name if args.thread else "a thread"
        report(args.exc_type, args.exc_value, args.exc_traceback, name)

    sys.excepthook = excepthook
    threading.excepthook = thread_hook
