"""Issue 15 in the window: a scripted run whose --json cannot be written still quits (exit 1,
one line, where the result is); history that cannot keep a whole run says so in a banner and
marks the row incomplete; damaged stored rows get a notice and a Delete, never a crash."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from gui.app.scripted_run import ScriptedRun
from gui.widgets.history_view import HistoryView
from gui.window.main_window import MainWindow
from profiler.history import HistoryStore
from profiler.history import recorder as recorder_module
from profiler.results.spec import RunSpec
from tests.fakes.engine import fake_catalog, fake_supervise
from tests.helpers import fabricated

needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this machine")


def hostile_store(directory: Path) -> HistoryStore:
    """A store holding a good run, one with times and figures out of range, and one whose
    result and spec are not JSON (as a hand-edited or half-written database would)."""
    store = HistoryStore(directory)
    for run_id in ("good", "far-future", "garbage"):
        store.store_result(fabricated(run_id).to_dict())
    with store._conn:
        store._conn.execute("UPDATE runs SET created_at=1e300, samples_per_s=9e999 WHERE id='far-future'")
        store._conn.execute("UPDATE runs SET result='{not json', spec='[]' WHERE id='garbage'")
    return store


def test_damaged_rows_get_a_notice_and_delete_removes_them(qtbot, tmp_path):
    store = hostile_store(tmp_path)
    try:
        view = HistoryView(store)
        qtbot.addWidget(view)
        view.show()
        assert {r.run_id for r in view.model.runs} == {"good", "far-future", "garbage"}  # listed, not crashed
        assert view.notice.isVisible() and "far-future" in view.notice.text.text()
        assert "out of range" in view.notice.text.text()
        seen: list[dict[str, Any]] = []
        view.sig_rerun_requested.connect(seen.append)
        view.rerun("garbage")  # its spec cannot be read: nothing to re-run, and it is named
        assert seen == [] and "garbage" in view.notice.text.text() and view.notice.run_ids == ["far-future", "garbage"]
        assert view.notice.delete_button.text() == "Delete damaged runs"
        asked: list[str] = []
        view.ask_yes = lambda title, text: asked.append(text) or True
        view.notice.delete_button.click()
        assert "far-future, garbage" in asked[0]
        assert [r.run_id for r in view.model.runs] == ["good"]
        assert not view.notice.isVisible() and store.damaged == {}
    finally:
        store.close()


def test_the_history_tab_opens_over_damaged_rows(qtbot):
    hostile_store(Path(os.environ["HORSEPOWER_DATA_DIR"])).close()
    win = MainWindow(catalog_fn=fake_catalog, supervise_fn=fake_supervise)
    qtbot.addWidget(win)
    win.show()
    try:
        qtbot.waitUntil(lambda: win.workspace.history_view() is not None, timeout=5000)
        win.workspace.show_tab("History")
        view = win.workspace.history_view()
        assert len(view.model.runs) == 3 and view.notice.isVisible()
        win.workspace.compare_runs(["good", "garbage"])  # garbage cannot be rebuilt: left out, said
        assert "garbage" in win.banner.plain_text() and "Delete them on the History tab" in win.banner.plain_text()
    finally:
        win.shutdown()


def test_history_that_drops_rows_says_so_in_a_banner_and_marks_the_row(qtbot, monkeypatch):
    """A full disk for the first 0.6 s of the run, with a small buffer: rows are dropped."""
    monkeypatch.setattr(recorder_module, "RETRY_FIRST_S", 0.01)
    monkeypatch.setattr(recorder_module, "MAX_BUFFERED_ROWS", 10)
    real_append = HistoryStore.append
    full_until = [float("inf")]

    def append(self, *args, **kwargs):
        if time.monotonic() < full_until[0]:
            raise sqlite3.OperationalError("database or disk is full")
        return real_append(self, *args, **kwargs)

    monkeypatch.setattr(HistoryStore, "append", append)
    win = MainWindow(catalog_fn=fake_catalog, supervise_fn=fake_supervise)
    qtbot.addWidget(win)
    win.show()
    try:
        qtbot.waitUntil(lambda: win.history.ready, timeout=5000)
        full_until[0] = time.monotonic() + 0.6
        [run_id] = win.start_runs([RunSpec(workload="mlp", device="cpu", duration_s=1.2)])
        qtbot.waitUntil(lambda: run_id in win.history.outcomes, timeout=15000)
        outcome = win.history.outcomes[run_id]
        assert not outcome.complete and outcome.final_stored and outcome.rows_dropped > 0
        qtbot.waitUntil(lambda: "Run history is incomplete" in win.banner.plain_text(), timeout=3000)
        text = win.banner.plain_text()
        assert "marked incomplete" in text and f"of run {run_id}" in text
        assert "figures on the Live page are complete" in text
        assert run_id in win.session.results  # the result itself is whole
        view = win.workspace.history_view()
        qtbot.waitUntil(lambda: any(r.run_id == run_id and r.incomplete for r in view.model.runs), timeout=3000)
        row = next(i for i, r in enumerate(view.model.runs) if r.run_id == run_id)
        status = view.model.data(view.model.index(row, 1))
        assert status == "completed · incomplete"
        tip = view.model.data(view.model.index(row, 1), 3)  # ToolTipRole
        assert tip.startswith("Incomplete in history:") and "steps stored" in tip
    finally:
        win.shutdown()


class _Quit:
    """Stands in for QApplication.quit: a test's event loop must keep running."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


@needs_dev_full
@pytest.mark.parametrize("in_history", [True, False])
def test_a_scripted_run_whose_json_cannot_be_written_still_quits(qtbot, monkeypatch, caplog, in_history):
    quit_ = _Quit()
    monkeypatch.setattr(QApplication, "quit", quit_)
    win = MainWindow(catalog_fn=fake_catalog, supervise_fn=fake_supervise)
    qtbot.addWidget(win)
    win.show()
    if not in_history:
        monkeypatch.setattr(win.history, "in_history", lambda run_id: False)
    script = ScriptedRun(win, RunSpec(workload="mlp", device="cpu", duration_s=0.5), None, "/dev/full", 30.0)
    caplog.set_level(logging.ERROR, logger="gui.app.scripted_run")
    try:
        script.start()
        qtbot.waitUntil(lambda: quit_.calls == 1, timeout=15000)
        assert script.exit_code == 1
        [line] = [r.getMessage() for r in caplog.records if r.name == "gui.app.scripted_run"]
        assert line.startswith("--json not written: cannot write /dev/full: No space left on device; ")
        if in_history:
            assert f"the run is in history as {script.run_id}" in line
        else:
            rescued = line.split("the result was saved to ", 1)[1].removesuffix(" instead")
            assert json.loads(Path(rescued).read_text())["run_id"] == script.run_id
            Path(rescued).unlink()
        qtbot.waitUntil(lambda: not win.isVisible(), timeout=3000)  # the window closed too
    finally:
        win.shutdown()


@pytest.mark.slow
@needs_dev_full
def test_scripted_json_to_a_full_device_exits_1_with_one_line(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-m", "gui.app.launcher", "gui", "--run", "cpu:mlp", "--duration", "1",
         "--batch-size", "32", "--threads", "1", "--json", "/dev/full", "--quit-after", "90"],
        env=env, capture_output=True, text=True, timeout=150,
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, proc.stderr[-2000:]
    assert "--json not written: cannot write /dev/full: No space left on device" in errors[0]
    assert "horsepower export" in errors[0] or "saved to" in errors[0]
    assert "Traceback" not in proc.stderr
