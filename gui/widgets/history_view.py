"""The run history as a filterable table: rename, delete, re-run, export. GUI thread only."""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from profiler import units
from profiler.history import HistoryStore, RunSummary
from profiler.reports.export import export_run

log = logging.getLogger(__name__)

COLUMNS = ("name", "status", "device", "workload", "samples/s", "MFU", "when")
Index = QModelIndex | QPersistentModelIndex


class HistoryTableModel(QAbstractTableModel):
    """Rows of ``RunSummary``; numbers sort by value (``Qt.UserRole``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs: list[RunSummary] = []

    def set_runs(self, runs: list[RunSummary]) -> None:
        self.beginResetModel()
        self.runs = list(runs)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.runs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        run = self.runs[index.row()]
        values = (run.name, run.status, run.device, run.workload, run.samples_per_s, run.mfu,
                  run.created_at)
        value = values[index.column()]
        if role == Qt.ItemDataRole.UserRole:
            return value
        if role == Qt.ItemDataRole.ToolTipRole:
            return run.run_id
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        col = COLUMNS[index.column()]
        if col == "samples/s":
            return units.num(value)
        if col == "MFU":
            return units.percent(value)
        if col == "when":
            return time.strftime("%Y-%m-%d %H:%M", time.localtime(value))
        return str(value)


class HistoryView(QWidget):
    """History tab over a ``HistoryStore``; call ``refresh()`` after a run finishes."""

    sig_rerun_requested = Signal(dict)
    """The user asked to run a stored spec again (a ``RunSpec.to_dict``). GUI thread."""
    sig_selection_changed = Signal(list)
    """The selected run ids changed (list of str). GUI thread."""
    sig_export_finished = Signal(str)
    """A run was exported to this path. GUI thread."""

    def __init__(self, store: HistoryStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.model = HistoryTableModel(self)
        self.filter_edit = QLineEdit(placeholderText="Filter by name, id, workload or device")
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for name in ("Rename", "Delete", "Re-run", "Export CSV", "Export JSON", "Export HTML"):
            if name == "Export CSV":
                buttons.addStretch(1)  # edits on the left, exports on the right
            self.buttons[name] = QPushButton(name)
            buttons.addWidget(self.buttons[name])
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.filter_edit.textChanged.connect(self._on_filter_text_changed)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.buttons["Rename"].clicked.connect(self._on_rename_clicked)
        self.buttons["Delete"].clicked.connect(self._on_delete_clicked)
        self.buttons["Re-run"].clicked.connect(self._on_rerun_clicked)
        for fmt_name in ("csv", "json", "html"):
            self.buttons[f"Export {fmt_name.upper()}"].clicked.connect(
                lambda _=False, f=fmt_name: self._on_export_clicked(f))
        self.refresh()

    def refresh(self) -> None:
        """Reload rows from the store with the current filter."""
        self.model.set_runs(self.store.list_runs(text=self.filter_edit.text().strip() or None))

    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.runs[r].run_id for r in rows]

    def rename(self, run_id: str, name: str) -> None:
        self.store.rename(run_id, name)
        self.refresh()

    def delete(self, run_ids: list[str]) -> None:
        for run_id in run_ids:
            self.store.delete(run_id)
        self.refresh()

    def rerun(self, run_id: str) -> None:
        run = self.store.get(run_id)
        if run is not None:
            self.sig_rerun_requested.emit(dict(run["spec"]))

    def export(self, run_id: str, fmt_name: str, path: str) -> None:
        run = self.store.get(run_id)
        if run is not None:
            export_run(run, fmt_name, path)
            self.sig_export_finished.emit(path)

    # ---- slots -----------------------------------------------------------------------
    def _on_filter_text_changed(self, _text: str) -> None:
        self.refresh()

    def _on_table_selection_changed(self, *_: Any) -> None:
        self.sig_selection_changed.emit(self.selected_ids())

    def _on_rename_clicked(self) -> None:
        ids = self.selected_ids()
        if len(ids) != 1:
            return
        name, ok = QInputDialog.getText(self, "Rename run", "New name:")
        if ok and name.strip():
            self.rename(ids[0], name.strip())

    def _on_delete_clicked(self) -> None:
        ids = self.selected_ids()
        if ids and QMessageBox.question(self, "Delete runs", f"Delete {len(ids)} run(s)?") \
                == QMessageBox.StandardButton.Yes:
            self.delete(ids)

    def _on_rerun_clicked(self) -> None:
        for run_id in self.selected_ids()[:1]:
            self.rerun(run_id)

    def _on_export_clicked(self, fmt_name: str) -> None:
        ids = self.selected_ids()
        if len(ids) != 1:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export run", f"{ids[0]}.{fmt_name}")
        if path:
            try:
                self.export(ids[0], fmt_name, path)
            except OSError as exc:
                QMessageBox.warning(self, "Export failed", str(exc))
