"""History view over a temporary store with two fabricated runs (offscreen)."""

from __future__ import annotations

import pytest

from gui.widgets.history_view import HistoryView
from profiler.history import HistoryStore
from tests.helpers import fabricated


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
    shown = {cell(view, r, 2): cell(view, r, 4) for r in range(2)}
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
    assert blocker.args[0]["workload"] == "mlp"
    assert blocker.args[0]["device"] == store.get(selected[0])["device"]
    target = tmp_path / "out.csv"
    with qtbot.waitSignal(view.sig_export_finished):
        view.export(selected[0], "csv", str(target))
    assert target.read_text().startswith("t_s,step,phase")
