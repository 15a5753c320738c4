"""Widgets and session bookkeeping in isolation."""

from __future__ import annotations

import pytest

from gui.runs.event_ingest import SAMPLES_PER_S
from gui.viewmodel import series_store as sk
from gui.viewmodel.card_values import CardValues
from gui.viewmodel.series_store import SeriesStore
from gui.viewmodel.session import Session
from gui.widgets.live_plots import LivePlots, RunTrace, nice_ceiling
from gui.widgets.results_table import ResultsTable
from gui.widgets.summary_cards import SummaryCards
from profiler.metrics.figures import figures
from profiler.results.spec import RunSpec
from tests.helpers import fabricated


def _result(device: str, rate: float | None, status: str = "completed", **extra):
    spec = RunSpec(workload="mlp", device=device, precision=extra.get("precision", "fp32")).to_dict()
    return {"device": device, "workload": "mlp", "size": "S", "precision": "fp32",
            "batch_size": 256, "status": status, "samples_per_s": rate, "spec": spec,
            "name": f"mlp on {device}", "timed_steps": 20, **extra}


def test_nice_ceiling_steps():
    assert [nice_ceiling(v) for v in (0.3, 1, 1.2, 3, 7, 42, 0)] == [0.5, 1, 2, 5, 10, 50, 1]


def test_speedup_vs_cpu_uses_comparable_cpu_run():
    session = Session()
    session.started("c", RunSpec(workload="mlp", device="cpu"))
    session.finished("c", _result("cpu", 1000.0))
    session.started("g", RunSpec(workload="mlp", device="cuda:0"))
    session.finished("g", _result("cuda:0", 25000.0, achieved_flops_per_s=2e12, mfu=0.4))
    values = session.card_values(SeriesStore())
    assert values.speedup == 25.0 and values.flops_per_s == 2e12 and values.mfu == 0.4
    other = _result("cuda:0", 5000.0, precision="bf16")
    assert session.cpu_baseline(other) is None  # another precision is not comparable


def test_live_card_values_come_from_the_store():
    session, store = Session(), SeriesStore()
    session.started("r", RunSpec(workload="mlp", device="cpu"))
    store.set_scalar("r", sk.LIVE, figures([1.0 / 1234.0] * 5, 1, basis="last 0.0 s (5 of 5 steps)"))
    values = session.card_values(store)
    assert values.live and values.samples_per_s == 1234.0 and values.flops_per_s is None


def test_cards_show_na_with_reason(qtbot):
    cards = SummaryCards()
    qtbot.addWidget(cards)
    cards.display(CardValues("cpu", "mlp on cpu", 9876.0, None, None, None))
    assert cards.samples.value.text() == "9,876"
    assert cards.tflops.value.text() == "n/a"
    assert cards.tflops.value.toolTip().startswith("n/a:")
    assert "baseline" in cards.speedup.value.toolTip()


def test_results_table_rows_and_na_cells(qtbot):
    table = ResultsTable()
    qtbot.addWidget(table)
    table.add_result(_result("cpu", 1000.0), None)
    table.add_result(_result("cuda:0", None, "failed", error="worker process died (SIGABRT)"),
                     _result("cpu", 1000.0))
    assert table.rowCount() == 2
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    rate_col, status_col = headers.index("Samples/s"), headers.index("Status")
    texts = {table.item(r, status_col).text(): r for r in range(2)}
    failed_row = texts["failed"]
    assert table.item(failed_row, rate_col).text() == "n/a"
    assert table.item(failed_row, rate_col).toolTip().startswith("n/a")
    assert "SIGABRT" in table.item(failed_row, status_col).toolTip()
    assert all(table.horizontalHeaderItem(c).toolTip() for c in range(4, table.columnCount()))


def test_live_plots_update_only_changed_curves_and_bound_points(qtbot):
    store = SeriesStore(capacity=100)
    now = [60.0]
    plots = LivePlots(store, on_paint=lambda ms: None, now_s=lambda: now[0])
    qtbot.addWidget(plots)
    plots.set_runs([RunTrace("r", "cpu", "mlp on cpu")])
    for i in range(500):
        store.append("r", SAMPLES_PER_S, i * 0.1, 1000.0 + i)
    store.append(sk.MACHINE, "host.cpu_util_percent", 59.0, 50.0)
    store.set_vector(sk.MACHINE, "host.cpu_per_core_percent", [10.0, 90.0])
    store.append("r", "host.process_cpu_share_percent", 9.0, 40.0)
    store.set_scalar("r", sk.CLOCK_OFFSET, 50.0)  # run time 9 s is machine time 59 s
    assert plots.refresh(force=True) == 1 + 4  # the throughput curve; the machine's and the run's lines
    assert plots.refresh(force=True) == 0  # nothing changed: no setData
    assert plots.curve_points() == {"throughput": 100, "util": 2}
    assert plots.x_max >= 49.9  # the time axis grew in a coarse step to fit
    assert plots.machine.bar_heights() == [10.0, 90.0]
    x, y = next(c for (run, key, *_), c in plots.machine._curves.items() if run == "r" and "cpu" in key).getData()
    assert list(x) == [pytest.approx(-1.0)] and list(y) == [40.0]  # 1 s ago on the machine clock
    plots.set_runs([])
    assert plots.curve_points() == {"util": 1}  # the machine stays live with no run


