"""Device list with checkboxes; unusable devices are greyed out with the reason as a tooltip."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QProgressBar, QVBoxLayout, QWidget

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

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
                item.setToolTip(f"Not usable: {dev.reason}")
            self._list.addItem(item)
        self._list.blockSignals(False)
        rows = max(1, self._list.count())
        self._list.setFixedHeight(min(240, self._list.sizeHintForRow(0) * rows + 8))
        self._busy.hide()
        usable = sum(1 for d in self.devices if d.available)
        self._status.setText(f"{usable} usable device{'s' if usable != 1 else ''}; tick to compare")
        self.sig_selection_changed.emit(self.selected_ids())

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
