"""The window's tabs over a synthetic engine: history, re-run, compare, value, exports."""

from __future__ import annotations

import csv
import io
import os

import pytest
from PySide6.QtGui import QImage

from gui.window import exports as export_actions
from gui.window.main_window import MainWindow
from gui.window.tabs import TABS
from profiler.history import HistoryStore
from profiler.results.spec import RunSpec
from tests.fakes.engine import fake_catalog, fake_supervise
from tests.gui.window.window_kit import open_window
from tests.helpers import fabricated


@pytest.fixture
def window(qtbot):
    with open_window(qtbot, ready="store") as win:
        yield win


@pytest.fixture
def saved(monkeypatch, tmp_path):
    """Answer every save dialog with a path in tmp_path; records what was asked."""
    asked: list[str] = []

    def ask(parent, title, suggested, file_filter):
        asked.append(title)
        return str(tmp_path / os.path.basename(suggested))

    monkeypatch.setattr(export_actions, "ask_save_path", ask)
    return asked


def stored_pair(window) -> None:
    store = window.workspace.store
    store.store_result(fabricated("cpu-run", "cpu", step_s=0.02, name="laptop").to_dict())
    store.store_result(fabricated("gpu-run", "cuda:0", step_s=0.005, energy_j=10.0).to_dict())


def select_all(view) -> None:
    view.table.selectAll()


def test_tabs_live_is_default_and_empty_pages_say_what_to_do(window):
    tabs = window.workspace
    assert [tabs.tabText(i) for i in range(tabs.count())] == list(TABS)
    assert tabs.currentIndex() == 0 and tabs.live_png.isVisible()
    tabs.show_tab("History")
    assert not tabs.live_png.isVisible()
    assert tabs.history.showing_empty and "press Start" in tabs.history.empty.text.text()
    assert tabs.history.empty.button.isVisible()
    tabs.history.empty.button.click()  # "Go to Live"
    assert tabs.currentIndex() == 0
    for name, words in (("Compare", "Select two or more runs"), ("Value", "press Value")):
        page = tabs.show_tab(name)
        assert page.showing_empty and words in page.empty.text.text()
    tabs.show_tab("Sweep")
    assert tabs.sweep.view is not None and not tabs.sweep.showing_empty


def test_run_from_window_is_recorded_and_listed(window, qtbot):
    [run_id] = window.start_runs([RunSpec(workload="mlp", duration_s=0.5)])
    view = window.workspace.history_view()
    qtbot.waitUntil(lambda: run_id in [r.run_id for r in view.model.runs], timeout=5000)
    qtbot.waitUntil(lambda: view.model.runs[0].status == "completed", timeout=5000)
    run = window.workspace.store.get(run_id)
    assert run["status"] == "completed"
    assert len(run["series"]["steps"]["step"]) > 20
    assert run["series"]["telemetry"]["host.cpu_util_percent"]["value"]
    window.workspace.show_tab("History")
    assert not window.workspace.history.showing_empty


def test_rerun_starts_the_same_spec_on_live(window, qtbot):
    spec = RunSpec(workload="mlp", device="cpu", batch_size=64, knobs={"width": 128},
                   duration_s=0.3, name="stored")
    window.workspace.store.store_result(fabricated("old", "cpu").to_dict() | {
        "spec": spec.to_dict()})
    tabs = window.workspace
    tabs.show_tab("History")
    view = tabs.history.view
    view.table.selectRow(0)
    view.buttons["Re-run"].click()
    assert tabs.currentIndex() == 0
    assert window.runs.busy
    qtbot.waitUntil(lambda: len(window.session.specs) == 1, timeout=3000)
    [new_id] = list(window.session.specs)
    assert window.session.specs[new_id] == spec.replace(origin="re-run")
    qtbot.waitUntil(lambda: new_id in window.session.results, timeout=5000)
    qtbot.waitUntil(lambda: not window.runs.busy, timeout=3000)


def test_rerun_is_refused_while_a_run_is_going(window, qtbot):
    window.start_runs([RunSpec(workload="mlp", duration_s=30)])
    assert window.rerun(RunSpec(workload="mlp", duration_s=1)) == []
    assert "Cannot re-run" in window.banner.plain_text()
    window.stop_runs()
    qtbot.waitUntil(lambda: not window.runs.busy, timeout=3000)


