"""`horsepower gui --run ... --screenshot --json --quit-after` end to end, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtGui import QImage


@pytest.mark.slow
def test_scripted_run_writes_screenshot_and_result_json(tmp_path):
    shot, result_json = tmp_path / "window.png", tmp_path / "result.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-m", "gui.app.launcher", "gui", "--run", "cpu:mlp", "--duration", "1",
         "--batch-size", "32", "--threads", "1", "--screenshot", str(shot),
         "--json", str(result_json), "--quit-after", "90"],
        env=env, capture_output=True, text=True, timeout=150,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    image = QImage(str(shot))
    assert not image.isNull() and image.width() >= 800 and image.height() >= 600
    result = json.loads(result_json.read_text())
    assert result["status"] == "completed"
    assert result["device"] == "cpu" and result["workload"] == "mlp"
    assert result["samples_per_s"] > 0
    for key in ("run_id", "step_time_s", "telemetry", "environment", "spec", "mfu", "error"):
        assert key in result


def test_scripted_bad_input_exits_2_before_any_window(tmp_path, capsys):
    from gui.app.window_command import run_app

    out = tmp_path / "r.json"
    assert run_app(["--run", "cpu:bert", "--json", str(out), "--quit-after", "5"]) == 2
    assert "unknown workload 'bert'; choose from mlp" in capsys.readouterr().err
    assert run_app(["--run", "cpu:mlp", "--json", str(tmp_path / "nope" / "r.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not out.exists()
