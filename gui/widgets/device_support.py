""""Why not my accelerator?": every kind of device torch can train on, here or not, and why. GUI thread.

Shows the engine's ``kind_support`` rows (``profiler.devices.support``: present, devices,
reason, needs) and each usable device's capabilities (``profiler.devices.capabilities``),
both read off the GUI thread by the catalogue loader: this dialog only displays them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

INTRO = ("Horsepower trains on every kind of device the installed torch can drive. A kind that is not "
         "here says why, and what it would need; FPGAs are listed for completeness: PyTorch has no "
         "training path for them.")
PRESENT_COLOUR = "#16A34A"
NO_SUPPORT = "The device kinds are still being checked (or could not be): see `horsepower devices`."


def kind_key(device: Any) -> str:
    """The support row of a discovered device: AMD GPUs are ``rocm`` though torch calls them cuda."""
    kind = str(getattr(device, "kind", ""))
    return "rocm" if kind == "cuda" and getattr(device, "vendor", "") == "AMD" else kind


def support_for(device: Any, support: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    key = kind_key(device)
    return next((row for row in support if row.get("key") == key), None)


def capability_lines(capabilities: Sequence[Mapping[str, Any]]) -> list[str]:
    """``power: n/a (no energy counter)``: one line per capability, as ``horsepower devices``."""
    lines = []
    for cap in capabilities:
        name, detail = str(cap.get("name")), str(cap.get("detail") or "")
        lines.append(f"{name}: {detail}" if cap.get("supported") else f"{name}: n/a ({detail})")
    return lines


def state_words(row: Mapping[str, Any]) -> str:
    if row.get("present"):
        return "here"
    return "not a training target" if not row.get("trainable", True) else "not here"


class DeviceSupportDialog(QDialog):
    """A table of device kinds and, below it, what each usable device can report."""

    def __init__(self, support: Sequence[Mapping[str, Any]],
                 capabilities: Mapping[str, Sequence[Mapping[str, Any]]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Why not my accelerator?")
        self.resize(980, 560)
        intro = QLabel(INTRO, wordWrap=True)
        self.table = QTableWidget(len(support), 4)
        self.table.setHorizontalHeaderLabels(["Kind", "Here?", "Devices", "Why not, and what it needs"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        for r, row in enumerate(support):
            why = "" if row.get("present") else (
                str(row.get("needs") or "") if not row.get("trainable", True)
                else f"{row.get('reason') or 'not found'}. Needs: {row.get('needs') or '?'}")
            cells = (str(row.get("title") or row.get("key")), state_words(row),
                     ", ".join(row.get("devices") or []) or "—", why)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if c == 1 and row.get("present"):
                    item.setForeground(QBrush(QColor(PRESENT_COLOUR)))
                self.table.setItem(r, c, item)
        header = self.table.horizontalHeader()
        for c in range(3):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.resizeRowsToContents()
        caps = [f"{device}: " + "; ".join(capability_lines(rows)) for device, rows in capabilities.items()]
        self.capabilities = QLabel("What each usable device reports: " + ("\n".join(caps) if caps else "n/a"),
                                   wordWrap=True, objectName="mutedLabel")
        self.capabilities.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table if support else QLabel(NO_SUPPORT, wordWrap=True), 1)
        layout.addWidget(self.capabilities)
        layout.addWidget(buttons)
