"""One field per model knob, typed as the factory declares it. GUI thread.

An ``int`` knob is a spin box, a ``float`` a number field, a ``bool`` a check box, a ``str``
with choices (``Literal[...]``) a drop-down list and any other ``str`` a text field. Each has
``value()`` (of the knob's type), ``set_value(v)`` (ignores a value of the wrong type, as an
old preference may hold) and ``widget`` (itself, for layouts).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Union

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox, QWidget

KnobValue = Union[int, float, bool, str]  # noqa: UP007  # a runtime alias (PySide6 signals accept it)
INT_LIMIT = 2**31 - 1  # QSpinBox's range
FLOAT_DECIMALS = 6
TEXT_MAX = 200  # a str knob's longest value (profiler.workloads.knobs.MAX_TEXT)


def _tip(name: str, kind: str, default: KnobValue, help_text: str) -> str:
    shown = str(default).lower() if isinstance(default, bool) else str(default)
    return f"{help_text or name} (default {shown}); a {kind} keyword argument of your factory"


class IntKnob(QSpinBox):
    def __init__(self, default: int) -> None:
        super().__init__(minimum=-INT_LIMIT, maximum=INT_LIMIT)
        self.setValue(max(-INT_LIMIT, min(INT_LIMIT, default)))

    @property
    def widget(self) -> QWidget:
        return self

    def set_value(self, value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= INT_LIMIT:
            self.setValue(value)


class FloatKnob(QDoubleSpinBox):
    def __init__(self, default: float) -> None:
        super().__init__(decimals=FLOAT_DECIMALS, minimum=-1e12, maximum=1e12)
        step = 10 ** math.floor(math.log10(abs(default))) / 10 if default else 0.01
        self.setSingleStep(max(step, 10**-FLOAT_DECIMALS))
        self.setValue(default)

    @property
    def widget(self) -> QWidget:
        return self

    def set_value(self, value: Any) -> None:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            self.setValue(float(value))


class BoolKnob(QCheckBox):
    def __init__(self, default: bool) -> None:
        super().__init__()
        self.setChecked(default)

    @property
    def widget(self) -> QWidget:
        return self

    def value(self) -> bool:
        return self.isChecked()

    def set_value(self, value: Any) -> None:
        if isinstance(value, bool):
            self.setChecked(value)


class ChoiceKnob(QComboBox):
    def __init__(self, default: str, choices: Sequence[str]) -> None:
        super().__init__()
        self.addItems(list(choices))
        self.set_value(default)

    @property
    def widget(self) -> QWidget:
        return self

    def value(self) -> str:
        return self.currentText()

    def set_value(self, value: Any) -> None:
        index = self.findText(value) if isinstance(value, str) else -1
        if index >= 0:
            self.setCurrentIndex(index)


class TextKnob(QLineEdit):
    def __init__(self, default: str) -> None:
        super().__init__(default)
        self.setMaxLength(TEXT_MAX)
        self._default = default

    @property
    def widget(self) -> QWidget:
        return self

    def value(self) -> str:
        return self.text().strip() or self._default  # an emptied field means the default

    def set_value(self, value: Any) -> None:
        if isinstance(value, str):
            self.setText(value)


KnobField = Union[IntKnob, FloatKnob, BoolKnob, ChoiceKnob, TextKnob]  # noqa: UP007


def knob_field(name: str, kind: str, default: KnobValue, choices: Sequence[str], help_text: str) -> KnobField:
    """The field for one knob of ``kind`` ("int", "float", "bool", "str")."""
    box: KnobField
    if kind == "bool" and isinstance(default, bool):
        box = BoolKnob(default)
    elif kind == "int" and isinstance(default, int) and not isinstance(default, bool):
        box = IntKnob(default)
    elif kind == "float" and isinstance(default, (int, float)) and not isinstance(default, bool):
        box = FloatKnob(float(default))
    elif choices:
        box = ChoiceKnob(str(default), choices)
    else:
        box = TextKnob(str(default))
    box.setToolTip(_tip(name, kind, default, help_text))
    return box
