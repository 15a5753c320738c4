"""Unexpected errors are logged to the user log dir and shown in a dialog; the app lives on."""

from __future__ import annotations

import logging
import sys
import threading

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from gui.app.logging_setup import ErrorReporter, install_excepthooks, setup_logging


@pytest.fixture
def log_path(tmp_path, monkeypatch):
    monkeypatch.setenv("HORSEPOWER_LOG_DIR", str(tmp_path))
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    path = setup_logging()
    yield path
    for handler in root.handlers[:]:
        if handler not in before:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


@pytest.fixture
def hooks():
    saved = sys.excepthook, threading.excepthook
    yield
    sys.excepthook, threading.excepthook = saved


def _dialogs() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def test_exceptions_on_any_thread_are_logged_and_shown(qtbot, log_path, hooks):
    reporter = ErrorReporter(log_path)
    install_excepthooks(reporter)
    try:
        raise ValueError("boom on the GUI thread")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    worker = threading.Thread(target=lambda: 1 / 0, name="doomed")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: reporter.shown == 2, timeout=2000)
    dialogs = _dialogs()
    assert len(dialogs) == 2 and set(dialogs) == set(reporter.open_dialogs)
    assert all(str(log_path) in box.informativeText() for box in dialogs)
    assert "ZeroDivisionError" in " ".join(box.text() for box in dialogs)
    text = log_path.read_text()
    assert "boom on the GUI thread" in text and "ZeroDivisionError" in text and "doomed" in text
    for box in dialogs:
        box.done(0)
    assert reporter.open_dialogs == []
