"""No display: a clear message and exit code 2 instead of a Qt abort."""

from __future__ import annotations

import pytest

from gui.app.display_check import display_problem
from gui.app.scripted_run import parse_run
from gui.app.window_command import run_app


def test_display_problem_cases():
    assert display_problem({}, "linux").startswith("no display found: ")
    assert "horsepower run" in display_problem({}, "linux")
    assert display_problem({"DISPLAY": ":0"}, "linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({}, "win32") is None
    assert display_problem({}, "darwin") is None


def test_run_app_without_display_returns_2(monkeypatch, capsys):
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert run_app(["gui"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("no display found: ") and "`horsepower run`" in err


def test_run_app_rejects_bad_run_argument(capsys):
    assert run_app(["--run", "cpu"]) == 2
    assert "DEVICE:WORKLOAD" in capsys.readouterr().err


def test_parse_run():
    assert parse_run("cpu:mlp") == ("cpu", "mlp")
    assert parse_run("cuda:1:mlp") == ("cuda:1", "mlp")
    with pytest.raises(ValueError):
        parse_run("mlp")


def test_window_modules_do_not_import_torch():
    """The window must appear before torch finishes importing (discovery loads it later)."""
    import subprocess
    import sys

    code = ("import sys, gui.app.window_command, gui.window.main_window, gui.app.scripted_run; "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
