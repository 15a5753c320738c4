"""Device list with checkboxes; unusable devices are greyed out with the reason as a tooltip.

With the engine's device support (``set_support``), a usable device's tooltip lists what it
can report (sync, memory, power, ...) and a greyed one says what its kind needs; the
sidebar's picker also offers "Why not my accelerator?" (every kind torch can train on).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.device_support import DeviceSupportDialog, capability_lines, support_for
from gui.widgets.theme import colour_icon, device_colour
from profiler import units

ID_ROLE = Qt.ItemDataRole.UserRole


def short_name(name: str) -> str:
    """A device name without trademark marks and clock suffixes: "Intel Xeon Processor"."""
    for mark in ("(R)", "(TM)", "(tm)", "(r)"):
        name = name.replace(mark, "")
    return " ".join(name.split(" CPU @")[0].split())


def describe(device: Any) -> str:
    """One-line tooltip: name, memory, compute units."""
    parts = [f"{device.name} ({device.id})"]
    if getattr(device, "memory_bytes", None):
        parts.append(f"{units.nbytes(device.memory_bytes)} memory")
    if getattr(device, "compute_units", None):
        parts.append(f"{device.compute_units} {device.compute_unit_name}".strip())
    return ", ".join(parts)


class DevicePicker(QWidget):
    """Checkable device list. ``set_devices`` fills it; until then it shows a busy state."""

    sig_selection_changed = Signal(list)
    """(list of device ids) when the user ticks or unticks a device. GUI thread."""

    def __init__(self, parent: QWidget | None = None, explain: bool = False) -> None:
        super().__init__(parent)
        self.support: list[Mapping[str, Any]] = []
        self.capabilities: dict[str, list[Mapping[str, Any]]] = {}
        self.why_button = QPushButton("Why not my accelerator?", self, objectName="linkButton", flat=True)
        self.why_button.setToolTip("Every kind of device torch can train on: here or not, why, and what it needs")
        self.why_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.why_button.clicked.connect(self.explain)
        self.why_button.setVisible(explain)
        self._list = QListWidget(self)
        self._list.setObjectName("devicePicker")
        self._list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self._list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._list.setMaximumHeight(150)
        self._list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self._list.setWordWrap(False)
        self._busy = QProgressBar(self)
        self._busy.setRange(0, 0)
        self._busy.setTextVisible(False)
        self._busy.setMaximumHeight(6)
        self._status = QLabel("Finding devices (importing torch)…", self)
        self._status.setObjectName("mutedLabel")
        self._status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._status)
        layout.addWidget(self._busy)
        layout.addWidget(self._list)
        layout.addWidget(self.why_button, 0, Qt.AlignmentFlag.AlignLeft)
        self._list.itemChanged.connect(self._on_item_changed)
        self.devices: list[Any] = []

    def set_devices(self, devices: Sequence[Any]) -> None:
        """Fill the list; the first usable device is ticked."""
        self.devices = list(devices)
        self._list.blockSignals(True)
        self._list.clear()
        first = True
        for dev in self.devices:
            item = QListWidgetItem(f"{short_name(dev.name)}  ·  {dev.id}" if dev.kind != "cpu"
                                   else f"CPU  ·  {short_name(dev.name)}")
            item.setData(ID_ROLE, dev.id)
            item.setIcon(colour_icon(device_colour(dev.id)))
            if dev.available:
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if first else Qt.CheckState.Unchecked)
                item.setToolTip(describe(dev))
                first = False
            else:
                item.setFlags(Qt.ItemFlag.NoItemFlags)
            self._list.addItem(item)
        self._fill_tooltips()
        self._list.blockSignals(False)
        rows = max(1, self._list.count())
        self._list.setFixedHeight(min(240, self._list.sizeHintForRow(0) * rows + 8))
        self._busy.hide()
        usable = sum(1 for d in self.devices if d.available)
        self._status.setText(f"{usable} usable device{'s' if usable != 1 else ''}; tick to compare")
        self.sig_selection_changed.emit(self.selected_ids())

    def set_support(self, support: Sequence[Mapping[str, Any]],
                    capabilities: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        """The engine's per-kind support rows and per-device capabilities (read off the GUI
        thread by the catalogue loader)."""
        self.support = [dict(row) for row in support]
        self.capabilities = {k: [dict(c) for c in v] for k, v in capabilities.items()}
        self._fill_tooltips()

    def _fill_tooltips(self) -> None:
        for dev in self.devices:
            item = self.item_for(dev.id)
            if item is None:
                continue
            if dev.available:
                lines = capability_lines(self.capabilities.get(dev.id, []))
                item.setToolTip(describe(dev) + ("\n" + "\n".join(lines) if lines else ""))
                continue
            row = support_for(dev, self.support)
            needs = f"\nNeeds: {row.get('needs')}" if row and row.get("needs") else ""
            item.setToolTip(f"Not usable: {dev.reason}{needs}")

    def explain_dialog(self) -> DeviceSupportDialog:
        return DeviceSupportDialog(self.support, self.capabilities, self.window())

    def explain(self) -> None:
        """Open "Why not my accelerator?" (non-blocking)."""
        self.explain_dialog().open()

    def set_failed(self, message: str) -> None:
        self._busy.hide()
        self._status.setText(f"Device discovery failed: {message}")

    def selected_ids(self) -> list[str]:
        return [
            self._list.item(i).data(ID_ROLE)
            for i in range(self._list.count())
            if self._list.item(i).checkState() == Qt.CheckState.Checked
        ]

    def select(self, device_ids: Sequence[str]) -> None:
        """Tick exactly the usable devices among ``device_ids`` (restoring a saved choice);
        when none of them is usable the current ticks stay."""
        usable = [i for i in range(self._list.count())
                  if self._list.item(i).flags() & Qt.ItemFlag.ItemIsUserCheckable]
        wanted = set(device_ids)
        if not any(self._list.item(i).data(ID_ROLE) in wanted for i in usable):
            return
        self._list.blockSignals(True)
        for i in usable:
            item = self._list.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.data(ID_ROLE) in wanted else Qt.CheckState.Unchecked)
        self._list.blockSignals(False)
        self.sig_selection_changed.emit(self.selected_ids())

    def item_for(self, device_id: str) -> QListWidgetItem | None:
        for i in range(self._list.count()):
            if self._list.item(i).data(ID_ROLE) == device_id:
                return self._list.item(i)
        return None

    def _on_item_changed(self, _item: QListWidgetItem) -> None:
        self.sig_selection_changed.emit(self.selected_ids())
