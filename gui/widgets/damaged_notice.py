"""A notice over the History table naming stored runs that cannot be shown in full. GUI thread.

``HistoryStore.damaged`` maps run ids to why a stored row could not be read as written (a
time or figure out of range: shown clamped; a result or spec that is not JSON: the run cannot
be opened). The notice lists them, one line each, with a button to delete them.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

SHOWN = 4  # runs named in the notice; the rest are counted


def notice_text(damaged: Mapping[str, str]) -> str:
    """"2 stored runs are damaged: far-future (a stored time ...); garbage (its result ...)"."""
    n = len(damaged)
    items = [f"{run_id} ({why})" for run_id, why in list(damaged.items())[:SHOWN]]
    more = f"; and {n - SHOWN} more" if n > SHOWN else ""
    what = "1 stored run is damaged" if n == 1 else f"{n} stored runs are damaged"
    return f"{what} and shown only as far as it can be read: {'; '.join(items)}{more}."


class DamagedNotice(QFrame):
    """Hidden while nothing is damaged; ``sig_delete_requested`` asks to delete the runs named."""

    sig_delete_requested = Signal(list)
    """(list of run ids) the user pressed Delete damaged runs. GUI thread."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="damagedNotice")
        self.text = QLabel("", self, wordWrap=True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.delete_button = QPushButton("Delete damaged runs", self)
        self.delete_button.clicked.connect(lambda: self.sig_delete_requested.emit(list(self.run_ids)))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 8, 6)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.delete_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.run_ids: list[str] = []
        self.hide()

    def show_damaged(self, damaged: Mapping[str, str]) -> None:
        """Name ``damaged`` (run id -> why); hide when it is empty."""
        self.run_ids = list(damaged)
        if not damaged:
            self.hide()
            return
        self.text.setText(notice_text(damaged))
        self.delete_button.setText("Delete damaged run" if len(damaged) == 1 else "Delete damaged runs")
        self.show()
