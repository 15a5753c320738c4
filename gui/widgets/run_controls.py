"""Workload picker, run settings, and Start/Stop. Builds the RunSpecs the user asked for."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from profiler.results.spec import PRECISIONS, SIZES, RunSpec

if TYPE_CHECKING:
    from gui.runs.catalog_loader import WorkloadInfo

PRECISION_HELP = {
    "fp32": "32-bit floats everywhere: the reference.",
    "tf32": "fp32 storage, TensorFloat-32 matmuls on NVIDIA Ampere+ (same as fp32 elsewhere).",
    "bf16": "bfloat16 autocast: fp32 range, fewer mantissa bits; fast on recent CPUs and GPUs.",
    "fp16": "float16 autocast with loss scaling: fastest on tensor-core GPUs.",
}


class RunControls(QWidget):
    """Settings form plus Start and Stop buttons."""

    sig_start_requested = Signal()
    """The user pressed Start (button or shortcut). GUI thread."""

    sig_stop_requested = Signal()
    """The user pressed Stop. GUI thread."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workloads: dict[str, WorkloadInfo] = {}
        self.workload = QComboBox(self)
        self.workload.addItem("loading workloads…")
        self.workload.setEnabled(False)
        self.size = QComboBox(self)
        self.size.addItems(list(SIZES))
        self.size.setToolTip("Model size preset: S fits anywhere, L stresses big accelerators.")
        self.batch = QSpinBox(self, minimum=0, maximum=65536, singleStep=32)
        self.batch.setSpecialValueText("preset default")
        self.batch.setToolTip("Samples per step; 'preset default' uses the workload's batch for the size.")
        self.precision = QComboBox(self)
        for p in PRECISIONS:
            self.precision.addItem(p)
            self.precision.setItemData(self.precision.count() - 1, PRECISION_HELP.get(p, ""), 3)
        self.precision.setToolTip("Number format for training; hover an entry for what it means.")
        self.duration = QDoubleSpinBox(self, minimum=1.0, maximum=3600.0, value=10.0, suffix=" s")
        self.duration.setDecimals(0)
        self.duration.setToolTip("Length of the timed window after warm-up.")
        self.threads = QSpinBox(self, minimum=0, maximum=max(1, os.cpu_count() or 1))
        self.threads.setSpecialValueText(f"all cores ({os.cpu_count()})")
        self.threads.setToolTip("CPU threads torch may use; 'all cores' matches a headless run.")
        self.mode = QComboBox(self)
        self.mode.addItem("One after another (fair)")
        self.mode.addItem("Race together (demo)")
        self.mode.setToolTip(
            "Fair: devices run one at a time so none steals the other's CPU. "
            "Race: all at once, for a show; numbers then include the contention."
        )
        self.start_button = QPushButton("Start", self, objectName="startButton")
        self.start_button.setToolTip("Start the selected devices (F5 or Ctrl+Return).")
        self.stop_button = QPushButton("Stop", self, objectName="stopButton", enabled=False)
        self.stop_button.setToolTip("Stop every run; what was measured is kept (Shift+F5 or Ctrl+.).")
        self.description = QLabel("", self, objectName="mutedLabel", wordWrap=True)
        self._layout()
        self.workload.currentIndexChanged.connect(self._on_workload_changed)
        self.size.currentIndexChanged.connect(self._on_workload_changed)
        self.start_button.clicked.connect(self.sig_start_requested)
        self.stop_button.clicked.connect(self.sig_stop_requested)
        self.start_button.setEnabled(False)

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Workload", self.workload)
        form.addRow("", self.description)
        form.addRow("Size", self.size)
        form.addRow("Batch", self.batch)
        form.addRow("Precision", self.precision)
        form.addRow("Duration", self.duration)
        form.addRow("Threads", self.threads)
        form.addRow("Devices", self.mode)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(form)
        outer.addLayout(buttons)

    def set_workloads(self, workloads: Mapping[str, WorkloadInfo]) -> None:
        self.workloads = dict(workloads)
        self.workload.blockSignals(True)
        self.workload.clear()
        for name, info in self.workloads.items():
            self.workload.addItem(info.title, name)
            self.workload.setItemData(self.workload.count() - 1, info.description, 3)
        self.workload.blockSignals(False)
        self.workload.setEnabled(bool(self.workloads))
        self._on_workload_changed()
        self.set_running(False)

    @property
    def race(self) -> bool:
        return self.mode.currentIndex() == 1

    def workload_name(self) -> str | None:
        return self.workload.currentData()

    def specs_for(self, device_ids: Sequence[str]) -> list[RunSpec]:
        """One RunSpec per device with the current settings (same settings as headless)."""
        name = self.workload_name()
        if not name:
            return []
        return [
            RunSpec(
                workload=name, device=dev, size=self.size.currentText(),
                batch_size=self.batch.value() or None, precision=self.precision.currentText(),
                duration_s=float(self.duration.value()), threads=self.threads.value() or None,
            )
            for dev in device_ids
        ]

    def set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running and bool(self.workloads))
        self.stop_button.setEnabled(running)
        for w in (self.workload, self.size, self.batch, self.precision, self.duration,
                  self.threads, self.mode):
            w.setEnabled(not running and (w is not self.workload or bool(self.workloads)))

    def _on_workload_changed(self) -> None:
        info = self.workloads.get(self.workload_name() or "")
        if info is None:
            return
        self.description.setText(info.description)
        default = info.default_batch.get(self.size.currentText())
        self.batch.setSpecialValueText(f"preset default ({default})" if default else "preset default")
        knobs = info.presets.get(self.size.currentText(), {})
        self.size.setToolTip(
            "Model size preset: " + ", ".join(f"{k}={v}" for k, v in knobs.items())
            if knobs else "Model size preset."
        )
