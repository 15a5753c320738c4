"""The sidebar's "Your model…" panel: name a model, check it, set its knobs. GUI thread.

A model is named by text (``profiler.results.model_ref``): ``file.py:factory``,
``package.module:factory`` or ``hf:``/``timm:``/``torchvision:`` names. "…" picks a ``.py``
file and then its factory from the file's top-level functions (read with ``ast``: none of the
user's code runs in the window). **Check** asks the window to build the model in a separate
process (``sig_check_requested``); ``set_checked`` then shows what the engine found and one
field per knob, typed as the factory declares it (``knob_fields``: a spin box for an int, a
number field for a float, a check box for a bool, a list of choices or a text field for a
str), which runs and sweeps use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QCompleter,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.knob_fields import KnobField, KnobValue, knob_field
from profiler import units
from profiler.results.model_ref import factories_in

EXAMPLES = "examples/plain_model.py:build, mypackage.models:build, hf:gpt2, timm:resnet18, torchvision:resnet18"
RECENT_MAX = 8
NOT_CHECKED = "Press Check to build it once in a separate process and list its knobs."
CHECKING = "Checking… building the model in a separate process (seconds; Cancel stops it)."


def remember(recent: list[str], reference: str) -> list[str]:
    """``reference`` first, then the others, at most ``RECENT_MAX``."""
    text = reference.strip()
    return [text, *[r for r in recent if r != text]][:RECENT_MAX] if text else list(recent)


@dataclass(frozen=True)
class ModelFacts:
    """A passing model check (``ModelCheck.to_dict()`` of the model with no knob overrides) as
    the window keeps it: ``defaults`` are the factory's knob values, ``kinds`` their types
    (int, float, bool, str), ``choices`` a str knob's choices, ``batch_size`` its batch."""

    reference: str
    label: str
    defaults: dict[str, KnobValue] = field(default_factory=dict)
    knob_help: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    choices: dict[str, list[str]] = field(default_factory=dict)
    batch_size: int = 0
    sample_unit: str = "samples"
    tokens_per_sample: int | None = None
    params: int = 0
    checked_on: str = ""
    library: str = ""
    loss_source: str = ""
    architecture: str = ""
    optimizer: str = ""

    @classmethod
    def from_check(cls, reference: str, check: Mapping[str, Any]) -> ModelFacts:
        defaults = {str(k): v for k, v in dict(check.get("knobs") or {}).items()
                    if isinstance(v, (int, float, str))}
        kinds = {str(k): str(v) for k, v in dict(check.get("knob_kinds") or {}).items()}
        return cls(
            reference=reference, label=str(check.get("label") or reference), defaults=defaults,
            knob_help={str(k): str(v) for k, v in dict(check.get("knob_help") or {}).items()},
            kinds={k: kinds.get(k) or _kind(v) for k, v in defaults.items()},
            choices={str(k): [str(c) for c in v] for k, v in dict(check.get("knob_choices") or {}).items()},
            batch_size=int(check.get("batch_size") or 0), sample_unit=str(check.get("sample_unit") or "samples"),
            tokens_per_sample=check.get("tokens_per_sample"), params=int(check.get("params") or 0),
            checked_on=str(check.get("checked_on") or ""), library=str(check.get("library") or ""),
            loss_source=str(check.get("loss_source") or ""), architecture=str(check.get("architecture") or ""),
            optimizer=str(check.get("optimizer") or ""),
        )

    def overrides(self, values: Mapping[str, KnobValue]) -> dict[str, KnobValue]:
        """The knobs of ``values`` that differ from the defaults: what a spec carries (a run at
        the defaults has no knobs, as on the command line)."""
        return {k: v for k, v in values.items() if k in self.defaults and v != self.defaults[k]}

    def int_knobs(self) -> list[str]:
        """The integer knobs (the ones a sweep can step through)."""
        return [k for k in self.defaults if self.kinds.get(k) == "int"]

    def summary(self) -> str:
        """``✓ plain_model.py:build · 421,642 parameters · images · checked on meta``, then what
        was built, where the loss comes from and the optimizer, when the check said."""
        parts = [f"\u2713 {self.label}", f"{units.count(self.params)} parameters" if self.params else "",
                 self.sample_unit if self.sample_unit != "samples" else "",
                 f"{self.tokens_per_sample} tokens a sample" if self.tokens_per_sample else "",
                 f"checked on {self.checked_on}" if self.checked_on else ""]
        lines = [" · ".join(p for p in parts if p), self.architecture,
                 f"loss from {self.loss_source}" if self.loss_source else "",
                 f"optimizer {self.optimizer}" if self.optimizer else ""]
        return "\n".join(line for line in lines if line)


