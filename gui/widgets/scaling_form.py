"""The Scaling form: workload, size, device kind, world sizes, strong/weak, DDP/FSDP. GUI thread.

It offers what ``horsepower scale`` takes (``profiler.distributed.config``): the catalogue's
workloads, the size presets, the device kinds a rank can train on that this machine has, and
the world sizes as typed ("1,2"); the window checks the request with the CLI's own checks
before anything starts. A stored sweep from history can be opened from the picker below it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from profiler.distributed.config import DEVICE_KINDS, MODES, STRATEGIES
from profiler.results.spec import SIZES

DEFAULT_NPROC = "1,2"
DEFAULT_DURATION_S = 5.0  # ``horsepower scale``'s default window per world size
NO_STORED = "No stored scale sweeps yet"


class ScalingForm(QWidget):
    """Collects a scale request; ``request()`` is the dict ``gui.runs.scale_runner.scale_config`` checks."""

    sig_run_requested = Signal(dict)
    """Run this scale sweep (``request()``). GUI thread."""
    sig_open_stored = Signal(int)
    """Open the stored sweep at this index of ``set_stored``'s labels. GUI thread."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workload = QComboBox()
        self.workload.setToolTip("The sample model every rank trains (the same seed on every rank)")
        self.size_preset = QComboBox()
        self.size_preset.addItems(list(SIZES))
        self.device = QComboBox()
        self.device.setToolTip("Rank r trains on <kind>:r; on the CPU every rank is a process with one thread")
        self.nproc = QLineEdit(DEFAULT_NPROC)
        self.nproc.setToolTip("World sizes to run, comma-separated, e.g. 1,2 or 1,2,4,8; each runs in turn")
        self.mode = QComboBox()
        self.mode.addItems(list(MODES))
        self.mode.setToolTip("strong: keep the global batch (it must divide by every world size); "
                             "weak: keep the batch per rank")
        self.strategy = QComboBox()
        self.strategy.addItems(list(STRATEGIES))
        self.strategy.setToolTip("Data parallelism: DDP replicates the model, FSDP shards it")
        self.batch = QSpinBox(minimum=0, maximum=1 << 20, value=0, specialValueText="preset")
        self.batch.setToolTip("strong: the global batch; weak: the batch per rank; 'preset' takes the size preset's")
        self.duration = QDoubleSpinBox(minimum=0.5, maximum=600.0, value=DEFAULT_DURATION_S, suffix=" s", decimals=1)
        self.duration.setToolTip("Timed seconds at each world size, after every rank's warm-up")
        self.run_button = QPushButton("Run scaling", objectName="primaryButton")
        self.error_label = QLabel(objectName="errorLabel", wordWrap=True)
        self.stored = QComboBox()
        # sized by a length, not by its longest entry: a long sweep label must not widen the window
        self.stored.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.stored.setMinimumContentsLength(40)
        self.stored.setToolTip("Scale sweeps stored in history (from this tab or `horsepower scale`)")
        self.open_button = QPushButton("Open", objectName="pageAction")
        self.set_stored([])
        self._layout()
        self.run_button.clicked.connect(lambda: self.sig_run_requested.emit(self.request()))
        self.open_button.clicked.connect(lambda: self.sig_open_stored.emit(self.stored.currentIndex()))

    def _layout(self) -> None:
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        for col, (label, widget) in enumerate((("Workload", self.workload), ("Size", self.size_preset),
                                               ("Device", self.device), ("World sizes", self.nproc),
                                               ("Scaling", self.mode), ("Parallelism", self.strategy),
                                               ("Batch", self.batch), ("Seconds per size", self.duration))):
            grid.addWidget(QLabel(label, objectName="mutedLabel"), 0, col)
            grid.addWidget(widget, 1, col)
        grid.addWidget(self.run_button, 1, 8)
        grid.setColumnStretch(9, 1)
        stored = QHBoxLayout()
        stored.addWidget(QLabel("Stored sweeps:"))
        stored.addWidget(self.stored, 1)
        stored.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(grid)
        layout.addWidget(self.error_label)
        layout.addLayout(stored)

    def set_catalog(self, workloads: Sequence[str], devices: Sequence[Any]) -> None:
        """Workload names and the catalogue's devices (the usable kinds ranks can train on)."""
        current = self.workload.currentText()
        self.workload.clear()
        self.workload.addItems([w for w in workloads if w != "user"])
        if current:
            self.workload.setCurrentText(current)
        kinds = []
        for device in devices:
            kind = str(getattr(device, "kind", "") or "")
            if getattr(device, "available", False) and kind in DEVICE_KINDS and kind not in kinds:
                kinds.append(kind)
        self.device.clear()
        self.device.addItems(kinds or ["cpu"])

    def set_stored(self, labels: Sequence[str]) -> None:
        self.stored.clear()
        if labels:
            self.stored.addItems(list(labels))
        else:
            self.stored.addItem(NO_STORED)
        self.stored.setEnabled(bool(labels))
        self.open_button.setEnabled(bool(labels))

    def request(self) -> dict[str, Any]:
        return {"workload": self.workload.currentText(), "size": self.size_preset.currentText(),
                "device": self.device.currentText(), "nproc": self.nproc.text(),
                "mode": self.mode.currentText(), "strategy": self.strategy.currentText(),
                "batch_size": self.batch.value() or None, "duration_s": self.duration.value()}

    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.run_button.setText("Scaling running…" if running else "Run scaling")

    def settings(self) -> dict[str, Any]:
        return {k: v for k, v in self.request().items() if k != "device"}

    def apply_settings(self, values: Mapping[str, Any]) -> None:
        """The form as it was left last time (values it cannot show are skipped)."""
        for key, box in (("workload", self.workload), ("size", self.size_preset), ("mode", self.mode),
                         ("strategy", self.strategy)):
            if isinstance(values.get(key), str) and box.findText(values[key]) >= 0:
                box.setCurrentText(values[key])
        if isinstance(values.get("nproc"), str):
            self.nproc.setText(values["nproc"])
        if isinstance(values.get("batch_size"), int):
            self.batch.setValue(values["batch_size"])
        if isinstance(values.get("duration_s"), (int, float)):
            self.duration.setValue(float(values["duration_s"]))
