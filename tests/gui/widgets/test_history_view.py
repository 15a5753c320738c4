"""History view over a temporary store with two fabricated runs (offscreen)."""

from __future__ import annotations

import pytest

from gui.widgets.history_view import COLUMNS, HistoryView
from profiler.history import HistoryStore
from tests.helpers import fabricated
from tests.paths import REPO_ROOT


@pytest.fixture
def store(tmp_path):
    store = HistoryStore(tmp_path)
    store.store_result(fabricated("cpu-run", "cpu", step_s=0.02).to_dict())
    store.store_result(fabricated("gpu-run", "cuda:0", step_s=0.005, energy_j=10.0).to_dict())
    yield store
    store.close()


def cell(view, row, col):
    return view.model.data(view.model.index(row, col))


def test_history_view_shows_filters_renames_deletes(qtbot, store, tmp_path):
    view = HistoryView(store)
    qtbot.addWidget(view)
    assert view.model.rowCount() == 2
    shown = {cell(view, r, 2): cell(view, r, COLUMNS.index("Samples/s")) for r in range(2)}
    assert shown == {"cpu": "1,600", "cuda:0": "6,400"}
    view.filter_edit.setText("cuda")
    assert view.model.rowCount() == 1 and cell(view, 0, 2) == "cuda:0"
    view.filter_edit.setText("")
    view.rename("cpu-run", "my laptop")
    assert "my laptop" in {cell(view, r, 0) for r in range(2)}
    view.delete(["gpu-run"])
    assert view.model.rowCount() == 1


def test_history_view_rerun_and_export(qtbot, store, tmp_path):
    view = HistoryView(store)
    qtbot.addWidget(view)
    view.table.selectRow(0)
    selected = view.selected_ids()
    assert len(selected) == 1
    with qtbot.waitSignal(view.sig_rerun_requested) as blocker:
        view.buttons["Re-run"].click()
    assert blocker.args[0]["workload"] == "mlp" and blocker.args[0]["origin"] == "re-run"
    assert blocker.args[0]["device"] == store.get(selected[0])["device"]
    target = tmp_path / "out.csv"
    with qtbot.waitSignal(view.sig_export_finished):
        view.export(selected[0], "csv", str(target))
    assert target.read_text().startswith("t_s,step,stage")


def test_history_names_runs_apart_and_hides_generated_ones(qtbot, tmp_path):
    store = HistoryStore(tmp_path)
    for i, width in enumerate((64, 256, 1024)):
        store.store_result(fabricated(f"s{i}", "cpu", knobs={"width": width}, origin="sweep").to_dict())
    store.store_result(fabricated("d", "cpu", origin="demo").to_dict())
    store.store_result(fabricated("b", "cpu", precision="bf16", threads=1).to_dict())
    view = HistoryView(store)
    qtbot.addWidget(view)
    names = [cell(view, r, 0) for r in range(5)]
    assert len(set(names)) == 5
    assert "mlp-S width=256 bs32 fp32 · sweep" in names  # the Device column says "cpu"
    assert "mlp-S bs32 fp32 · presentation" in names
    assert "mlp-S bs32 bf16 1 thread" in names
    bf16 = names.index("mlp-S bs32 bf16 1 thread")
    assert [cell(view, bf16, c) for c in (3, 4, 5, 6)] == ["mlp-S", "32", "bf16", "1"]
    view.hide_generated.setChecked(True)
    assert [cell(view, r, 0) for r in range(view.model.rowCount())] == ["mlp-S bs32 bf16 1 thread"]
    store.close()


def test_rename_opens_with_the_name_and_delete_names_the_run(qtbot, store):
    view = HistoryView(store)
    qtbot.addWidget(view)
    view.table.selectRow(0)
    [run_id] = view.selected_ids()
    current = view.name_of(run_id)
    asked = []
    view.ask_text = lambda title, label, text: (asked.append(text), ("renamed", True))[1]
    view.buttons["Rename"].click()
    assert asked == [current]
    assert view.name_of(run_id) == "renamed"
    questions = []
    view.table.selectRow(0)
    view.ask_yes = lambda title, text: (questions.append(text), False)[1]
    view.buttons["Delete"].click()
    assert "“renamed”" in questions[0] and run_id in questions[0]
    assert view.model.rowCount() == 2  # answered no: nothing deleted


def test_history_picks_up_a_run_stored_by_another_process_within_3_s(qtbot, store, tmp_path):
    """A run stored by `horsepower run` (another process) appears without a restart or a refresh."""
    import subprocess
    import sys
    import time

    view = HistoryView(store)
    qtbot.addWidget(view)
    view.table.selectRow(0)
    kept = view.selected_ids()
    root = REPO_ROOT
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from profiler.history import HistoryStore; "
            "from tests.helpers import fabricated; s = HistoryStore(sys.argv[2]); "
            "s.store_result(fabricated('elsewhere', 'cpu').to_dict()); s.close()")
    child = subprocess.Popen([sys.executable, "-c", code, str(root), str(tmp_path)])
    try:
        assert child.wait(timeout=60) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    stored = time.monotonic()
    qtbot.waitUntil(lambda: "elsewhere" in {r.run_id for r in view.model.runs}, timeout=3000)
    assert time.monotonic() - stored < 3.0
    assert view.selected_ids() == kept  # the reload keeps what the user selected
    view.close_watch()


def test_history_details_pane_context_menu_and_ctrl_c_copy(qtbot, store):
    from PySide6.QtGui import QGuiApplication

    view = HistoryView(store)
    qtbot.addWidget(view)
    view.show()
    view.table.selectRow(0)
    run_id = view.selected_ids()[0]
    text = view.details.text.toPlainText()
    assert run_id in text and "Samples/s" in text and "Started" in text
    view.details.copy_button.click()
    assert QGuiApplication.clipboard().text() == text
    view.row_actions.copy_rows()
    copied = QGuiApplication.clipboard().text().splitlines()
    assert copied[0].startswith("Name\tStatus\tDevice") and len(copied) == 2  # the header and the whole row
    rect = view.table.visualRect(view.model.index(1, 0))
    menu = view.row_actions.menu_at(rect.center())
    assert menu is not None
    assert [a.text() for a in menu.actions() if a.text()][:2] == ["Copy row", "Copy run details"]
    assert view.selected_ids() == [view.model.runs[1].run_id]  # a right click selects the row it is on
    next(a for a in menu.actions() if a.text() == "Copy run details").trigger()
    assert view.model.runs[1].run_id in QGuiApplication.clipboard().text()
    menu.close()
    view.close_watch()


def test_one_start_time_in_history_the_details_pane_and_the_report(qtbot, tmp_path):
    """A run recorded live: its row is made as it is launched, its result says when it started
    (seconds later, after preparing); History, the details pane and the report show that one."""
    from profiler import units
    from profiler.reports.stakeholder import stakeholder_report

    result = fabricated("live-run", "cpu", step_s=0.02)
    result.started_at = 1_780_000_000.0
    store = HistoryStore(tmp_path)
    try:
        store.begin_run(result.run_id, result.spec, status="running")  # the launch: a few seconds earlier
        store.finish_run(result.run_id, result.to_dict())
        view = HistoryView(store)
        qtbot.addWidget(view)
        started = units.started_text(result.started_at)
        assert started == units.started_text(1_780_000_000) and len(started) == 19  # 2026-05-28 20:26:40
        assert cell(view, 0, COLUMNS.index("Started")) == started
        view.table.selectRow(0)
        assert started in view.details.text.toPlainText()
        assert started in stakeholder_report([result.to_dict()])
        view.close_watch()
    finally:
        store.close()