def test_results_table_peak_memory_of_a_gpu_run_is_device_memory(qtbot):
    """Before the one key scheme the table looked up keys a result never had and showed the
    worker's host RSS (300 MiB) as a GPU run's peak memory."""
    table = ResultsTable()
    qtbot.addWidget(table)
    gpu = fabricated("g", "cuda:0").to_dict()
    gpu["telemetry"] = {"host.process_rss_bytes": {"mean": 3e8, "max": 300 * 2**20},
                        "cuda:0.peak_alloc_bytes": {"mean": 2**30, "max": 3 * 2**30}}
    table.add_result(gpu, None)
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    cell = table.item(0, headers.index("Peak mem"))
    assert cell.text() == "3 GiB" and "cuda:0 peak alloc" in cell.toolTip()


def test_results_table_speedup_only_between_comparable_runs(qtbot):
    table = ResultsTable()
    qtbot.addWidget(table)
    cpu = fabricated("c", "cpu", step_s=0.02).to_dict()
    table.add_result(fabricated("g", "cuda:0", step_s=0.005).to_dict(), cpu)
    table.add_result(fabricated("l", "cuda:0", step_s=0.005, workload="lstm").to_dict(), cpu)
    table.add_result(fabricated("c2", "cpu", step_s=0.01).to_dict(), cpu)
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    col = headers.index("Speedup")
    gpu, lstm, other_cpu = (table.item(r, col) for r in range(3))
    assert gpu.text() == "4.00×" and "4.00x faster than cpu" in gpu.toolTip()
    assert lstm.text() == "not comparable" and "different workloads" in lstm.toolTip()
    assert other_cpu.text().endswith("repeat") and "not a speedup" in other_cpu.toolTip()


def test_a_long_warning_never_widens_the_cards(qtbot) -> None:
    from gui.widgets.elided_label import ElidedLabel

    label = ElidedLabel("step time had not settled after 60 warm-up steps (5.3 s); early timed steps may be slow")
    qtbot.addWidget(label)
    label.show()
    assert label.minimumSizeHint().width() <= 80 < label.sizeHint().width()
    label.resize(120, 20)
    shown = super(ElidedLabel, label).text()
    assert shown.endswith("…") and len(shown) < len(label.text())
    assert label.text().startswith("step time had not settled")  # the whole text stays readable
    label.resize(label.sizeHint().width() + 10, 20)
    assert super(ElidedLabel, label).text() == label.text()


def test_a_narrow_card_shows_its_title_short_form_before_it_elides_and_never_clips_a_letter(qtbot) -> None:
    from gui.widgets.summary_cards import SummaryCards

    cards = SummaryCards()
    qtbot.addWidget(cards)
    cards.show()
    title = cards.mfu.title
    for width in (900, 560, 360):
        cards.resize(width, 160)
        qtbot.waitUntil(lambda w=width: cards.width() == w)
        shown = title.shown_text()
        # the font the label draws with now: an application style sheet (a window opened by an
        # earlier test in this process) may have restyled the card title after it was made
        metrics = title.fontMetrics()
        assert title.text() == "MFU OF HARDWARE PEAK"  # what tests and screen readers read stays whole
        assert metrics.horizontalAdvance(shown) <= title.width(), (width, shown)  # nothing cut mid-letter
        if shown != title.text():
            assert shown == "MFU OF PEAK" or shown.endswith("…"), shown
    cards.resize(900, 160)
    qtbot.waitUntil(lambda: title.shown_text() == "MFU OF HARDWARE PEAK")
    cards.resize(560, 160)
    qtbot.waitUntil(lambda: title.shown_text() == "MFU OF PEAK")


def test_an_elided_label_with_letter_spacing_never_clips_a_letter(qtbot) -> None:
    # a style sheet's letter-spacing (the card titles') and one applied after the label was made
    from gui.widgets.elided_label import ElidedLabel

    label = ElidedLabel("MFU OF HARDWARE PEAK", objectName="spaced")
    qtbot.addWidget(label)
    label.show()
    label.setStyleSheet("#spaced { font-size: 8pt; font-weight: 600; letter-spacing: 1px; }")
    for width in range(40, 200, 3):
        label.resize(width, 20)
        qtbot.waitUntil(lambda w=width: label.width() == w)
        shown = label.shown_text()
        assert label.fontMetrics().horizontalAdvance(shown) <= width, (width, shown)
        assert shown == label.text() or shown.endswith("…") or not shown, shown
