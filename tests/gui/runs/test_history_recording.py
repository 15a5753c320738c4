"""A real tiny CPU run started from the window lands in the history store, as it runs."""

from __future__ import annotations

from gui.window.main_window import MainWindow
from profiler.history import HistoryStore
from tests.fakes.engine import fake_catalog
from tests.helpers import WORKER_START_TIMEOUT_MS, tiny


def test_real_cpu_run_is_stored_with_its_steps_and_listed(qtbot):
    win = MainWindow(catalog_fn=fake_catalog)  # real supervise: a worker process
    qtbot.addWidget(win)
    win.show()
    try:
        [run_id] = win.start_runs([tiny(0.6)])
        qtbot.waitUntil(lambda: run_id in win.session.results, timeout=WORKER_START_TIMEOUT_MS)
        view = win.workspace.history_view()
        qtbot.waitUntil(lambda: [r.status for r in view.model.runs if r.run_id == run_id]
                        == ["completed"], timeout=5000)
        win.workspace.show_tab("History")
        assert not win.workspace.history.showing_empty
    finally:
        win.shutdown()
    with HistoryStore() as store:  # a fresh connection: the rows were committed
        run = store.get(run_id)
    assert run["status"] == "completed", run.get("error")
    assert run["samples_per_s"] > 0
    steps = run["series"]["steps"]
    timed = [s for s in steps["stage"] if s == "timed"]
    assert len(timed) == run["timed_steps"] > 0
    assert run["series"]["telemetry"], "host telemetry was recorded"
