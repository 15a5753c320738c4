"""Value view: prices apply as they are typed (no Save button), money carries its currency,
the cost model is said in words, n/a where energy was not measured (offscreen)."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton, QTableWidgetItem

from gui.widgets.value_view import ValueView
from profiler.analysis.prices import load_prices
from profiler.history import HistoryStore
from tests.helpers import fabricated


def _row(view, r):
    return [view.projection.item(r, c).text() for c in range(view.projection.columnCount())]


def test_prices_apply_without_a_save_button(qtbot, tmp_path):
    store = HistoryStore(tmp_path)
    store.store_result(fabricated("cpu-run", "cpu", step_s=0.02).to_dict())
    store.store_result(fabricated("gpu-run", "cuda:0", step_s=0.005, energy_j=10.0).to_dict())
    prices = tmp_path / "prices.json"
    view = ValueView(store, prices_file=str(prices))
    qtbot.addWidget(view)
    assert not [b for b in view.findChildren(QPushButton) if "Save" in b.text()]
    view.set_runs(["cpu-run", "gpu-run"])
    assert view.prices_table.rowCount() == 2
    view.samples.setValue(1_600_000)
    view.epochs.setValue(1)
    cpu_row = _row(view, 0)
    assert cpu_row[6] == "16.7 min"  # 1.6e6 / 1600 per s = 1000 s
    assert cpu_row[7] == "n/a" and "no price set" in view.cost_words.text()
    with qtbot.waitSignal(view.sig_prices_changed):
        view.prices_table.setItem(1, 4, QTableWidgetItem("3.6"))  # gpu cloud rate per hour
    gpu_row = _row(view, 1)  # applied at once
    assert gpu_row[6] == "4.2 min"  # 1.6e6 / 6400 = 250 s
    assert gpu_row[8] == "0.25 USD"  # 3.6 per h * 250 s
    assert gpu_row[5] == "3.60 USD/h" and "cloud rate 3.60 USD/h" in view.cost_words.text()
    assert gpu_row[7] == "6.94 Wh"  # 10 J over 0.1 s timed = 100 W; 100 W * 250 s
    assert gpu_row[4].endswith("samples/USD")
    qtbot.waitUntil(lambda: prices.exists() and load_prices(prices).price_for("cuda:0") is not None, timeout=3000)
    assert load_prices(prices).price_for("cuda:0").cloud_per_h == 3.6
    view.prices_table.setItem(0, 3, QTableWidgetItem("30"))
    assert "hours_per_day" in view.error_label.text() and "Not applied" in view.error_label.text()
    assert view.book.price_for("cpu") is None or view.book.price_for("cpu").hours_per_day != 30
    view.prices_table.setItem(0, 3, QTableWidgetItem("8"))
    view.prices_table.setItem(0, 1, QTableWidgetItem("1500"))  # purchase on the CPU
    assert view.error_label.text() == ""
    words = view.cost_words.text()
    assert "1,500 USD over 3 years at 8 h/day" in words and "electricity not included" in words
    view.currency.setText("EUR")
    view.currency.editingFinished.emit()
    assert view.projection.horizontalHeaderItem(4).text() == "samples per EUR"
    assert _row(view, 0)[5].endswith("EUR/h")
    assert all(view.projection.horizontalHeaderItem(c).toolTip() for c in range(9))
    store.close()
