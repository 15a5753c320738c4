"""The window over the real engine: worker processes, stop, close, and injected faults.

Each test spawns a worker that imports torch (~2-4 s here), so the model is tiny.
"""

from __future__ import annotations

import time

import pytest

from gui.runs import event_ingest as ingest
from gui.window.main_window import MainWindow
from tests.fakes.engine import fake_catalog, worker_children
from tests.helpers import WAIT_MS, WORKER_START_TIMEOUT_MS, tiny


@pytest.fixture
def window(qtbot):
    win = MainWindow(catalog_fn=fake_catalog)  # real supervise
    qtbot.addWidget(win)
    win.show()
    yield win
    win.shutdown()


def _wait_for_steps(qtbot, win: MainWindow, run_id: str, n: int = 5) -> None:
    qtbot.waitUntil(lambda: win.store.version(run_id, ingest.STEP_TIME_MS) >= n,
                    timeout=WORKER_START_TIMEOUT_MS)


def test_cpu_run_puts_data_in_plots(window, qtbot):
    [run_id] = window.start_runs([tiny(1.0)])
    qtbot.waitUntil(lambda: run_id in window.session.results, timeout=WORKER_START_TIMEOUT_MS)
    result = window.session.results[run_id]
    assert result["status"] == "completed", result["error"]
    assert result["samples_per_s"] > 0
    window.tick()
    points = window.plots.curve_points()
    assert points["throughput"] > 5 and points["step_time"] > 5 and points["loss"] > 5
    assert points["util"] >= 1 and points["memory"] >= 1  # host telemetry arrived
    assert window.table.rowCount() == 1
    assert window.cards.samples.value.text() != "n/a"


def test_stop_ends_a_real_run_and_keeps_it_as_stopped(window, qtbot):
    """Stop ends a 60 s run in the worker after the step in flight (or the supervisor kills it
    after its 1 s grace); no wall-clock limit here: a busy machine is slow, not wrong."""
    [run_id] = window.start_runs([tiny(60.0)])
    _wait_for_steps(qtbot, window, run_id)
    window.stop_runs()
    qtbot.waitUntil(lambda: run_id in window.session.results, timeout=WAIT_MS)
    result = window.session.results[run_id]
    assert result["status"] == "stopped" and result["timed_s"] < 60
    qtbot.waitUntil(lambda: not window.runs.busy, timeout=WAIT_MS)


def test_close_mid_run_leaves_no_thread_or_worker(qtbot):
    win = MainWindow(catalog_fn=fake_catalog)
    qtbot.addWidget(win)
    win.show()
    [run_id] = win.start_runs([tiny(60.0)])
    _wait_for_steps(qtbot, win, run_id)
    assert worker_children(), "the run should have a worker process"
    started = time.perf_counter()
    win.close()
    assert time.perf_counter() - started < 2.0
    assert not win.runs.busy
    assert not worker_children()


@pytest.mark.parametrize(("fault", "reason"), [
    ("worker-exception", "injected fault"),
    ("worker-abort", "SIGABRT"),
])
def test_worker_fault_marks_run_failed_and_window_keeps_working(window, qtbot, monkeypatch,
                                                                fault, reason):
    monkeypatch.setenv("HORSEPOWER_FAULT", fault)
    [run_id] = window.start_runs([tiny(5.0)])
    qtbot.waitUntil(lambda: run_id in window.session.results, timeout=WORKER_START_TIMEOUT_MS)
    result = window.session.results[run_id]
    assert result["status"] == "failed"
    assert reason in result["error"]
    assert not window.banner.isHidden()
    assert reason in window.banner.plain_text()
    assert window.isVisible()
    qtbot.waitUntil(lambda: window.controls.stop_button.isEnabled() is False, timeout=5000)
