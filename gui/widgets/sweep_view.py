"""Sweep a knob across devices: inputs, curves (log knob axis) and the break-even. GUI thread."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.form_parts import narrow_fields
from profiler.analysis.sweep import SweepResult
from profiler.reports.svg import PALETTE


class SweepView(QWidget):
    """Collects a sweep request and shows a ``SweepResult`` (the app runs the sweep)."""

    sig_sweep_requested = Signal(dict)
    """Run this sweep: {workload, knob, values: list[int], devices: list[str], duration_s}.
    GUI thread."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workload = QLineEdit("mlp")
        self.knob = QLineEdit("width")
        self.values = QLineEdit("64,256,1024,4096")
        self.devices = QLineEdit("cpu")
        self.duration = QDoubleSpinBox(minimum=0.5, maximum=600.0, value=3.0, suffix=" s")
        self.run_button = QPushButton("Run sweep", objectName="primaryButton")
        self.error_label = QLabel()
        self.breakeven_label = QLabel(objectName="breakevenLabel")
        self.breakeven_label.setWordWrap(True)
        self.plot = pg.PlotWidget(title="samples/s")
        self.plot.setLogMode(x=True, y=False)
        self.plot.addLegend()
        self.plot.setLabel("left", "samples/s")
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        form = QFormLayout()
        form.addRow("Workload", self.workload)
        form.addRow("Knob", self.knob)
        form.addRow("Values (comma-separated)", self.values)
        form.addRow("Devices (comma-separated)", self.devices)
        form.addRow("Seconds per point", self.duration)
        narrow_fields(form)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.run_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.error_label)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.breakeven_label)
        self.run_button.clicked.connect(self._on_run_button_clicked)

    def request(self) -> dict[str, object]:
        """The sweep the inputs describe; raises ValueError naming what is wrong."""
        try:
            values = [int(v) for v in self.values.text().split(",") if v.strip()]
        except ValueError:
            values = []
        if not values or any(v <= 0 for v in values):
            raise ValueError("values must be comma-separated positive integers")
        devices = [d.strip() for d in self.devices.text().split(",") if d.strip()]
        if not devices:
            raise ValueError("name at least one device, e.g. cpu, cuda:0")
        return {"workload": self.workload.text().strip(), "knob": self.knob.text().strip(),
                "values": values, "devices": devices, "duration_s": self.duration.value()}

    def show_result(self, result: SweepResult) -> None:
        """Plot each device's curve and state where (or whether) accelerators break even."""
        self.plot.clear()
        for i, device in enumerate(result.devices):
            points = [(v, s) for v, s in result.curve(device).items() if s is not None]
            self.plot.plot([p[0] for p in points], [p[1] for p in points], name=device,
                           pen=pg.mkPen(PALETTE[i % len(PALETTE)]), symbol="o",
                           symbolBrush=PALETTE[i % len(PALETTE)])
        for crossing in result.crossovers.values():
            if crossing.knob_value is not None:
                self.plot.addItem(pg.InfiniteLine(math.log10(crossing.knob_value), angle=90,
                                                  pen=pg.mkPen("#555", style=pg.QtCore.Qt.DashLine)))
        texts = [c.message for c in result.crossovers.values()]
        self.breakeven_label.setText("\n".join(texts) or
                                     f"only {result.baseline} was swept: no break-even to find")

    def _on_run_button_clicked(self) -> None:
        try:
            request = self.request()
        except ValueError as exc:
            self.error_label.setText(str(exc))
            return
        self.error_label.setText("")
        self.sig_sweep_requested.emit(request)
