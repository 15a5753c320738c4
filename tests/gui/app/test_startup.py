"""Start-up: the window paints before torch is imported; discovery still loads afterwards."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading

import pytest
from PySide6.QtWidgets import QWidget

from gui.app.startup_gate import WAIT_LIMIT_S, StartupGate
from tests.helpers import WAIT_S

STARTUP_LINE = re.compile(r"startup: window shown after ([0-9.]+)s \(torch imported: (yes|no)\)")


@pytest.mark.slow
def test_window_is_shown_before_torch_is_imported(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HORSEPOWER_REPORT_STARTUP": "1",
           "HORSEPOWER_LOG_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "gui.app.launcher", "gui", "--quit-after", "6"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    match = STARTUP_LINE.search(proc.stdout)
    assert match, proc.stdout[-2000:]
    assert match.group(2) == "no", "torch was imported before the window was first shown"
    assert 0 < float(match.group(1)) < 60
    # after the first paint, device discovery (which imports torch) still started (on a busy
    # machine it may not finish within the window's 6 s)
    assert "device discovery started" in (tmp_path / "horsepower.log").read_text()


def test_gate_holds_work_until_the_first_paint(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    gate = StartupGate(widget)
    gate.watch(widget, fallback_ms=60_000)
    ran: list[str] = []
    gate.call_when_open(lambda: ran.append("callback"))
    at_gate = threading.Event()
    real_wait = gate.wait

    def wait(timeout_s: float = WAIT_LIMIT_S) -> bool:
        at_gate.set()
        return real_wait(timeout_s)

    gate.wait = wait  # type: ignore[method-assign]  # to see the thread reach the gate
    gated = gate.deferred(lambda: "loaded", lambda: "cancelled")
    out: list[str] = []
    worker = threading.Thread(target=lambda: out.append(gated()))
    worker.start()
    assert at_gate.wait(WAIT_S), "the worker never reached the gate"
    assert out == [] and ran == [] and not gate.is_open() and worker.is_alive()
    widget.show()
    qtbot.waitUntil(gate.is_open, timeout=3000)
    worker.join(5)
    assert out == ["loaded"] and ran == ["callback"]


def test_gate_cancel_releases_waiters_without_their_work(qtbot):
    gate = StartupGate()
    gated = gate.deferred(lambda: "loaded", lambda: "cancelled")
    out: list[str] = []
    worker = threading.Thread(target=lambda: out.append(gated()))
    worker.start()
    gate.call_when_open(lambda: out.append("callback"))
    gate.cancel()
    worker.join(5)
    assert out == ["cancelled"]


def test_gate_opens_after_the_fallback_for_a_window_never_painted(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    gate = StartupGate(widget)
    gate.watch(widget, fallback_ms=50)
    qtbot.waitUntil(gate.is_open, timeout=2000)
