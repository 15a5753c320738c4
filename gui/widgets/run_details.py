"""A stored run's details beside History: what ran, its figures and the input-bound answer
(``profiler.reports.diagnosis.details_text``), with Copy. And History's row actions: Ctrl+C
copies the selected rows, a context menu copies a row or a run's details. GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QFont, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from profiler.reports.diagnosis import details_text, typed

NOTHING = "Select a run to see its details: settings, figures, where the step time goes and its verdict."


class RunDetailsPane(QWidget):
    """Read-only details of one run; ``show_run(None)`` shows the hint."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Run details")
        self.title.setObjectName("sectionLabel")
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.TypeWriter)
        self.text.setFont(mono)
        self.copy_button = QPushButton("Copy details")
        self.copy_button.setToolTip("Copy these details as plain text")
        self.copy_button.clicked.connect(self.copy)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.text, 1)
        self.show_run(None)

    def show_run(self, run: Mapping[str, Any] | None) -> None:
        """Show a stored run (a result dict from the store); None: the hint."""
        result = typed(run) if run is not None else None
        self.text.setPlainText(details_text(result) if result is not None else NOTHING)
        self.copy_button.setEnabled(result is not None)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())


def rows_text(table: QTableView, rows: list[int]) -> str:
    """The shown cells of ``rows``, tab-separated, with the header line first."""
    model = table.model()
    columns = [c for c in range(model.columnCount()) if not table.isColumnHidden(c)]
    head = "\t".join(str(model.headerData(c, Qt.Orientation.Horizontal)) for c in columns)
    body = ["\t".join(str(model.index(r, c).data() or "") for c in columns) for r in rows]
    return "\n".join([head, *body])


class RowActions:
    """Ctrl+C on ``table`` copies the selected rows (not one cell); a right click offers "Copy
    row" and "Copy run details" (``details(row)``), then ``extra(menu)`` actions. ``menu`` is the
    last context menu shown."""

    def __init__(self, table: QTableView, selected_rows: Callable[[], list[int]],
                 details: Callable[[int], str], extra: Callable[[QMenu], None] | None = None) -> None:
        self.table, self.selected_rows, self.details, self.extra = table, selected_rows, details, extra
        self.menu: QMenu | None = None
        self.copy_action = QAction("Copy row", table)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.copy_action.triggered.connect(self.copy_rows)
        table.addAction(self.copy_action)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self.menu_at)

    def copy_rows(self) -> None:
        rows = self.selected_rows()
        if rows:
            _copy(rows_text(self.table, rows))

    def menu_at(self, pos: QPoint) -> QMenu | None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return None
        row = index.row()
        if row not in self.selected_rows():
            self.table.selectRow(row)
        menu = QMenu(self.table)
        menu.addAction("Copy row", self.copy_rows)
        menu.addAction("Copy run details", lambda: _copy(self.details(row)))
        if self.extra is not None:
            menu.addSeparator()
            self.extra(menu)
        menu.popup(self.table.viewport().mapToGlobal(pos))
        self.menu = menu
        return menu


def _copy(text: str) -> None:
    QGuiApplication.clipboard().setText(text)