def _kind(value: object) -> str:
    return "bool" if isinstance(value, bool) else "int" if isinstance(value, int) else \
        "float" if isinstance(value, float) else "str"


class ModelPicker(QWidget):
    """A reference field with a file chooser, a Check button, the check's answer and knob fields."""

    sig_cancel_requested = Signal()
    """Cancel pressed while a check runs."""
    sig_check_requested = Signal(str)
    """(reference text) build and check this model. GUI thread."""
    sig_reference_changed = Signal(str)
    """(reference text) the user edited or picked a reference; the old check no longer holds."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="modelPicker")
        self.facts: ModelFacts | None = None
        self.details = ""
        self.checking = False
        self.recent: list[str] = []
        self.reference = QLineEdit(placeholderText="file.py:build, pkg.mod:build, hf:gpt2")
        self.reference.setToolTip(f"Your model, named as on the command line (--model): {EXAMPLES}. "
                                  "Nothing is downloaded; libraries build random weights.")
        self._completions = QStringListModel(self)
        completer = QCompleter(self._completions, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.reference.setCompleter(completer)
        self.browse = QToolButton(text="…")
        self.browse.setToolTip("Pick a .py file, then the function in it that builds the workload")
        self.browse.setStyleSheet("padding: 4px 6px;")  # the sidebar is narrow: leave the width to the reference
        self.check_button = QPushButton("Check")
        self.check_button.setStyleSheet("padding: 4px 8px;")
        self.check_button.setToolTip("Build the model once in a separate process (its code cannot take the "
                                     "window down), run one batch through it and list its knobs")
        self.status = QLabel(NOT_CHECKED, objectName="mutedLabel", wordWrap=True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the check (a model that hangs while it is built)")
        self.cancel_button.setVisible(False)
        self.details_button = QPushButton("Details…")
        self.details_button.setToolTip("The traceback from your model's code")
        self.details_button.hide()
        self.knob_form = QFormLayout()
        self.knob_form.setContentsMargins(0, 0, 0, 0)
        self.knobs: dict[str, KnobField] = {}
        self.ask_file: Callable[[], str] = self._ask_file
        self.ask_factory: Callable[[str, list[str]], tuple[str, bool]] = self._ask_factory
        self._layout()
        self.browse.clicked.connect(self._on_browse_clicked)
        self.check_button.clicked.connect(self._on_check_clicked)
        self.cancel_button.clicked.connect(self.sig_cancel_requested)
        self.reference.returnPressed.connect(self._on_check_clicked)
        self.reference.textEdited.connect(self._on_reference_edited)
        self.details_button.clicked.connect(self.show_details)

    def _layout(self) -> None:
        line = QHBoxLayout()
        line.setSpacing(4)
        line.addWidget(self.reference, 1)
        line.addWidget(self.browse)
        line.addWidget(self.check_button)
        line.addWidget(self.cancel_button)
        answer = QHBoxLayout()
        answer.addWidget(self.status, 1)
        answer.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(line)
        layout.addLayout(answer)
        layout.addLayout(self.knob_form)

    # ---- the reference ---------------------------------------------------------------
    def text(self) -> str:
        return self.reference.text().strip()

    def set_reference(self, text: str) -> None:
        if text != self.reference.text():
            self.reference.setText(text)
            self._forget_check()

    def set_recent(self, recent: list[str]) -> None:
        self.recent = [str(r) for r in recent if isinstance(r, str) and r.strip()][:RECENT_MAX]
        self._completions.setStringList(self.recent)

    def _on_reference_edited(self, text: str) -> None:
        self._forget_check()
        self.sig_reference_changed.emit(text.strip())

    def _forget_check(self) -> None:
        self.facts = None
        self.details = ""
        self.details_button.hide()
        self._set_status(NOT_CHECKED if self.text() else f"Name your model: {EXAMPLES}.", "")
        self._fill_knobs({}, {}, {})

    def _on_browse_clicked(self) -> None:
        path = self.ask_file()
        if not path:
            return
        names = factories_in(path)
        factory, ok = self.ask_factory(path, names or ["build"])
        if ok and factory.strip():
            self.reference.setText(f"{path}:{factory.strip()}")
            self._on_reference_edited(self.reference.text())
            self._on_check_clicked()

    def _ask_file(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self, "Your model's Python file", "", "Python files (*.py)")
        return path

    def _ask_factory(self, path: str, names: list[str]) -> tuple[str, bool]:
        return QInputDialog.getItem(self, "Factory", f"The function in {path.rsplit('/', 1)[-1]} that builds "
                                    "the workload (it returns the model, make_batch and loss):", names, 0, True)

    def _on_check_clicked(self) -> None:
        if self.text():
            self.sig_check_requested.emit(self.text())

    # ---- the check's answer ------------------------------------------------------------
    def set_checking(self) -> None:
        self.checking = True
        self.details_button.hide()
        self._set_status(CHECKING, "")
        self.check_button.setEnabled(False)
        self.cancel_button.setVisible(True)

    def set_checked(self, facts: ModelFacts, values: Mapping[str, Any] | None = None) -> None:
        """A passing check: the summary and one field per knob (``values`` restore earlier
        choices; the rest start at the factory's defaults)."""
        self.facts = facts
        self.details = ""
        self.checking = False
        self.details_button.hide()
        self.check_button.setEnabled(True)
        self.cancel_button.setVisible(False)
        self._set_status(facts.summary(), "ok")
        self._fill_knobs(facts.defaults, facts.knob_help, values or {})

    def set_failed(self, message: str, details: str = "") -> None:
        """The model did not pass: one line, and its traceback behind Details…."""
        self.facts = None
        self.details = details
        self.checking = False
        self.check_button.setEnabled(True)
        self.cancel_button.setVisible(False)
        self._set_status(message, "error")
        self.details_button.setVisible(bool(details))
        self._fill_knobs({}, {}, {})

    def _set_status(self, text: str, kind: str) -> None:
        self.status.setText(text)
        self.status.setObjectName({"error": "errorLabel", "ok": "okLabel"}.get(kind, "mutedLabel"))
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)

    def details_box(self) -> QMessageBox:
        """The details box: the one line, and the user's traceback as its detailed text."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Your model did not pass the check",
                          f"{self.status.text()}\n\nThis is an error in your model's code or reference, "
                          "not in Horsepower: the traceback below is from your code.", parent=self)
        box.setDetailedText(self.details)
        return box

    def show_details(self) -> None:
        if self.details:
            self.details_box().open()

    # ---- knobs ---------------------------------------------------------------------------
    def _fill_knobs(self, defaults: Mapping[str, KnobValue], help_text: Mapping[str, str],
                    values: Mapping[str, Any]) -> None:
        while self.knob_form.rowCount():
            self.knob_form.removeRow(0)
        self.knobs = {}
        facts = self.facts
        for name, default in defaults.items():
            kind = facts.kinds.get(name, _kind(default)) if facts else _kind(default)
            choices = facts.choices.get(name, []) if facts else []
            box = knob_field(name, kind, default, choices, help_text.get(name, ""))
            box.set_value(values.get(name, default))
            self.knobs[name] = box
            self.knob_form.addRow(name.replace("_", " "), box.widget)

    def knob_values(self) -> dict[str, KnobValue]:
        """Every knob's current value (defaults included), each of its own type."""
        return {name: box.value() for name, box in self.knobs.items()}

    def knob_overrides(self) -> dict[str, KnobValue]:
        """The knobs set away from the factory's defaults (a spec's ``knobs``)."""
        return self.facts.overrides(self.knob_values()) if self.facts is not None else {}

    def set_enabled_for_run(self, enabled: bool) -> None:
        for w in (self.reference, self.browse, *(box.widget for box in self.knobs.values())):
            w.setEnabled(enabled)
        self.check_button.setEnabled(enabled and not self.checking)
