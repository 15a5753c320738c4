"""The run history as a filterable table: rename, delete, re-run, export. GUI thread only.

Each row shows the run's name (the user's, or the automatic one that says what differs),
its configuration in columns (model, batch, precision, threads) and its figures; sweep
points and presentation rounds can be hidden. Exports: the tidy CSV of the selected runs
(one row per run), one run's step series as CSV, its JSON, the report to send, or its
torch.profiler trace ("Open trace" writes a plain copy and says where it opens). A run whose
stored steps are fewer than it measured is marked incomplete; runs the store cannot read in
full (``HistoryStore.damaged``) are named in a notice above the table, with a Delete button.

The list is live: a timer polls the database's change counter (``HistoryWatch``, about once a
second) and reloads when any process stored something, keeping the selection. The selected
run's details (settings, figures, the input-bound answer) show in a pane below the table;
Ctrl+C copies the selected rows and a right click copies a row or a run's details.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.widgets import trace_actions
from gui.widgets.damaged_notice import DamagedNotice
from gui.widgets.run_details import RowActions, RunDetailsPane
from profiler import units
from profiler.history import HistoryStore, RunSummary
from profiler.history.database import HistoryError
from profiler.history.watch import HistoryWatch
from profiler.reports.diagnosis import details_text, typed
from profiler.reports.export import export_run
from profiler.results.model_ref import USER_WORKLOAD, model_label

log = logging.getLogger(__name__)

COLUMNS = ("Name", "Status", "Device", "Model", "Batch", "Precision", "Threads", "Ranks", "Samples/s", "MFU",
           "Started")
NUMERIC = frozenset({"Batch", "Threads", "Ranks", "Samples/s", "MFU"})
ANY_RANKS = "Any ranks"
#: how often the list looks for runs stored by any process (ms)
WATCH_INTERVAL_MS = 1000
GENERATED = frozenset({"sweep", "demo"})  # origins History can hide
PARTIAL_COLOUR = "#B45309"
Index = QModelIndex | QPersistentModelIndex


def _model(run: RunSummary) -> str:
    """``mlp-S width=256``; a user's own model by its label: ``plain_model.py:build channels=64``."""
    user = run.workload == USER_WORKLOAD and run.model
    head = model_label(run.model) if user else f"{run.workload}-{run.size or '?'}"
    return head + (f" {run.knobs}" if run.knobs else "")


def short_name(run: RunSummary) -> str:
    """The name without " on <device>" (the Device column says it); the origin stays."""
    head, sep, tail = run.name.partition(f" on {run.device}")
    return head + tail if sep else run.name

TRACE_BUTTONS = ("Open trace", "Save trace…")
OPEN_TRACE_TIP = ("Write the run's torch.profiler trace as plain JSON and say where it opens (Perfetto, "
                  "chrome://tracing)")
SAVE_TRACE_TIP = "Save the run's torch.profiler trace where you choose (a name ending .gz keeps it compressed)"
NO_TRACE_TIP = ("Select one run that recorded a trace (tick \u201cRecord a trace of the next run\u201d before "
                "Start, or `horsepower run --trace FILE`)")


def when(created_at: float) -> str:
    """When a stored run started (its row is made as it starts), as the report and the details
    pane say it: ``2026-12-07 10:58:31`` (``units.started_text``)."""
    return units.started_text(created_at)


def _status(run: RunSummary) -> str:
    """``completed``, ``stopped · partial``, ``completed · busy machine``, ``completed · incomplete``."""
    return run.status_text


def _status_tip(run: RunSummary) -> str:
    lines = [run.partial[:1].upper() + run.partial[1:]] if run.partial else []
    if run.busy:
        lines.append(run.busy[:1].upper() + run.busy[1:])
    if run.incomplete:
        lines.append(f"Incomplete in history: {run.incomplete}")
    return "\n".join(lines)


def _cells(run: RunSummary) -> tuple[Any, ...]:
    """(display, sort value) per column."""
    status = _status(run)
    return (
        (short_name(run), run.name), (status, run.status), (run.device, run.device), (_model(run), _model(run)),
        (str(run.batch_size) if run.batch_size else units.NA, run.batch_size or 0),
        (run.precision or units.NA, run.precision),
        (str(run.threads) if run.threads else "all" if run.device == "cpu" else "", run.threads or 0),
        (str(run.world_size), run.world_size),
        (units.count(run.samples_per_s), run.samples_per_s or 0.0),
        (units.share(run.mfu), run.mfu or 0.0),
        (when(run.created_at), run.created_at),
    )


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
        col = COLUMNS[index.column()]
        shown, value = _cells(run)[index.column()]
        if role == Qt.ItemDataRole.UserRole:
            return value
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == "Status" and (run.partial or run.busy or run.incomplete):
                return _status_tip(run)
            if col == "Samples/s":
                return "Samples per second over the whole timed window" + (" (partial)" if run.partial else "")
            return f"{run.name}\n{run.run_id}"
        if role == Qt.ItemDataRole.ForegroundRole and (run.partial or run.busy or run.incomplete) and \
                col in ("Status", "Samples/s", "MFU"):
            return QBrush(QColor(PARTIAL_COLOUR))
        if role == Qt.ItemDataRole.TextAlignmentRole and col in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return shown


