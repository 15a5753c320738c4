"""Saving what the window shows: PNG grabs, the comparison as HTML or CSV. GUI thread.

Every file dialog goes through ``ask_save_path`` so tests can replace it (a modal dialog
would block them). PNGs are ``QWidget.grab()`` images: pyqtgraph's SVG export is broken on
current Qt.
"""

from __future__ import annotations

import csv
import io
import logging
import os
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

log = logging.getLogger(__name__)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ("run_id", "name", "device", "workload", "status", "samples_per_s",
               "achieved_flops_per_s", "mfu", "samples_per_j", "samples_per_dollar", "speedup")


def ask_save_path(parent: QWidget | None, title: str, suggested: str, file_filter: str) -> str:
    """Ask where to save; '' when cancelled. Tests monkeypatch this."""
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, file_filter)
    return path


def default_dir() -> str:
    """Where save dialogs start: the user's Pictures or home directory."""
    home = Path.home()
    pictures = home / "Pictures"
    return str(pictures if pictures.is_dir() else home)


def save_png(widget: QWidget, path: str | os.PathLike[str]) -> Path:
    """Grab ``widget`` as shown (at device pixel ratio) into a PNG file."""
    target = Path(path)
    if not widget.grab().save(str(target), "PNG"):
        raise OSError(f"could not write PNG to {target}")
    return target


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` through a temporary file, so a failed save leaves no half file."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value  # a spreadsheet must not run a run name as a formula
    return "" if value is None else value


def comparison_csv(comparison: object) -> str:
    """One row per compared run with raw numbers (blank where n/a); a ``Comparison``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, "baseline"])
    base = getattr(comparison, "baseline_id", "")
    for row in getattr(comparison, "rows", ()):
        writer.writerow([_cell(getattr(row, c)) for c in CSV_COLUMNS] + [row.run_id == base])
    return out.getvalue()
