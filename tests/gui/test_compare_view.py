"""Compare view: numbers, baseline picker, charts (offscreen)."""

from __future__ import annotations

from gui.widgets.compare_view import CompareView
from profiler.history import HistoryStore
from tests.helpers import fabricated


def test_compare_view_speedup_and_baseline(qtbot, tmp_path):
    store = HistoryStore(tmp_path)
    store.store_result(fabricated("gpu-run", "cuda:0", step_s=0.005, energy_j=10.0).to_dict())
    store.store_result(fabricated("cpu-run", "cpu", step_s=0.02).to_dict())
    view = CompareView(store)
    qtbot.addWidget(view)
    view.set_runs(["gpu-run", "cpu-run"])
    assert view.comparison.baseline_id == "cpu-run"
    assert view.table.item(0, 2).text() == "6,400"
    assert view.table.item(0, 7).text() == "4.00×"
    assert view.table.item(0, 5).text() == "64"  # 20 steps x 32 samples / 10 J
    assert view.table.item(1, 5).text() == "n/a"
    with qtbot.waitSignal(view.sig_baseline_changed) as blocker:
        view.baseline_box.setCurrentIndex(0)
    assert blocker.args == ["gpu-run"]
    assert view.table.item(1, 7).text() == "0.25×"
    assert len(view.lines.getPlotItem().listDataItems()) == 2
    store.close()
