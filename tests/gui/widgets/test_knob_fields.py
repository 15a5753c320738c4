"""A model's knobs become fields of their own type in the sidebar: int, float, bool and str."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox

from gui.widgets.model_picker import ModelFacts, ModelPicker

CHECK = {  # what the engine's model check answers for examples/custom_optimizer.py with a name knob added
    "label": "custom_optimizer.py:build", "params": 935_434, "batch_size": 64, "sample_unit": "images",
    "knobs": {"width": 512, "lr": 0.1, "activation": "relu", "layer_norm": True, "tag": "run-a"},
    "knob_kinds": {"width": "int", "lr": "float", "activation": "str", "layer_norm": "bool", "tag": "str"},
    "knob_choices": {"activation": ["relu", "gelu", "tanh"]}, "knob_help": {"lr": "SGD learning rate"},
    "loss_source": "loss(output, target) of the workload", "optimizer": "SGD", "checked_on": "meta",
}


def test_each_knob_gets_a_field_of_its_type_and_runs_carry_typed_values(qtbot) -> None:
    picker = ModelPicker()
    qtbot.addWidget(picker)
    facts = ModelFacts.from_check("examples/custom_optimizer.py:build", CHECK)
    picker.set_checked(facts, {"width": 256, "lr": "not a number"})  # a stale preference of the wrong type is ignored
    fields = picker.knobs
    assert isinstance(fields["width"], QSpinBox) and isinstance(fields["lr"], QDoubleSpinBox)
    assert isinstance(fields["layer_norm"], QCheckBox) and isinstance(fields["activation"], QComboBox)
    assert isinstance(fields["tag"], QLineEdit)
    assert picker.knob_values() == {"width": 256, "lr": 0.1, "activation": "relu", "layer_norm": True, "tag": "run-a"}
    assert "SGD learning rate (default 0.1)" in fields["lr"].toolTip()
    fields["lr"].setValue(0.05)
    fields["layer_norm"].setChecked(False)
    fields["activation"].setCurrentText("gelu")
    fields["tag"].setText("run-b")
    assert picker.knob_overrides() == {"width": 256, "lr": 0.05, "layer_norm": False, "activation": "gelu",
                                       "tag": "run-b"}
    assert facts.int_knobs() == ["width"]  # only integers can be swept
    assert "loss from loss(output, target)" in facts.summary() and "optimizer SGD" in facts.summary()
