"""The Advisor tab's form: which run, the batch and precision you will train with, and the job's
constraints in the user's words. GUI thread.

Every field is text, read by the engine (``profiler.reports.advisor.read_constraints``), so
``1e6`` samples, a ``2/h`` budget or a ``90min`` deadline work as on the command line and a
bad value comes back as the engine's one line. ``values()`` is the dict the engine link
takes; ``settings()``/``apply_settings()`` keep the form between launches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

CURRENT = "current"
MODES = (("auto", "Cheapest way: own, rent or buy"), ("rent", "Rent (cloud on-demand prices)"),
         ("buy", "Buy (amortised over the years below)"))
BUDGET_KINDS = (("total", "in total"), ("per_h", "per hour"))
TEXT_FIELDS = ("samples", "epochs", "budget", "deadline", "years", "hours_per_day", "electricity", "batch")
#: (value, words) of the precision picker; "" is the run's own setting as PyTorch runs it there
PRECISIONS = (("", "As the run (PyTorch default)"), ("fp32", "fp32 (TF32 convolutions)"), ("tf32", "tf32"),
              ("bf16", "bf16"), ("fp16", "fp16"), ("amp", "amp (fp16 autocast)"))
HELP = {
    "samples": "Samples in the dataset: 1e6, 50000, 1,000,000 (default 1,000,000)",
    "epochs": "Passes over the dataset (default 1; 0.5 is half a pass)",
    "budget": "Money for the whole job, or per hour with “per hour” (USD, as the catalogue's prices)",
    "deadline": "Time the job must finish in: 24h, 90min, 3d, 2w",
    "years": "Years a bought device is spread over (default 3)",
    "hours_per_day": "Hours a day a bought device is used (default 8)",
    "electricity": "Electricity price per kWh in USD (default: the Value tab's price)",
    "batch": "The batch you will train with (default: the run's). FLOPs and activations scale with it; "
             "parameter traffic does not",
}
PLACEHOLDER = {"samples": "1,000,000", "epochs": "1", "budget": "none", "deadline": "none", "years": "3",
               "hours_per_day": "8", "electricity": "Value tab's",
               "batch": "run's"}


class AdvisorForm(QWidget):
    """Run picker, constraint fields and the Advise button."""

    sig_advise_requested = Signal()
    """The user pressed Advise (or Return in a field). GUI thread."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="advisorForm")
        self.run = QComboBox()
        self.run.setToolTip("The measured run to project: the run just finished on Live, or one from History")
        self.run.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.run.setMinimumContentsLength(40)
        self.fields: dict[str, QLineEdit] = {}
        for name in TEXT_FIELDS:
            edit = QLineEdit(placeholderText=PLACEHOLDER[name])
            edit.setToolTip(HELP[name])
            edit.returnPressed.connect(self.sig_advise_requested)
            edit.setMinimumWidth(70)
            self.fields[name] = edit
        self.budget_kind = QComboBox()
        for key, words in BUDGET_KINDS:
            self.budget_kind.addItem(words, key)
        self.mode = QComboBox()
        for key, words in MODES:
            self.mode.addItem(words, key)
        # sized by a length, not its longest choice, so the form fits beside a 1280 px window's sidebar
        self.mode.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.mode.setMinimumContentsLength(14)
        self.mode.setToolTip("How each device is priced: auto takes the cheaper of renting and buying "
                             "(and your own devices at the electricity they use)")
        self.precision = QComboBox()
        for key, words in PRECISIONS:
            self.precision.addItem(words, key)
        self.precision.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.precision.setMinimumContentsLength(10)
        self.precision.setToolTip("The precision you will train with; each row names the peak it used")
        self.advise_button = QPushButton("Advise", objectName="primaryButton")
        self.advise_button.setToolTip("Project the run onto the catalogue's hardware (Return in a field)")
        self.advise_button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self.advise_button.setMinimumWidth(110)
        self.advise_button.clicked.connect(self.sig_advise_requested)
        self.mode.currentIndexChanged.connect(self._on_mode_changed)
        self._layout()
        self._on_mode_changed()

    def _layout(self) -> None:
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        f = self.fields

        def label(text: str, buddy: QWidget) -> QLabel:
            words = QLabel(text)
            words.setBuddy(buddy)
            return words

        grid.addWidget(label("Run", self.run), 0, 0)
        grid.addWidget(self.run, 0, 1, 1, 7)
        grid.addWidget(self.advise_button, 0, 8)
        grid.addWidget(label("Samples", f["samples"]), 1, 0)
        grid.addWidget(f["samples"], 1, 1)
        grid.addWidget(label("Epochs", f["epochs"]), 1, 2)
        grid.addWidget(f["epochs"], 1, 3)
        grid.addWidget(label("Budget (USD)", f["budget"]), 1, 4)
        grid.addWidget(f["budget"], 1, 5)
        grid.addWidget(self.budget_kind, 1, 6)
        grid.addWidget(label("Deadline", f["deadline"]), 1, 7)
        grid.addWidget(f["deadline"], 1, 8)
        grid.addWidget(label("Pricing", self.mode), 2, 0)
        grid.addWidget(self.mode, 2, 1)
        grid.addWidget(label("Years", f["years"]), 2, 2)
        grid.addWidget(f["years"], 2, 3)
        grid.addWidget(label("Hours/day", f["hours_per_day"]), 2, 4)
        grid.addWidget(f["hours_per_day"], 2, 5)
        grid.addWidget(label("USD/kWh", f["electricity"]), 2, 6)
        grid.addWidget(f["electricity"], 2, 7, 1, 2)
        grid.addWidget(label("Batch", f["batch"]), 3, 0)
        grid.addWidget(f["batch"], 3, 1)
        grid.addWidget(label("Precision", self.precision), 3, 2)
        grid.addWidget(self.precision, 3, 3, 1, 3)
        for column in (1, 3, 5, 8):
            grid.setColumnStretch(column, 1)

    def _on_mode_changed(self, _index: int = 0) -> None:
        """Amortisation applies to buying (and auto, which may buy); renting has no use for it."""
        buying = self.mode.currentData() != "rent"
        for name in ("years", "hours_per_day"):
            self.fields[name].setEnabled(buying)

    # ---- runs ------------------------------------------------------------------------
    def set_runs(self, current: tuple[str, str] | None, stored: Sequence[tuple[str, str]]) -> None:
        """``current``: (run id, words) of the run just finished here; ``stored``: (run id,
        words) of completed runs in History, newest first. Keeps the choice when it is still there."""
        chosen = self.run.currentData()
        self.run.blockSignals(True)
        self.run.clear()
        if current is not None:
            self.run.addItem(f"Current run: {current[1]}", (CURRENT, current[0]))
        for run_id, words in stored:
            if current is None or run_id != current[0]:
                self.run.addItem(words, ("stored", run_id))
        index = self.run.findData(chosen) if chosen is not None else -1
        self.run.setCurrentIndex(index if index >= 0 else 0)
        self.run.blockSignals(False)
        self.advise_button.setEnabled(self.run.count() > 0)

    def select_run(self, run_id: str) -> bool:
        for i in range(self.run.count()):
            if self.run.itemData(i)[1] == run_id:
                self.run.setCurrentIndex(i)
                return True
        return False

    def chosen(self) -> tuple[str, str] | None:
        """(``"current"`` or ``"stored"``, run id), or None when there is no run to pick."""
        data = self.run.currentData()
        return (str(data[0]), str(data[1])) if data else None

    # ---- constraints -----------------------------------------------------------------
    def values(self) -> dict[str, str]:
        """The engine link's form: ``read_constraints``'s arguments as the user typed them."""
        out = {name: edit.text().strip() for name, edit in self.fields.items()}
        budget = out["budget"]
        if budget and self.budget_kind.currentData() == "per_h" and "/" not in budget and "per" not in budget:
            out["budget"] = f"{budget}/h"
        out["mode"] = str(self.mode.currentData())
        out["precision"] = str(self.precision.currentData() or "")
        if out["mode"] == "rent":
            out["years"] = out["hours_per_day"] = ""
        return out

    def settings(self) -> dict[str, Any]:
        return {**{name: edit.text() for name, edit in self.fields.items()},
                "budget_kind": self.budget_kind.currentData(), "mode": self.mode.currentData(),
                "precision": self.precision.currentData()}

    def apply_settings(self, values: Mapping[str, Any]) -> None:
        """Restore ``settings()``; values of the wrong type are ignored."""
        for name, edit in self.fields.items():
            if isinstance(values.get(name), str):
                edit.setText(values[name])
        for box, key in ((self.budget_kind, "budget_kind"), (self.mode, "mode"), (self.precision, "precision")):
            index = box.findData(values.get(key)) if isinstance(values.get(key), str) else -1
            if index >= 0:
                box.setCurrentIndex(index)
