"""Closing the window while something runs: ask first, then stop it so it is stored as partial.

A run stopped by a closing window keeps what it measured: the supervisor ends the worker,
the recorder stores the run as ``stopped``, and every view marks its figures partial
(``profiler.metrics.quality.partial_reason``). ``ask_to_quit`` is the one modal question;
tests replace ``MainWindow.confirm_close`` instead of answering a dialog. GUI thread.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

QUESTION_TITLE = "Stop the run and quit?"


def busy_text(runs: list[str], sweeping: bool, scaling: bool = False) -> str:
    """What is going, in words, for the question."""
    what = []
    if runs:
        what.append("a run is going (" + ", ".join(runs[:3]) + (", …" if len(runs) > 3 else "") + ")")
    if sweeping:
        what.append("a sweep is going")
    if scaling:
        what.append("a scaling run is going (world sizes already measured are in History)")
    return (" and ".join(what).capitalize() + ". Quitting stops it; what it measured so far "
            "is kept in History, marked partial.")


def ask_to_quit(parent: QWidget, text: str) -> bool:
    """True when the user chose to stop and quit."""
    box = QMessageBox(QMessageBox.Icon.Question, QUESTION_TITLE, text, parent=parent)
    stop = box.addButton("Stop and quit", QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("Keep running", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.exec()
    return box.clickedButton() is stop
