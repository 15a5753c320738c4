"""Compare view: honest speedups only, the baseline picker, greyed rows, charts (offscreen)."""

from __future__ import annotations

from PySide6.QtGui import QColor

from gui.widgets.compare_view import GREY, SPEEDUP_COL, CompareView
from profiler.history import HistoryStore
from tests.helpers import fabricated


def _store(tmp_path, *results):
    store = HistoryStore(tmp_path)
    for result in results:
        store.store_result(result.to_dict())
    return store


def test_compare_view_speedup_and_baseline(qtbot, tmp_path):
    store = _store(tmp_path, fabricated("gpu-run", "cuda:0", step_s=0.005, energy_j=10.0),
                   fabricated("cpu-run", "cpu", step_s=0.02))
    view = CompareView(store)
    qtbot.addWidget(view)
    view.set_runs(["gpu-run", "cpu-run"])
    assert view.comparison.baseline_id == "cpu-run"  # the CPU run the other compares with
    headers = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    assert headers[SPEEDUP_COL] == "vs baseline" and headers[8] == "samples/USD"
    assert view.table.item(0, 4).text() == "6,400"
    assert view.table.item(0, SPEEDUP_COL).text() == "4.00×"
    assert view.table.item(1, SPEEDUP_COL).text() == "baseline"
    assert view.table.item(0, 7).text() == "64"  # 20 steps x 32 samples / 10 J
    assert view.table.item(1, 7).text() == "n/a"
    with qtbot.waitSignal(view.sig_baseline_changed) as blocker:
        view.baseline_box.setCurrentIndex(0)
    assert blocker.args == ["gpu-run"]
    assert view.table.item(1, SPEEDUP_COL).text() == "0.25×"
    assert len(view.lines.getPlotItem().listDataItems()) == 2
    store.close()


def test_compare_greys_runs_that_are_not_comparable_and_names_them_apart(qtbot, tmp_path):
    """An MLP and an LSTM, and sweep points of other widths, get no speedup; repeats show spread."""
    store = _store(tmp_path, fabricated("cpu", "cpu", step_s=0.02), fabricated("gpu", "cuda:0", step_s=0.005),
                   fabricated("lstm", "cuda:0", step_s=0.005, workload="lstm"),
                   fabricated("wide", "cpu", step_s=0.04, knobs={"width": 4096}, origin="sweep"),
                   fabricated("again", "cpu", step_s=0.021))
    view = CompareView(store)
    qtbot.addWidget(view)
    view.set_runs(["cpu", "gpu", "lstm", "wide", "again"])
    assert view.comparison.baseline_id == "cpu"  # the run most others compare with
    speedups = [view.table.item(r, SPEEDUP_COL).text() for r in range(5)]
    assert speedups[:3] == ["baseline", "4.00×", "not comparable"]
    assert speedups[3] == "not comparable" and speedups[4].endswith("(repeat)")
    lstm = view.table.item(2, SPEEDUP_COL)
    assert "different workloads" in lstm.toolTip()
    assert lstm.foreground().color() == QColor(GREY)
    assert "different models" in view.table.item(3, SPEEDUP_COL).toolTip()
    labels = [row.label for row in view.comparison.rows]
    assert len(set(labels)) == 5  # the two identical CPU runs are told apart
    assert "width=4096" in labels[3] and labels[3].endswith("sweep")
    ticks = [text for _, text in view.bars.getAxis("left")._tickLevels[0]]
    assert set(ticks) == {label[:35] + "…" if len(label) > 36 else label for label in labels}
    assert "(1 comparable)" in view.baseline_box.itemText(1) or "comparable" in view.baseline_box.itemText(1)
    store.close()


def test_compare_names_the_speedup_of_two_loader_workers(qtbot, tmp_path):
    """0 vs 2 DataLoader workers on the same CPU: a speedup named by its one difference."""
    store = _store(tmp_path, fabricated("w0", "cpu", step_s=0.0229, input_pipeline=True, loader_workers=0),
                   fabricated("w2", "cpu", step_s=0.0100, input_pipeline=True, loader_workers=2))
    view = CompareView(store)
    qtbot.addWidget(view)
    view.set_runs(["w0", "w2"])
    view.baseline_box.setCurrentIndex(view.baseline_box.findData("w0"))
    assert view.comparison.baseline_id == "w0"
    row = next(r for r in view.comparison.rows if r.run_id == "w2")
    assert row.speedup_note == "2 loader workers: 2.29x faster than 0"
    assert view.table.item(1, SPEEDUP_COL).text() == "2.29×"
    assert "2 loader workers: 2.29x faster than 0" in view.table.item(1, SPEEDUP_COL).toolTip()
    assert "2 loader workers: 2.29x faster than 0" in view.baseline_label.text()  # said, not only hovered
    labels = [r.label for r in view.comparison.rows]
    assert "loader 0 workers" in labels[0] and "loader 2 workers" in labels[1]
    assert view.table.item(0, SPEEDUP_COL).text() == "baseline"
    store.close()