def test_compare_selected_runs_shows_speedup_and_saves(window, qtbot, saved, tmp_path):
    stored_pair(window)
    tabs = window.workspace
    tabs.show_tab("History")
    history = tabs.history
    assert not history.compare_button.isEnabled()
    select_all(history.view)
    assert history.compare_button.isEnabled()
    history.compare_button.click()
    assert tabs.currentWidget() is tabs.compare and not tabs.compare.showing_empty
    view = tabs.compare.view
    speedups = {view.table.item(r, 3).text(): view.table.item(r, 9).text() for r in range(2)}
    assert speedups == {"cpu": "baseline", "cuda:0": "4.00×"}
    tabs.compare.png_button.click()
    tabs.compare.html_button.click()
    tabs.compare.csv_button.click()
    assert saved == ["Save PNG", "Save report", "Save CSV"]
    pngs = list(tmp_path.glob("horsepower-comparison*.png"))
    shown = view.content
    assert len(pngs) == 1
    image = QImage(str(pngs[0]))  # the table and charts at 2x, under a title strip; no picker
    assert image.width() == 2 * shown.width() and image.height() > 2 * shown.height()
    html = next(tmp_path.glob("horsepower-report*.html")).read_text()
    assert "Horsepower report" in html and "4.00× vs baseline" in html
    assert "True" not in html and "False" not in html
    rows = list(csv.DictReader(io.StringIO(next(tmp_path.glob("horsepower-runs*.csv")).read_text())))
    by_device = {r["device"]: r for r in rows}
    assert float(by_device["cuda:0"]["speedup"]) == pytest.approx(4.0)
    assert by_device["cpu"]["baseline"] == "yes" and by_device["cpu"]["samples_per_j"] == ""


def test_value_of_selection_and_live_png(window, saved, tmp_path):
    stored_pair(window)
    tabs = window.workspace
    tabs.show_tab("History")
    select_all(tabs.history.view)
    tabs.history.value_button.click()
    assert tabs.currentWidget() is tabs.value
    assert tabs.value.view.projection.rowCount() == 2
    tabs.show_live()
    tabs.live_png.click()
    png = next(tmp_path.glob("horsepower-live*.png"))
    assert QImage(str(png)).width() == 2 * window.live.width()  # the whole Live view at 2x


def test_damaged_history_is_moved_aside_and_said_in_the_banner(qtbot, tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "history.db").write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("HORSEPOWER_DATA_DIR", str(data))
    win = MainWindow(catalog_fn=fake_catalog, supervise_fn=fake_supervise)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: not win.banner.isHidden(), timeout=5000)
    assert "damaged" in win.banner.plain_text()
    assert list(data.glob("history.db.corrupt-*"))
    win.shutdown()


def test_unusable_history_still_runs(qtbot, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("HORSEPOWER_DATA_DIR", str(blocker / "data"))
    win = MainWindow(catalog_fn=fake_catalog, supervise_fn=fake_supervise)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: bool(win.history.error), timeout=5000)
    [run_id] = win.start_runs([RunSpec(workload="mlp", duration_s=0.3)])
    qtbot.waitUntil(lambda: run_id in win.session.results, timeout=5000)
    assert win.session.results[run_id]["status"] == "completed"
    win.workspace.show_tab("History")
    assert "unavailable" in win.workspace.history.empty.title.text()
    win.shutdown()


def test_history_is_written_while_the_run_goes(window, qtbot):
    """A second connection sees steps before the run ends: a crash loses about a second."""
    [run_id] = window.start_runs([RunSpec(workload="mlp", duration_s=30)])
    reader = HistoryStore()
    try:
        qtbot.waitUntil(lambda: len(reader.series(run_id)["steps"]["step"]) > 10, timeout=4000)
        assert window.runs.busy
        assert reader.get(run_id)["status"] == "measuring"
    finally:
        reader.close()
    window.stop_runs()
    qtbot.waitUntil(lambda: not window.runs.busy, timeout=3000)
