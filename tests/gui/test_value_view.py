"""Value view: prices in, projections out, n/a where energy was not measured (offscreen)."""

from __future__ import annotations

from PySide6.QtWidgets import QTableWidgetItem

from gui.widgets.value_view import ValueView
from profiler.analysis.prices import load_prices
from profiler.history import HistoryStore
from tests.helpers import fabricated


def test_value_view_projection(qtbot, tmp_path):
    store = HistoryStore(tmp_path)
    store.store_result(fabricated("cpu-run", "cpu", step_s=0.02).to_dict())
    store.store_result(fabricated("gpu-run", "cuda:0", step_s=0.005, energy_j=10.0).to_dict())
    prices = tmp_path / "prices.json"
    view = ValueView(store, prices_file=str(prices))
    qtbot.addWidget(view)
    view.set_runs(["cpu-run", "gpu-run"])
    assert view.prices_table.rowCount() == 2
    view.samples.setValue(1_600_000)
    view.epochs.setValue(1)
    cpu_row = [view.projection.item(0, c).text() for c in range(view.projection.columnCount())]
    assert cpu_row[5] == "16.7 min"  # 1.6e6 / 1600 per s = 1000 s
    assert cpu_row[6] == "n/a" and "n/a: energy not measured" in cpu_row[8]
    view.prices_table.setItem(1, 4, QTableWidgetItem("3.6"))  # gpu cloud rate per hour
    with qtbot.waitSignal(view.sig_prices_changed):
        view._on_save_clicked()
    assert load_prices(prices).price_for("cuda:0").cloud_per_h == 3.6
    gpu_row = [view.projection.item(1, c).text() for c in range(view.projection.columnCount())]
    assert gpu_row[5] == "4.2 min"  # 1.6e6 / 6400 = 250 s
    assert gpu_row[7] == "0.25 USD"  # 3.6 per h * 250 s
    assert gpu_row[6] == "6.94"  # 10 J over 0.1 s timed = 100 W; 100 W * 250 s / 3600
    view.prices_table.setItem(0, 3, QTableWidgetItem("30"))
    view._on_save_clicked()
    assert "hours_per_day" in view.error_label.text()
    store.close()