class HistoryView(QWidget):
    """History tab over a ``HistoryStore``; call ``refresh()`` after a run finishes."""

    sig_rerun_requested = Signal(dict)
    """The user asked to run a stored spec again (a ``RunSpec.to_dict``). GUI thread."""
    sig_selection_changed = Signal(list)
    """The selected run ids changed (list of str). GUI thread."""
    sig_export_finished = Signal(str)
    """A run was exported to this path. GUI thread."""

    def __init__(self, store: HistoryStore, parent: QWidget | None = None, hide_generated: bool = False) -> None:
        super().__init__(parent)
        self.store = store
        self.model = HistoryTableModel(self)
        self.filter_edit = QLineEdit(placeholderText="Filter by name, id, workload or device")
        self.hide_generated = QCheckBox("Hide sweep points and presentation rounds")
        self.hide_generated.setChecked(hide_generated)
        self.ranks = QComboBox()
        self.ranks.addItem(ANY_RANKS, None)
        self.ranks.setToolTip("Show only runs trained on this many ranks (processes, torch.distributed); "
                              "1 is a single-process run")
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.buttons: dict[str, QPushButton] = {}
        buttons = QHBoxLayout()
        for name in ("Rename", "Delete", "Re-run", *TRACE_BUTTONS):
            self.buttons[name] = QPushButton(name)
            buttons.addWidget(self.buttons[name])
        for name in TRACE_BUTTONS:
            self.buttons[name].setEnabled(False)
            self.buttons[name].setToolTip(NO_TRACE_TIP)
        self.notice = DamagedNotice()
        buttons.addStretch(1)
        self.export_button = QToolButton(text="Export…", popupMode=QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_menu = QMenu(self.export_button)
        self.export_actions: dict[str, Any] = {}
        for fmt, text in (("tidy", "Summary CSV of the selected runs (one row per run)"),
                          ("html", "Report of the selected run (HTML)"),
                          ("csv", "Step series of the selected run (CSV)"),
                          ("json", "The selected run as JSON (re-importable)")):
            self.export_actions[fmt] = self.export_menu.addAction(text, self._export_action(fmt))
        self.export_button.setMenu(self.export_menu)
        buttons.addWidget(self.export_button)
        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.ranks)
        top.addWidget(self.hide_generated)
        self.details = RunDetailsPane()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.details.setMinimumHeight(150)  # the verdict and the split stay readable at 1280x720
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.notice)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(buttons)
        self.row_actions = RowActions(self.table, self._selected_rows, self._details_of_row, self._row_menu)
        self.watch = HistoryWatch(store.path)
        self._stale = False
        self.watch_timer = QTimer(self, interval=WATCH_INTERVAL_MS)
        self.watch_timer.timeout.connect(self.poll)
        self.watch_timer.start()
        self.filter_edit.textChanged.connect(self._on_filter_text_changed)
        self.hide_generated.toggled.connect(lambda _on: self.refresh())
        self.ranks.currentIndexChanged.connect(lambda _i: self.refresh())
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.buttons["Rename"].clicked.connect(self._on_rename_clicked)
        self.buttons["Delete"].clicked.connect(self._on_delete_clicked)
        self.buttons["Re-run"].clicked.connect(self._on_rerun_clicked)
        self.buttons["Open trace"].clicked.connect(self._on_open_trace_clicked)
        self.buttons["Save trace…"].clicked.connect(lambda: self._on_export_clicked("trace"))
        self.notice.sig_delete_requested.connect(self._on_delete_damaged)
        self.ask_text: Callable[[str, str, str], tuple[str, bool]] = self._ask_text
        self.ask_yes: Callable[[str, str], bool] = self._ask_yes
        self.ask_path: Callable[[str, str], str] = self._ask_path
        self.tell: Callable[[str, str], None] = self._tell
        self.trace_dialog: trace_actions.TraceOpened | None = None
        self.refresh()

    def refresh(self) -> None:
        """Reload rows from the store with the current filters, keeping the selection."""
        runs = self.store.list_runs(text=self.filter_edit.text().strip() or None,
                                    world_size=self.ranks.currentData())
        self._offer_ranks()
        if self.hide_generated.isChecked():
            runs = [r for r in runs if r.origin not in GENERATED]
        self.show_damaged()
        if runs == self.model.runs:
            return
        selected = self.selected_ids() if self.table.selectionModel() is not None else []
        self.model.set_runs(runs)
        self._select(selected)

    def poll(self) -> None:
        """Reload when any process stored or changed a run since the last poll (the timer)."""
        if not self.watch.changed() and not self._stale:
            return
        self._stale = False
        try:
            self.refresh()
        except sqlite3.ProgrammingError:  # the store was closed under us (the window is closing)
            self.close_watch()
        except (sqlite3.Error, HistoryError) as exc:  # busy for a moment: the next tick retries
            self._stale = True
            log.debug("history reload skipped: %s", exc)

    def close_watch(self) -> None:
        """Stop polling and close the watch's connection (the window closes)."""
        self.watch_timer.stop()
        self.watch.close()

    def _select(self, run_ids: list[str]) -> None:
        selection = self.table.selectionModel()
        wanted = set(run_ids)
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row, run in enumerate(self.model.runs):
            if run.run_id in wanted:
                selection.select(self.model.index(row, 0), flags)
        if not wanted:
            self.details.show_run(None)

    def _selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.table.selectionModel().selectedRows()})

    def _details_of_row(self, row: int) -> str:
        run = self.run(self.model.runs[row].run_id) if 0 <= row < len(self.model.runs) else None
        result = typed(run) if run is not None else None
        return details_text(result) if result is not None else ""

    def _row_menu(self, menu: QMenu) -> None:
        menu.addAction("Re-run", self._on_rerun_clicked)
        menu.addAction("Rename…", self._on_rename_clicked)
        menu.addAction("Delete…", self._on_delete_clicked)

    def show_damaged(self) -> None:
        """Name the runs the store could not read in full (listed or opened so far)."""
        self.notice.show_damaged(dict(self.store.damaged))

    def run(self, run_id: str) -> dict[str, Any] | None:
        """The stored run, or None (named in the notice when the store cannot rebuild it)."""
        found = self.store.get(run_id)
        if found is None:
            self.show_damaged()
        return found

    def _offer_ranks(self) -> None:
        """The ranks filter lists 1 and every world size stored (kept when already there)."""
        sizes = sorted({1, *(r.world_size for r in self.store.list_runs())})
        present = [self.ranks.itemData(i) for i in range(1, self.ranks.count())]
        if present == sizes:
            return
        current = self.ranks.currentData()
        self.ranks.blockSignals(True)
        while self.ranks.count() > 1:
            self.ranks.removeItem(1)
        for n in sizes:
            self.ranks.addItem(f"{n} rank{'s' if n != 1 else ''}", n)
        index = self.ranks.findData(current)
        self.ranks.setCurrentIndex(max(index, 0))
        self.ranks.blockSignals(False)

    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.runs[r].run_id for r in rows]

    def name_of(self, run_id: str) -> str:
        return next((r.name for r in self.model.runs if r.run_id == run_id), run_id)

    def rename(self, run_id: str, name: str) -> None:
        self.store.rename(run_id, name)
        self.refresh()

    def delete(self, run_ids: list[str]) -> None:
        from profiler.history.store import RunInProgress

        refused = []
        for run_id in run_ids:
            try:
                self.store.delete(run_id)
            except RunInProgress as exc:
                refused.append(str(exc))
        self.refresh()
        if refused:
            QMessageBox.information(self, "Run still running", "\n".join(refused))

    def rerun(self, run_id: str) -> None:
        run = self.run(run_id)
        if run is not None:
            spec = dict(run["spec"])
            spec["origin"] = "re-run"
            self.sig_rerun_requested.emit(spec)

    def export(self, run_id: str, fmt_name: str, path: str) -> None:
        run = self.run(run_id)
        if run is None:
            return
        if fmt_name == "trace":
            trace_actions.save_trace(self.store, run, path)
        else:
            export_run(run, fmt_name, path)
        self.sig_export_finished.emit(path)

    def open_trace(self, run_id: str) -> trace_actions.TraceOpened | None:
        """Write the run's trace as plain JSON and say where it opens; None (and why) if not."""
        run = self.run(run_id)
        if run is None:
            return None
        try:
            self.trace_dialog = trace_actions.open_trace(self.store, run, self)
        except trace_actions.NoTrace as exc:
            self.tell("No trace", str(exc))
            return None
        except OSError as exc:
            self.tell("Could not write the trace", str(exc))
            return None
        return self.trace_dialog

    def export_tidy(self, run_ids: list[str], path: str) -> None:
        from profiler.outputs import write_text
        from profiler.reports.tidy_csv import runs_csv

        runs = [r for r in (self.run(i) for i in run_ids) if r is not None]
        write_text(path, runs_csv(runs))
        self.sig_export_finished.emit(path)

    # ---- dialogs (replaceable in tests) ------------------------------------------------
    def _ask_text(self, title: str, label: str, current: str) -> tuple[str, bool]:
        return QInputDialog.getText(self, title, label, QLineEdit.EchoMode.Normal, current)

    def _ask_yes(self, title: str, text: str) -> bool:
        return QMessageBox.question(self, title, text) == QMessageBox.StandardButton.Yes

    def _ask_path(self, title: str, suggested: str) -> str:
        return QFileDialog.getSaveFileName(self, title, suggested)[0]

    def _tell(self, title: str, text: str) -> None:
        QMessageBox.information(self, title, text)

    # ---- slots -----------------------------------------------------------------------
    def _on_filter_text_changed(self, _text: str) -> None:
        self.refresh()

    def _on_table_selection_changed(self, *_: Any) -> None:
        ids = self.selected_ids()
        self.details.show_run(self.run(ids[0]) if len(ids) == 1 else None)
        traced = len(ids) == 1 and trace_actions.has_trace(self.store, ids[0])
        for name, tip in (("Open trace", OPEN_TRACE_TIP), ("Save trace…", SAVE_TRACE_TIP)):
            self.buttons[name].setEnabled(traced)
            self.buttons[name].setToolTip(tip if traced else NO_TRACE_TIP)
        self.sig_selection_changed.emit(ids)

    def _on_rename_clicked(self) -> None:
        ids = self.selected_ids()
        if len(ids) != 1:
            return
        name, ok = self.ask_text("Rename run", "New name:", self.name_of(ids[0]))
        if ok and name.strip():
            self.rename(ids[0], name.strip())

    def delete_question(self, ids: list[str]) -> str:
        names = [f"“{self.name_of(i)}”" for i in ids]
        if len(names) == 1:
            return f"Delete the run {names[0]} ({ids[0]}) and its series from history?"
        shown = "\n".join(names[:6]) + (f"\n… and {len(names) - 6} more" if len(names) > 6 else "")
        return f"Delete these {len(names)} runs and their series from history?\n{shown}"

    def _on_delete_clicked(self) -> None:
        ids = self.selected_ids()
        if ids and self.ask_yes("Delete runs", self.delete_question(ids)):
            self.delete(ids)

    def _on_rerun_clicked(self) -> None:
        for run_id in self.selected_ids()[:1]:
            self.rerun(run_id)

    def _on_open_trace_clicked(self) -> None:
        for run_id in self.selected_ids()[:1]:
            self.open_trace(run_id)

    def _on_delete_damaged(self, run_ids: list[str]) -> None:
        names = ", ".join(run_ids[:6]) + (f" and {len(run_ids) - 6} more" if len(run_ids) > 6 else "")
        if run_ids and self.ask_yes("Delete damaged runs",
                                    f"Delete the damaged run(s) {names} and their series from history?"):
            self.delete(run_ids)

    def _export_action(self, fmt: str) -> Callable[[], None]:
        """The menu action's slot for ``fmt`` (takes no argument: Qt passes none to it)."""
        return lambda: self._on_export_clicked(fmt)

    def _on_export_clicked(self, fmt_name: str) -> None:
        ids = self.selected_ids()
        if not ids or (fmt_name != "tidy" and len(ids) != 1):
            QMessageBox.information(self, "Export", "Select one run to export it (a summary CSV takes "
                                    "one or more).")
            return
        ext = {"tidy": "csv", "trace": "trace.json"}.get(fmt_name, fmt_name)
        stem = "horsepower-runs" if fmt_name == "tidy" else ids[0]
        path = self.ask_path("Export", f"{stem}.{ext}")
        if not path:
            return
        try:
            if fmt_name == "tidy":
                self.export_tidy(ids, path)
            else:
                self.export(ids[0], fmt_name, path)
        except trace_actions.NoTrace as exc:
            self.tell("No trace", str(exc))
        except OSError as exc:
            QMessageBox.warning(self, "Export failed", str(exc))
