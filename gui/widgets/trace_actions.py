"""Open and save the torch.profiler trace history keeps with a run. GUI thread.

The window cannot show a Chrome/Perfetto trace itself, so "Open trace" writes a plain JSON
copy of the run's kept trace (``profiler.reports.export.export_trace``) into the user cache
dir and says where it opens (https://ui.perfetto.dev or chrome://tracing), with a button that
shows the file's folder. "Save trace" writes it where the user asks (``.gz`` keeps it
compressed). A run without a trace raises ``NoTrace``, whose message is shown as it is.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from profiler.history import HistoryStore
from profiler.paths import cache_dir, ensure_dir
from profiler.reports.export import NoTrace, export_trace

log = logging.getLogger(__name__)

PERFETTO_URL = "https://ui.perfetto.dev"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
HOW_TO_OPEN = (
    "Open it in {url} (Open trace file, or drag the file onto the page) or in chrome://tracing "
    "(Load) in Chrome or Chromium: the window cannot show a trace itself. Everything stays on this "
    "machine: Perfetto reads the file in the browser."
)


def has_trace(store: HistoryStore, run_id: str) -> bool:
    """True when history keeps a trace of the run."""
    return store.trace_file(run_id) is not None


def opened_copy(run_id: str) -> Path:
    """Where "Open trace" writes the plain JSON copy of a run's trace (user cache dir)."""
    folder = ensure_dir(cache_dir() / "traces" / "opened", "HORSEPOWER_CACHE_DIR")
    return folder / f"{_UNSAFE.sub('_', run_id)}.trace.json"


def save_trace(store: HistoryStore, run: dict[str, Any], path: str | Path) -> Path:
    """Write run ``run``'s kept trace to ``path`` (NoTrace, OSError on failure)."""
    return export_trace(run, store, path)


def reveal(path: Path) -> bool:
    """Show the folder holding ``path`` in the desktop's file manager."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))


class TraceOpened(QDialog):
    """Non-modal: where the copy is, where it opens, and buttons to show the folder or open Perfetto."""

    def __init__(self, path: Path, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Trace of {title}")
        self.setModal(False)
        self.path = path
        where = QLabel(f"Saved as plain trace JSON:\n{path}", self, wordWrap=True)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        how = QLabel(HOW_TO_OPEN.format(url=PERFETTO_URL), self, wordWrap=True)
        buttons = QDialogButtonBox(self)
        self.reveal_button = QPushButton("Show in folder", self)
        self.perfetto_button = QPushButton("Open Perfetto", self)
        buttons.addButton(self.reveal_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.perfetto_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        self.reveal_button.clicked.connect(lambda: reveal(self.path))
        self.perfetto_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl(PERFETTO_URL)))
        layout = QVBoxLayout(self)
        layout.addWidget(where)
        layout.addWidget(how)
        layout.addWidget(buttons)
        self.resize(560, 200)

    def text(self) -> str:
        return f"{self.path}\n{HOW_TO_OPEN.format(url=PERFETTO_URL)}"


def open_trace(store: HistoryStore, run: dict[str, Any], parent: QWidget | None = None) -> TraceOpened:
    """Write the plain JSON copy and show where it opens; NoTrace or OSError when it cannot."""
    path = export_trace(run, store, opened_copy(str(run["run_id"])))
    log.info("trace of run %s written to %s", run["run_id"], path)
    dialog = TraceOpened(path, str(run.get("name") or run["run_id"]), parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


__all__ = ["NoTrace", "TraceOpened", "has_trace", "open_trace", "opened_copy", "reveal", "save_trace"]
