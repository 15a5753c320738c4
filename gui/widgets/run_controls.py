"""Workload picker, run settings, and Start/Stop. Builds the RunSpecs the user asked for.

The picker lists the built-in workloads and, last, "Your model…": a user's own model, named
in the ``ModelPicker`` below the picker and checked by the engine before it runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
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

from gui.widgets.model_picker import ModelFacts, ModelPicker, remember
from profiler.results.model_ref import USER_WORKLOAD, model_spec_fields
from profiler.results.spec import PRECISIONS, SIZES, RunSpec

if TYPE_CHECKING:
    from gui.viewmodel.catalog import WorkloadInfo

PRECISION_HELP = {
    "fp32": "32-bit floats everywhere: the reference.",
    "tf32": "fp32 storage, TensorFloat-32 matmuls on NVIDIA Ampere+ (same as fp32 elsewhere).",
    "bf16": "bfloat16 autocast: fp32 range, fewer mantissa bits; fast on recent CPUs and GPUs.",
    "fp16": "float16 autocast with loss scaling: fastest on tensor-core GPUs.",
}
YOUR_MODEL = "Your model…"
YOUR_MODEL_HELP = ("Your own PyTorch model: a factory in a .py file or an importable module, or a model "
                   "library's architecture (hf:, timm:, torchvision:) with random weights. It is checked in a "
                   "separate process before it runs; its knobs appear below (docs/YOUR_MODEL.md).")


class RunControls(QWidget):
    """Settings form plus Start and Stop buttons."""

    sig_start_requested = Signal()
    """The user pressed Start (button or shortcut). GUI thread."""

    sig_stop_requested = Signal()
    """The user pressed Stop. GUI thread."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workloads: dict[str, WorkloadInfo] = {}
        self.precision_reasons: dict[str, dict[str, str]] = {}
        self.workload = QComboBox(self)
        self.workload.addItem("loading workloads…")
        self.workload.setEnabled(False)
        self.workload.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.workload.setMinimumContentsLength(12)
        self.size_preset = QComboBox(self)
        self.size_preset.addItems(list(SIZES))
        self.size_preset.setToolTip("Model size preset: S fits anywhere, L stresses big accelerators.")
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
        self.model_picker = ModelPicker(self)
        self.model_picker.hide()
        self._saved_knobs: dict[str, Any] = {}  # knob values remembered for the saved reference
        self._input_controls()
        self.record_trace = QCheckBox("Record a trace of the next run", self)
        self.record_trace.setToolTip(
            "Capture 10 steps after the timed window with torch.profiler (not in the figures) into a "
            "Chrome/Perfetto trace kept with the run; open or save it from the History tab.")
        self._layout()
        self.workload.currentIndexChanged.connect(self._on_workload_changed)
        self.size_preset.currentIndexChanged.connect(self._on_workload_changed)
        self.start_button.clicked.connect(self.sig_start_requested)
        self.stop_button.clicked.connect(self.sig_stop_requested)
        self.start_button.setEnabled(False)

    def _input_controls(self) -> None:
        """Where batches come from: made in the loop, or a DataLoader with its workers, pinned
        memory and an optional per-sample delay (to demonstrate an input-bound run)."""
        self.input = QComboBox(self)
        self.input.addItem("Made in the training loop", (False, True))
        self.input.addItem("DataLoader", (True, True))
        self.input.addItem("DataLoader, no pinning", (True, False))
        self.input.setToolTip("Made in the loop: batches are already on the device, the step alone is "
                              "measured. DataLoader: batches come from host memory through "
                              "torch.utils.data.DataLoader, as in a real job, and the verdict says whether "
                              "the run waits for its input. Pinned host memory lets the copy to an accelerator "
                              "overlap (it changes nothing for a CPU run).")
        self.loader_workers = QSpinBox(self, minimum=0, maximum=64, value=2)
        self.loader_workers.setSuffix(" workers")
        self.loader_workers.setToolTip("DataLoader worker processes (0: batches are loaded in the training process).")
        self.loader_delay = QDoubleSpinBox(self, minimum=0.0, maximum=1000.0, value=0.0, suffix=" ms/sample")
        self.loader_delay.setDecimals(1)
        self.loader_delay.setSpecialValueText("no delay")
        self.loader_delay.setToolTip("Make every sample this much slower to load: a slow Dataset, to show an "
                                     "input-bound run and what more loader workers buy.")
        self.input.currentIndexChanged.connect(lambda _i: self._on_input_changed())
        self._on_input_changed()

    def _on_input_changed(self) -> None:
        """The loader's rows show only for a DataLoader (a short screen keeps its sidebar short)."""
        on = bool(self.input.currentData()[0])
        for w in (self.loader_workers, self.loader_delay):
            w.setEnabled(on and self.input.isEnabled())
            if hasattr(self, "form"):
                self.form.setRowVisible(w, on)

    def input_fields(self) -> dict[str, Any]:
        """The spec fields of the input settings."""
        on, pin = self.input.currentData()
        return {"input_pipeline": bool(on), "loader_workers": self.loader_workers.value(), "pin_memory": bool(pin),
                "loader_delay_ms": float(self.loader_delay.value()) if on else 0.0}

    def _layout(self) -> None:
        self.form = form = QFormLayout()
        form.addRow(self.workload)  # the whole width: long workload titles are not cut off
        form.addRow(self.description)
        form.addRow(self.model_picker)
        form.addRow("Size", self.size_preset)
        form.addRow("Batch", self.batch)
        form.addRow("Precision", self.precision)
        form.addRow("Duration", self.duration)
        form.addRow("Threads", self.threads)
        form.addRow("Input", self.input)
        form.addRow("Workers", self.loader_workers)
        form.addRow("Slow data", self.loader_delay)
        self._on_input_changed()
        form.addRow("Devices", self.mode)
        form.addRow(self.record_trace)
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
        if self.workloads:
            self.workload.insertSeparator(self.workload.count())
            self.workload.addItem(YOUR_MODEL, USER_WORKLOAD)
            self.workload.setItemData(self.workload.count() - 1, YOUR_MODEL_HELP, 3)
        self.workload.blockSignals(False)
        self.workload.setEnabled(bool(self.workloads))
        widest = max((self.workload.fontMetrics().horizontalAdvance(i.title) for i in self.workloads.values()),
                     default=0)
        self.workload.view().setMinimumWidth(widest + 40)
        self._on_workload_changed()
        self.set_running(False)

    @property
    def race(self) -> bool:
        return self.mode.currentIndex() == 1

    def workload_name(self) -> str | None:
        return self.workload.currentData()

    @property
    def user_model(self) -> bool:
        """True when "Your model…" is picked."""
        return self.workload_name() == USER_WORKLOAD

    def specs_for(self, device_ids: Sequence[str], origin: str = "") -> list[RunSpec]:
        """One RunSpec per device with the current settings (same settings as headless);
        ``origin`` says why it runs ("demo" for the presentation loop). For "Your model…" the
        reference is read by the engine (``ModelRefError``: one line, no user code run)."""
        name = self.workload_name()
        if not name:
            return []
        fields: dict[str, Any] = {"workload": name, "size": self.size_preset.currentText()}
        if name == USER_WORKLOAD:
            fields = {**model_spec_fields(self.model_picker.text()), "knobs": self.model_picker.knob_overrides()}
        return [
            RunSpec(
                **fields, device=dev, batch_size=self.batch.value() or None,
                precision=self.precision.currentText(), duration_s=float(self.duration.value()),
                threads=self.threads.value() or None, origin=origin, **self.input_fields(),
            )
            for dev in device_ids
        ]

    def model_title(self) -> str:
        """The workload's title, or the user's model by its label (``plain_model.py:build``)."""
        if not self.user_model:
            return self.workload.currentText()
        facts = self.model_picker.facts
        return facts.label if facts is not None else (self.model_picker.text() or YOUR_MODEL)

    def size_words(self) -> str:
        """``size S``, or a user model's knobs set away from their defaults."""
        if not self.user_model:
            return f"size {self.size_preset.currentText()}"
        return " ".join(f"{k}={v}" for k, v in self.model_picker.knob_overrides().items()) or "default knobs"

    def set_model_facts(self, facts: ModelFacts) -> None:
        """The engine's check of the user's model passed: its knobs (earlier values kept)."""
        values = {**self._saved_knobs, **self.model_picker.knob_values()}
        self.model_picker.set_checked(facts, values)
        self._saved_knobs = {}
        self.model_picker.recent = remember(self.model_picker.recent, facts.reference)
        self.model_picker.set_recent(self.model_picker.recent)
        self._on_workload_changed()

    # ---- precisions the ticked devices can run ------------------------------------------
    def set_precision_reasons(self, reasons: Mapping[str, Mapping[str, str]]) -> None:
        """Per device, precision -> "" (supported) or why not (the engine's check)."""
        self.precision_reasons = {d: dict(r) for d, r in reasons.items()}

    def limit_precisions(self, device_ids: Sequence[str]) -> None:
        """Offer only precisions every ticked device can run; the others are greyed with
        the reason (no tf32 on a CPU). An unsupported current choice falls back to fp32."""
        model = self.precision.model()
        if not isinstance(model, QStandardItemModel):
            return
        for row in range(self.precision.count()):
            name = self.precision.itemText(row)
            why = next((f"{d}: {r[name]}" for d in device_ids
                        if (r := self.precision_reasons.get(d)) and r.get(name)), "")
            item = model.item(row)
            item.setEnabled(not why)
            item.setToolTip(f"Not available: {why}" if why else PRECISION_HELP.get(name, ""))
        current = model.item(self.precision.currentIndex())
        if current is not None and not current.isEnabled():
            self.precision.setCurrentIndex(self.precision.findText("fp32"))

    # ---- remembered across restarts ---------------------------------------------------
    def settings(self) -> dict[str, Any]:
        return {"workload": self.workload_name() or "", "size": self.size_preset.currentText(),
                "batch": self.batch.value(), "precision": self.precision.currentText(),
                "duration": self.duration.value(), "threads": self.threads.value(),
                "race": self.race, "model_ref": self.model_picker.text(), **self.input_fields(),
                "model_knobs": self.model_picker.knob_values() or dict(self._saved_knobs),
                "recent_models": list(self.model_picker.recent)}

    def apply_settings(self, values: Mapping[str, Any]) -> None:
        """Restore ``settings()`` output; unknown or wrong-typed values are skipped."""
        def pick(box: QComboBox, text: object, data: bool = False) -> None:
            index = box.findData(text) if data else box.findText(str(text))
            if isinstance(text, str) and index >= 0:
                box.setCurrentIndex(index)

        if isinstance(values.get("recent_models"), list):
            self.model_picker.set_recent(values["recent_models"])
        if isinstance(values.get("model_ref"), str):
            self.model_picker.set_reference(values["model_ref"])
        knobs = values.get("model_knobs")
        if isinstance(knobs, dict):
            self._saved_knobs = {str(k): v for k, v in knobs.items() if isinstance(v, (int, float, str))}
        pick(self.workload, values.get("workload"), data=True)
        pick(self.size_preset, values.get("size"))
        pick(self.precision, values.get("precision"))
        for box, key in ((self.batch, "batch"), (self.threads, "threads")):
            if isinstance(values.get(key), int) and not isinstance(values.get(key), bool):
                box.setValue(int(values[key]))
        if isinstance(values.get("duration"), (int, float)) and not isinstance(values.get("duration"), bool):
            self.duration.setValue(float(values["duration"]))
        if isinstance(values.get("race"), bool):
            self.mode.setCurrentIndex(1 if values["race"] else 0)
        if isinstance(values.get("input_pipeline"), bool):
            pin = values.get("pin_memory") is not False
            self.input.setCurrentIndex(0 if not values["input_pipeline"] else 1 if pin else 2)
        if isinstance(values.get("loader_workers"), int) and not isinstance(values.get("loader_workers"), bool):
            self.loader_workers.setValue(int(values["loader_workers"]))
        delay = values.get("loader_delay_ms")
        if isinstance(delay, (int, float)) and not isinstance(delay, bool):
            self.loader_delay.setValue(float(delay))

    def show_spec(self, spec: RunSpec) -> None:
        """Show ``spec``'s settings (the run in focus) in the fields; nothing starts. A device
        is the picker's; knobs of a built-in workload have no field here."""
        values: dict[str, Any] = {
            "workload": spec.workload, "size": spec.size, "batch": spec.batch_size or 0,
            "precision": spec.precision, "threads": spec.threads or 0,
            "input_pipeline": spec.input_pipeline, "loader_workers": spec.loader_workers,
            "pin_memory": spec.pin_memory, "loader_delay_ms": spec.loader_delay_ms}
        if spec.duration_s:
            values["duration"] = float(spec.duration_s)
        if spec.is_user_model:
            values |= {"model_ref": spec.model, "model_knobs": dict(spec.knobs)}
        self.apply_settings(values)

    def set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running and bool(self.workloads))
        self.stop_button.setEnabled(running)
        for w in (self.workload, self.size_preset, self.batch, self.precision, self.duration,
                  self.threads, self.mode, self.record_trace, self.input):
            w.setEnabled(not running and (w is not self.workload or bool(self.workloads)))
        self._on_input_changed()
        self.model_picker.set_enabled_for_run(not running)

    def trace_started(self) -> None:
        """The runs that record a trace have started: the option is for one start only."""
        self.record_trace.setChecked(False)

    def _on_workload_changed(self) -> None:
        user = self.user_model
        self.model_picker.setVisible(user)
        self.form.setRowVisible(self.size_preset, not user)  # size presets are the built-ins' own
        if user:
            facts = self.model_picker.facts
            self.description.setText(YOUR_MODEL_HELP)
            default = facts.batch_size if facts is not None else None
            self.batch.setSpecialValueText(f"model default ({default})" if default else "model default")
            return
        info = self.workloads.get(self.workload_name() or "")
        if info is None:
            return
        self.description.setText(info.description)
        default = info.default_batch.get(self.size_preset.currentText())
        self.batch.setSpecialValueText(f"preset default ({default})" if default else "preset default")
        knobs = info.presets.get(self.size_preset.currentText(), {})
        self.size_preset.setToolTip(
            "Model size preset: " + ", ".join(f"{k}={v}" for k, v in knobs.items())
            if knobs else "Model size preset."
        )
