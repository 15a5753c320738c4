"""Start-up: the window paints before torch is imported; discovery still loads afterwards."""

from __future__ import annotations

import os
import re
import subprocess
import sys

STARTUP_LINE = re.compile(r"startup: window shown after ([0-9.]+)s \(torch imported: (yes|no)\)")


def test_window_is_shown_before_torch_is_imported(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HORSEPOWER_REPORT_STARTUP": "1",
           "HORSEPOWER_LOG_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "gui.launcher", "gui", "--quit-after", "6"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    match = STARTUP_LINE.search(proc.stdout)
    assert match, proc.stdout[-2000:]
    assert match.group(2) == "no", "torch was imported before the window was first shown"
    assert 0 < float(match.group(1)) < 60
    # after the first paint, device discovery (which imports torch) still ran
    assert re.search(r"found \d+ device\(s\)", (tmp_path / "horsepower.log").read_text())
