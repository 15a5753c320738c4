"""The "Which utilization is true?" panel: five figures side by side, one sentence each. GUI thread.

A non-modal dialog opened from the Live page (the link by the Utilization plot). Each row:
the figure's name, its value (or n/a), what it measures in one sentence, and why it is n/a
when it is; below them, why Windows Task Manager shows a CUDA training run as idle. The
window's refresh timer calls ``display`` while the panel is open; labels change only when
their text does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from profiler.metrics.utilization import TASK_MANAGER_NOTE

if TYPE_CHECKING:
    from gui.viewmodel.utilization_view import UtilizationView

TITLE = "Which utilization is true?"
INTRO = ("Five figures that each measure something different, so \u201cthe GPU is at 100%\u201d and "
         "\u201cMFU is 30%\u201d can both be true.")


def _set(label: QLabel, text: str) -> None:
    if label.text() != text:
        label.setText(text)


class UtilizationPanel(QDialog):
    """Rows of ``UtilizationView``; ``display`` refreshes them in place."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("utilizationPanel")
        self.setWindowTitle(TITLE)
        self.setModal(False)
        self.basis = QLabel("", self, objectName="sectionLabel", wordWrap=True)
        intro = QLabel(INTRO, self, objectName="mutedLabel", wordWrap=True)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(14)
        self.grid.setVerticalSpacing(8)
        self.grid.setColumnStretch(2, 1)
        self.rows: list[tuple[QLabel, QLabel, QLabel]] = []
        self.note = QLabel(TASK_MANAGER_NOTE, self, objectName="mutedLabel", wordWrap=True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 12)
        layout.addWidget(self.basis)
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addLayout(self.grid)
        layout.addSpacing(8)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.view: UtilizationView | None = None
        self.resize(720, 480)

    def _row(self, index: int) -> tuple[QLabel, QLabel, QLabel]:
        while len(self.rows) <= index:
            name = QLabel("", self, objectName="sectionLabel")
            value = QLabel("", self, objectName="utilValue")
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            meaning = QLabel("", self, wordWrap=True)
            meaning.setTextFormat(Qt.TextFormat.RichText)
            row = len(self.rows)
            self.grid.addWidget(name, row, 0, Qt.AlignmentFlag.AlignTop)
            self.grid.addWidget(value, row, 1, Qt.AlignmentFlag.AlignTop)
            self.grid.addWidget(meaning, row, 2)
            self.rows.append((name, value, meaning))
        return self.rows[index]

    def display(self, view: UtilizationView) -> None:
        """Show ``view``'s rows (n/a with its reason where a figure is missing)."""
        if view == self.view:
            return
        self.view = view
        _set(self.basis, view.basis)
        for i, line in enumerate(view.lines):
            name, value, meaning = self._row(i)
            _set(name, line.label)
            _set(value, line.value)
            if bool(value.property("na")) != line.na:
                value.setProperty("na", line.na)
                value.style().unpolish(value)
                value.style().polish(value)
            why = f"<br><i>n/a: {_esc(line.na_note)}</i>" if line.na_note else ""
            _set(meaning, _esc(line.meaning) + why)

    def row_texts(self) -> list[tuple[str, str, str]]:
        """(label, value, meaning) of each row as shown (tests read this)."""
        return [(n.text(), v.text(), m.text()) for n, v, m in self.rows[: len(self.view.rows) if self.view else 0]]


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
