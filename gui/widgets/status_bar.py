"""Status bar: torch version; in the debug view (Ctrl+Shift+D, or ``HORSEPOWER_DEBUG=1``) also the
sampling rate, plot refresh rate and the observer's own cost, which are developer telemetry, not
something to show an audience."""

from __future__ import annotations

import os
from typing import Protocol

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from gui.widgets.metric_help import tip
from profiler import units


class ObserverCost(Protocol):
    """What the bar reads of the window's observer meter (``gui.window.observer_meter``)."""

    refresh_hz: float | None
    gui_cpu_fraction: float | None
    paint_ms_per_frame: float | None

    def latency_p99_ms(self) -> float | None: ...


class StatusBar(QStatusBar):
    """Permanent fields on the right; transient messages on the left. The window calls
    ``update_overhead`` when its meter reports."""

    def __init__(self, meter: ObserverCost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.meter = meter
        self.torch = self._field("torch …", "Version of torch the engine runs (loading).")
        self.sampling = self._field("sampling 10 Hz", tip("sampling"))
        self.refresh = self._field("refresh – Hz", tip("refresh"))
        self.overhead = self._field(
            "observer n/a",
            "What watching costs: " + tip("gui_cpu") + " " + tip("paint_ms") + " " + tip("latency"),
        )
        self.debug = False
        self.set_debug(os.environ.get("HORSEPOWER_DEBUG", "") not in ("", "0"))

    def set_debug(self, on: bool) -> None:
        """Show (True) or hide the developer telemetry fields."""
        self.debug = on
        for label in (self.sampling, self.refresh, self.overhead):
            label.setVisible(on)

    def toggle_debug(self) -> None:
        self.set_debug(not self.debug)

    def _field(self, text: str, tooltip: str) -> QLabel:
        label = QLabel(text, self)
        label.setToolTip(tooltip)
        self.addPermanentWidget(label)
        return label

    def set_torch_version(self, version: str) -> None:
        self.torch.setText(f"torch {version}")
        self.torch.setToolTip("Version of torch the engine runs.")

    def set_sampling_hz(self, hz: float) -> None:
        self.sampling.setText(f"sampling {hz:g} Hz")

    def update_overhead(self) -> None:
        m = self.meter
        if m.refresh_hz is not None:
            self.refresh.setText(f"refresh {units.num(m.refresh_hz, 2)} Hz")
        parts = []
        if m.gui_cpu_fraction is not None:
            parts.append(f"GUI {units.percent(m.gui_cpu_fraction)} of a core")
        if m.paint_ms_per_frame is not None:
            parts.append(f"paint {units.seconds(m.paint_ms_per_frame / 1e3)}/frame")
        p99 = m.latency_p99_ms()
        if p99 is not None:
            parts.append(f"loop p99 {units.seconds(p99 / 1e3)}")
        self.overhead.setText("observer: " + " · ".join(parts) if parts else "observer n/a")
