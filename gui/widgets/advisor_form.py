"""The Advisor tab's form: which run (or a model not trained here), the batch and precision you
will train with, and the job's constraints in the user's words. GUI thread.

The run picker ends with "A model, not trained here": it shows a model field (``gpt``,
``cnn-L``, ``hf:bert-base-uncased``, ``path/to/model.py:build``: as ``horsepower advise
--model`` takes them) and its knobs, and then needs a batch and a precision.

Every field is text, read by the engine (``profiler.reports.advisor.read_constraints``), so
``1e6`` samples, a ``2/h`` budget or a ``90min`` deadline work as on the command line and a
bad value comes back as the engine's one line. ``values()`` is the dict the engine link
takes; ``settings()``/``apply_settings()`` keep the form between launches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QWidget,
)

CURRENT = "current"
#: the published-models menu's sections
FAMILY_WORDS = {"cnn": "CNNs", "depthwise_cnn": "Depthwise CNNs", "vit": "Vision transformers", "bert": "BERT",
                "gpt": "GPT", "lstm": "LSTMs"}
MODEL = "model"  # the picker's entry for a model counted, not trained
MODEL_WORDS = "A model, not trained here (counted: GPU rows need no run)"
MODES = (("auto", "Cheapest way: own, rent or buy"), ("rent", "Rent (cloud on-demand prices)"),
         ("buy", "Buy (amortised over the years below)"))
BUDGET_KINDS = (("total", "in total"), ("per_h", "per hour"))
TEXT_FIELDS = ("samples", "epochs", "budget", "deadline", "years", "hours_per_day", "electricity", "batch",
               "model", "knobs")
MODEL_FIELDS = ("model", "knobs")
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
    "model": "A model to advise on without training it: a built-in (gpt, cnn-L), hf:NAME, torchvision:NAME, "
             "timm:NAME, path/to/model.py:factory or package.module:factory. It is built and counted in a "
             "separate process (seconds)",
    "knobs": "The model's knobs, NAME=VALUE separated by spaces: num_labels=1000 seq_len=512",
}
PLACEHOLDER = {"samples": "1,000,000", "epochs": "1", "budget": "none", "deadline": "none", "years": "3",
               "hours_per_day": "8", "electricity": "Value tab's",
               "batch": "run's", "model": "gpt, cnn-L, hf:bert-base-uncased, path/to/model.py:build",
               "knobs": "none"}


class AdvisorForm(QWidget):
    """Run picker, constraint fields and the Advise button."""

    sig_advise_requested = Signal()
    """The user pressed Advise (or Return in a field). GUI thread."""
    sig_stop_requested = Signal()
    """The user pressed Stop counting (the button while a model is counted). GUI thread."""

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
        self.advise_button.clicked.connect(self._on_button)
        self.busy = False  # advice is being worked out
        self.counting = False  # a model is being counted: the button stops it
        self.mode.currentIndexChanged.connect(self._on_mode_changed)
        self.run.currentIndexChanged.connect(self._on_run_changed)
        self.published = QToolButton(text="Published models ▾", objectName="publishedModels")
        self.published.setToolTip("Pick a model the published corpus has figures of (its knobs filled in): "
                                  "advice on it is projected with the narrower band of a corpus model")
        self.published.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.published.setMenu(QMenu(self.published))
        self.published.menu().aboutToShow.connect(self._fill_published)
        #: the corpus's models the menu offers (``profiler.analysis.advisor.corpus.PublishedModel``s)
        self.published_source: Callable[[], Sequence[Any]] | None = None
        self.model_labels: list[QLabel] = []
        self._layout()
        self._on_mode_changed()
        self.set_runs(None, ())

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
        self.model_labels = [label("Model", f["model"]), label("Knobs", f["knobs"])]
        grid.addWidget(self.model_labels[0], 4, 0)
        grid.addWidget(f["model"], 4, 1, 1, 4)
        grid.addWidget(self.published, 4, 5)
        grid.addWidget(self.model_labels[1], 4, 6)
        grid.addWidget(f["knobs"], 4, 7, 1, 2)
        for column in (1, 3, 5, 8):
            grid.setColumnStretch(column, 1)

    def _on_button(self) -> None:
        (self.sig_stop_requested if self.counting else self.sig_advise_requested).emit()

    def set_busy(self, busy: bool, counting: bool = False) -> None:
        """While advice is worked out the button is disabled, or, while a model is counted in
        its child process, reads "Stop counting"; idle again, it reads "Advise"."""
        self.busy, self.counting = busy, busy and counting
        self.advise_button.setEnabled(not busy or counting)
        self.advise_button.setText("Stop counting" if self.counting else "Advising…" if busy else "Advise")

    def _on_mode_changed(self, _index: int = 0) -> None:
        """Amortisation applies to buying (and auto, which may buy); renting has no use for it."""
        buying = self.mode.currentData() != "rent"
        for name in ("years", "hours_per_day"):
            self.fields[name].setEnabled(buying)

    def _on_run_changed(self, _index: int = 0) -> None:
        """A model not trained here shows its fields and needs a batch and an explicit precision
        (there is no run whose setting "As the run" could mean)."""
        model = self.model_chosen()
        for widget in (*(self.fields[name] for name in MODEL_FIELDS), *self.model_labels, self.published):
            widget.setVisible(model)
        self.fields["batch"].setPlaceholderText("required" if model else PLACEHOLDER["batch"])
        choices = self.precision.model()
        if isinstance(choices, QStandardItemModel):  # a combo box's own model
            choices.item(0).setEnabled(not model)
        if model and not self.precision.currentData():
            self.precision.setCurrentIndex(self.precision.findData("fp32"))
        self.advise_button.setToolTip("Count the model and project it onto the catalogue's GPUs (Return in a field)"
                                      if model else "Project the run onto the catalogue's hardware (Return in a field)")

    # ---- runs ------------------------------------------------------------------------
    def set_runs(self, current: tuple[str, str] | None, stored: Sequence[tuple[str, str]]) -> None:
        """``current``: (run id, words) of the run just finished here; ``stored``: (run id,
        words) of completed runs in History, newest first; then the entry for a model not
        trained here. Keeps the choice when it is still there."""
        chosen = self.run.currentData()
        if chosen and chosen[0] == MODEL and not self.fields["model"].text().strip():
            chosen = None  # the model entry was only the choice left: a run, once there is one
        self.run.blockSignals(True)
        self.run.clear()
        if current is not None:
            self.run.addItem(f"Current run: {current[1]}", (CURRENT, current[0]))
        for run_id, words in stored:
            if current is None or run_id != current[0]:
                self.run.addItem(words, ("stored", run_id))
        self.run.addItem(MODEL_WORDS, (MODEL, ""))
        index = self._index_of(chosen) if chosen is not None else -1
        self.run.setCurrentIndex(index if index >= 0 else 0)
        self.run.blockSignals(False)
        self._on_run_changed()

    def model_chosen(self) -> bool:
        """True when the picker's choice is a model not trained here."""
        data = self.run.currentData()
        return bool(data) and data[0] == MODEL

    def choose_model(self, reference: str = "", knobs: str = "", replace: bool = False) -> None:
        """Pick "A model, not trained here" and fill its fields with what is given (``replace``:
        the knobs field too when ``knobs`` is empty: a published model's are all of them)."""
        self.run.setCurrentIndex(self._index_of((MODEL, "")))
        if reference:
            self.fields["model"].setText(reference)
        if knobs or replace:
            self.fields["knobs"].setText(knobs)

    def _fill_published(self) -> None:
        """The published models by family, on the menu's first showing (from
        ``published_source``, set by the page: the advisor's modules import torch)."""
        menu = self.published.menu()
        if menu.actions() or self.published_source is None:
            return
        models = list(self.published_source())
        names = [m.name for m in models]
        family = None
        for model in models:
            if model.family != family:
                family = model.family
                menu.addSection(FAMILY_WORDS.get(family, family))
            figures = f"{model.figures} published figure{'s' if model.figures != 1 else ''}"
            size = ("" if names.count(model.name) == 1 else  # the input size tells one name's models apart
                    f" (seq {model.knobs['seq_len']})" if "seq_len" in model.knobs else
                    f" ({model.knobs['image_size']} px)" if "image_size" in model.knobs else "")
            action = menu.addAction(f"{model.name}{size} · {model.ref} · {figures}")
            action.setToolTip(model.knob_text or "no knobs")
            action.triggered.connect(lambda _=False, m=model: self.choose_model(m.ref, m.knob_text, replace=True))

    def _index_of(self, data: tuple[str, str]) -> int:
        """The picker's entry holding ``data`` ((kind, run id)), or -1. (``findData`` compares a
        Python tuple by identity.)"""
        return next((i for i in range(self.run.count()) if tuple(self.run.itemData(i)) == tuple(data)), -1)

    def select_run(self, run_id: str) -> bool:
        for i in range(self.run.count()):
            data = self.run.itemData(i)
            if data[0] != MODEL and data[1] == run_id:
                self.run.setCurrentIndex(i)
                return True
        return False

    def chosen(self) -> tuple[str, str] | None:
        """(``"current"`` or ``"stored"``, run id), or None when the choice is not a run (a
        model not trained here: ``model_chosen``)."""
        data = self.run.currentData()
        return (str(data[0]), str(data[1])) if data and data[0] != MODEL else None

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
        if not self.model_chosen():  # a run is advised on; the model fields are kept for later
            out["model"] = out["knobs"] = ""
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
        self._on_run_changed()  # a model's advice has no "As the run" precision
