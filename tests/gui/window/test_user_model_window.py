"""The sidebar's "Your model…": checked by the real engine in a child process, off the GUI thread."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from gui.viewmodel.preferences import Preferences
from gui.widgets.run_controls import YOUR_MODEL
from gui.window.main_window import MainWindow
from profiler.results.model_ref import USER_WORKLOAD
from tests.fakes.engine import fake_catalog, fake_supervise
from tests.paths import REPO_ROOT

REPO = REPO_ROOT
EXAMPLE = f"{REPO / 'examples' / 'plain_model.py'}:build"
CHECK_TIMEOUT_MS = 90_000  # a child process imports torch and builds the model

BROKEN = '''
def build(width: int = 8):
    return helper(width)


def helper(width):
    raise ZeroDivisionError(f"my model breaks at width {width}")
'''


def open_window(qtbot, prefs: Path) -> MainWindow:
    win = MainWindow(catalog_fn=fake_catalog, supervise_fn=fake_supervise, preferences=Preferences(prefs))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: bool(win.controls.workloads), timeout=5000)
    return win


@pytest.fixture
def window(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path / "window.json")
    yield win
    win.shutdown()


def pick_your_model(win: MainWindow, reference: str) -> None:
    combo = win.controls.workload
    combo.setCurrentIndex(combo.findData(USER_WORKLOAD))
    assert combo.currentText() == YOUR_MODEL and win.controls.model_picker.isVisible()
    picker = win.controls.model_picker
    picker.reference.setText(reference)
    picker.reference.textEdited.emit(reference)


def test_a_broken_factory_shows_one_line_and_their_traceback(window, qtbot, tmp_path):
    model = tmp_path / "broken_model.py"
    model.write_text(BROKEN)
    pick_your_model(window, f"{model}:build")
    picker = window.controls.model_picker
    picker.check_button.click()
    qtbot.waitUntil(lambda: not picker.checking, timeout=CHECK_TIMEOUT_MS)
    line = picker.status.text()
    assert picker.facts is None and picker.status.objectName() == "errorLabel"
    assert "\n" not in line and "my model breaks at width 8" in line
    assert picker.details_button.isVisible() and not picker.knobs
    box = picker.details_box()
    traceback = box.detailedText()
    assert "broken_model.py" in traceback and "helper" in traceback and "ZeroDivisionError" in traceback
    assert "not in Horsepower" in box.text()


def test_a_reference_to_no_file_is_one_line_at_once(window):
    pick_your_model(window, "no_such_model.py:build")
    picker = window.controls.model_picker
    picker.check_button.click()  # answered before any thread or process starts
    assert picker.status.objectName() == "errorLabel" and "no such file" in picker.status.text()
    assert not picker.details_button.isVisible() and not window.user_model.checker.busy


def test_the_example_checks_off_the_gui_thread_its_knobs_become_fields_and_it_is_remembered(qtbot, tmp_path):
    prefs = tmp_path / "window.json"
    win = open_window(qtbot, prefs)
    threads: list[str] = []
    checker = win.user_model.checker
    real = checker.check_fn

    def spy(spec):
        threads.append(threading.current_thread().name)
        return real(spec)

    checker.check_fn = spy
    try:
        pick_your_model(win, EXAMPLE)
        picker = win.controls.model_picker
        picker.check_button.click()
        assert picker.checking and not picker.check_button.isEnabled()  # the window did not wait
        qtbot.waitUntil(lambda: picker.facts is not None, timeout=CHECK_TIMEOUT_MS)
        assert threads and threads[0] != threading.main_thread().name
        assert set(picker.knobs) == {"channels", "hidden"}
        assert picker.knobs["channels"].value() == 32 and picker.knobs["hidden"].value() == 128
        assert "channels of the first conv" in picker.knobs["channels"].toolTip()
        assert picker.status.text().startswith("\u2713 ") and "images" in picker.status.text()
        picker.knobs["channels"].setValue(48)
        [spec] = win.controls.specs_for(["cpu"])
        assert spec.is_user_model and spec.knobs == {"channels": 48}
        sweep_workloads = win.workspace.sweep._catalog[0]
        assert USER_WORKLOAD in sweep_workloads  # the Sweep form offers the checked model
    finally:
        win.shutdown()

    again = open_window(qtbot, prefs)  # the next launch: the same model, re-checked, knobs as left
    try:
        picker = again.controls.model_picker
        assert again.controls.workload_name() == USER_WORKLOAD and picker.text() == EXAMPLE
        qtbot.waitUntil(lambda: picker.facts is not None, timeout=CHECK_TIMEOUT_MS)
        assert picker.knobs["channels"].value() == 48 and picker.knobs["hidden"].value() == 128
        assert EXAMPLE in picker.recent
    finally:
        again.shutdown()
