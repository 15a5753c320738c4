"""Sweep a knob across devices: the same pickers as the sidebar, curves and the break-even. GUI thread.

The form offers what the engine offers: the catalogue's workloads, that workload's knobs
(``profiler.analysis.sweep.sweep_knobs``: batch size and the size presets' knobs) and the
usable devices as checkboxes. The point in progress streams its throughput into a small
plot beside the curves; a device with a single point gets an axis around that point.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.device_picker import DevicePicker
from gui.widgets.form_parts import narrow_fields
from gui.widgets.plot_kit import PageChart
from gui.widgets.theme import device_colour
from profiler import units
from profiler.analysis.sweep import SweepResult

BATCH_KNOB = "batch_size"


def suggested_values(preset: int) -> str:
    """Five values around a preset's value, a factor 2 apart: 256 -> "64,128,256,512,1024"."""
    values = sorted({max(1, preset // 4), max(1, preset // 2), preset, preset * 2, preset * 4})
    return ",".join(str(v) for v in values)


class SweepView(QWidget):
    """Collects a sweep request and shows a ``SweepResult`` (the window runs the sweep)."""

    sig_sweep_requested = Signal(dict)
    """Run this sweep: {workload, knob, values: list[int], devices: list[str], duration_s}.
    GUI thread."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workloads: dict[str, Any] = {}
        self.knob_lists: dict[str, list[str]] = {}
        self.workload = QComboBox()
        self.workload.setToolTip("The sample model to sweep; the sidebar's size, precision and "
                                 "threads apply to every point.")
        self.knob = QComboBox()
        self.knob.setToolTip("What changes from point to point: the batch size or one of the "
                             "workload's size knobs.")
        self.values = QLineEdit("64,256,1024,4096")
        self.values.setToolTip("Comma-separated positive integers; each runs on every ticked device.")
        self.devices = DevicePicker()
        self.duration = QDoubleSpinBox(minimum=0.5, maximum=600.0, value=3.0, suffix=" s", decimals=1)
        self.duration.setToolTip("Timed seconds of each point, after its warm-up.")
        self.run_button = QPushButton("Run sweep", objectName="primaryButton")
        self.error_label = QLabel(objectName="errorLabel", wordWrap=True)
        self.breakeven_label = QLabel(objectName="breakevenLabel")
        self.breakeven_label.setWordWrap(True)
        self.plot = PageChart(title="Samples/s at each value (whole timed window)")
        self.plot.setLogMode(x=True, y=False)
        self.plot.addLegend(offset=(-10, 10))
        self.plot.setLabel("left", "samples/s")
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.point_plot = PageChart(title="Point in progress · samples/s, last 2 s")
        self.point_plot.setLabel("bottom", "s since the point started")
        self.point_plot.getAxis("left").enableAutoSIPrefix(False)
        self.point_plot.setMouseEnabled(x=False, y=False)
        self.point_plot.hideButtons()
        self.point_curve = self.point_plot.plot([], [], pen=pg.mkPen(device_colour("cpu"), width=2))
        self._layout()
        self.run_button.clicked.connect(self._on_run_button_clicked)
        self.workload.currentIndexChanged.connect(self._on_workload_changed)
        self.knob.currentIndexChanged.connect(self._on_knob_changed)

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Workload", self.workload)
        form.addRow("Knob", self.knob)
        form.addRow("Values", self.values)
        form.addRow("Seconds per point", self.duration)
        narrow_fields(form, 300)
        devices = QVBoxLayout()
        devices.addWidget(QLabel("Devices", objectName="sectionLabel"))
        devices.addWidget(self.devices)
        devices.addStretch(1)
        top = QHBoxLayout()
        top.addLayout(form)
        top.addSpacing(24)
        top.addLayout(devices)
        top.addStretch(1)
        charts = QHBoxLayout()
        charts.addWidget(self.plot, 3)
        charts.addWidget(self.point_plot, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.run_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.error_label)
        layout.addLayout(charts, 1)
        layout.addWidget(self.breakeven_label)

    # ---- the catalogue ---------------------------------------------------------------
    def set_catalog(self, workloads: Mapping[str, Any], devices: Sequence[Any],
                    knob_lists: Mapping[str, list[str]]) -> None:
        """Fill the pickers: workloads (``WorkloadInfo``), devices, knobs per workload."""
        self.workloads = dict(workloads)
        self.knob_lists = {k: list(v) for k, v in knob_lists.items()}
        self.workload.blockSignals(True)
        self.workload.clear()
        for name, info in self.workloads.items():
            self.workload.addItem(info.title, name)
        self.workload.blockSignals(False)
        self.devices.set_devices(devices)
        self._on_workload_changed()

    def _on_workload_changed(self, *_: object) -> None:
        name = self.workload.currentData()
        knobs = self.knob_lists.get(name or "", [])
        self.knob.blockSignals(True)
        self.knob.clear()
        for knob in knobs:
            self.knob.addItem(knob.replace("_", " "), knob)
        preferred = next((k for k in ("width", "d_model", "hidden", "channels") if k in knobs),
                         knobs[0] if knobs else None)
        if preferred is not None:
            self.knob.setCurrentIndex(knobs.index(preferred))
        self.knob.blockSignals(False)
        self._on_knob_changed()

    def _on_knob_changed(self, *_: object) -> None:
        info = self.workloads.get(self.workload.currentData() or "")
        knob = self.knob.currentData()
        if info is None or knob is None:
            return
        preset = info.default_batch.get("S") if knob == BATCH_KNOB else info.presets.get("S", {}).get(knob)
        if isinstance(preset, int) and preset > 0:
            self.values.setText(suggested_values(preset))

    def apply_settings(self, values: Mapping[str, Any]) -> None:
        index = self.workload.findData(values.get("workload"))
        if index >= 0:
            self.workload.setCurrentIndex(index)
        index = self.knob.findData(values.get("knob"))
        if index >= 0:
            self.knob.setCurrentIndex(index)
        if isinstance(values.get("values"), str):
            self.values.setText(values["values"])
        if isinstance(values.get("duration_s"), (int, float)) and not isinstance(values.get("duration_s"), bool):
            self.duration.setValue(float(values["duration_s"]))
        if isinstance(values.get("devices"), list):
            self.devices.select([str(d) for d in values["devices"]])

    def settings(self) -> dict[str, Any]:
        return {"workload": self.workload.currentData(), "knob": self.knob.currentData(),
                "values": self.values.text(), "duration_s": self.duration.value(),
                "devices": self.devices.selected_ids()}

    # ---- the request -----------------------------------------------------------------
    def request(self) -> dict[str, object]:
        """The sweep the inputs describe; raises ValueError naming what is wrong."""
        if not self.workload.currentData():
            raise ValueError("the workloads are still loading")
        try:
            values = [int(v) for v in self.values.text().split(",") if v.strip()]
        except ValueError:
            values = []
        if not values or any(v <= 0 for v in values):
            raise ValueError("values must be comma-separated positive integers, e.g. 64,256,1024")
        devices = self.devices.selected_ids()
        if not devices:
            raise ValueError("tick at least one device to sweep on")
        return {"workload": self.workload.currentData(), "knob": self.knob.currentData(),
                "values": values, "devices": devices, "duration_s": self.duration.value()}

    def _on_run_button_clicked(self) -> None:
        try:
            request = self.request()
        except ValueError as exc:
            self.error_label.setText(str(exc))
            return
        self.error_label.setText("")
        self.sig_sweep_requested.emit(request)

    # ---- results ---------------------------------------------------------------------
    def show_result(self, result: SweepResult) -> None:
        """Plot each device's curve and state where (or whether) accelerators break even."""
        self.plot.clear()
        ys: list[float] = []
        for device in result.devices:
            points = [(v, s) for v, s in result.curve(device).items() if s is not None]
            ys += [s for _, s in points]
            colour = device_colour(device)
            self.plot.plot([p[0] for p in points], [p[1] for p in points], name=device,
                           pen=pg.mkPen(colour, width=2), symbol="o", symbolBrush=colour, symbolSize=9)
        for crossing in result.crossovers.values():
            if crossing.knob_value is not None:
                self.plot.addItem(pg.InfiniteLine(math.log10(crossing.knob_value), angle=90,
                                                  pen=pg.mkPen("#555", style=Qt.PenStyle.DashLine)))
        self._sane_ranges(result, ys)
        texts = [c.message for c in result.crossovers.values()]
        self.breakeven_label.setText("\n".join(texts) or
                                     f"Only {result.baseline} was swept: tick an accelerator too to "
                                     "find where it pays off.")

    def _sane_ranges(self, result: SweepResult, ys: list[float]) -> None:
        """A knob axis around the swept values (half a decade either side of a single one)
        and a y axis from 0 to a little above the fastest point."""
        values = [v for v in result.values if v > 0]
        if values:
            lo, hi = math.log10(min(values)), math.log10(max(values))
            pad = 0.5 if hi - lo < 1e-9 else 0.1 * (hi - lo)
            self.plot.setXRange(lo - pad, hi + pad, padding=0)
            self.plot.getAxis("bottom").setTicks([[(math.log10(v), units.count(v)) for v in values], []])
        top = max(ys, default=0.0)
        self.plot.setYRange(0, top * 1.15 if top > 0 else 1.0, padding=0)
        self.plot.setLabel("bottom", result.knob.replace("_", " "))

    def show_point(self, t_s: Sequence[float], samples_per_s: Sequence[float], device: str, label: str) -> None:
        """The running point's live throughput (seconds since it started)."""
        self.point_curve.setPen(pg.mkPen(device_colour(device), width=2))
        self.point_curve.setData(list(t_s), list(samples_per_s))
        last = samples_per_s[-1] if len(samples_per_s) else None
        if last is None:
            self.point_plot.setTitle(f"{label} · starting…")
            return
        if len(samples_per_s):
            self.point_plot.setYRange(0, max(samples_per_s) * 1.15 or 1.0, padding=0)
            self.point_plot.setXRange(0, max(max(t_s) * 1.05, 1.0), padding=0)
        self.point_plot.setTitle(f"{label} · {units.rate(last)} (last 2 s)" if last else label)
