"""The window on a busy machine: Start says so and waits for quiet (bounded; Run now, Cancel);
the presentation headline and History say "busy machine". Machine readings are faked."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from gui.widgets.quiet_wait_bar import QuietWaitBar
from gui.window.quiet_gate import QuietGate
from profiler.metrics.contention import NOT_CAPABILITY
from profiler.runner.quiet import QuietReading
from tests.gui.window.window_kit import open_window
from tests.profiler.metrics.test_contention import measured

BUSY, CALM = QuietReading(60.0, 3.0, 2, None), QuietReading(3.0, 0.4, 2, None)


class Fake:
    def __init__(self) -> None:
        self.t = 0.0
        self.reading = BUSY
        self.started: list[str] = []

    def read(self) -> QuietReading:
        return self.reading


@pytest.fixture
def gate(qtbot) -> tuple[QuietGate, Fake]:
    fake = Fake()
    bar = QuietWaitBar()
    qtbot.addWidget(bar)
    g = QuietGate(bar, read=fake.read, limit_s=10.0, clock=lambda: fake.t)
    g.timer.stop()  # the test ticks by hand
    g.tick()
    yield g, fake
    g.stop()


def test_a_start_on_a_busy_machine_waits_and_cancel_starts_nothing(gate, qtbot) -> None:
    g, fake = gate
    g.request(lambda: fake.started.append("run"))
    assert g.waiting and not g.bar.isHidden() and fake.started == []
    assert "machine is busy" in g.bar.text.text() and "other processes use 60% of the CPU" in g.bar.text.text()
    fake.t = 4.0
    g.tick()
    assert "4 s of 10 s" in g.bar.text.text() and fake.started == []
    qtbot.mouseClick(g.bar.cancel, Qt.MouseButton.LeftButton)
    assert not g.waiting and g.bar.isHidden() and fake.started == []
    g.tick()
    assert fake.started == []


def test_the_wait_is_bounded_and_quiet_or_run_now_starts(gate, qtbot) -> None:
    g, fake = gate
    g.request(lambda: fake.started.append("timed out"))
    fake.t = 10.0
    g.tick()
    assert fake.started == ["timed out"] and g.bar.isHidden()
    g.request(lambda: fake.started.append("quiet"))
    fake.reading = CALM
    for t in (11.0, 12.0, 13.0, 14.0):
        fake.t = t
        g.tick()
    assert fake.started == ["timed out", "quiet"]
    g.request(lambda: fake.started.append("calm now"))  # quiet already: no wait
    assert fake.started[-1] == "calm now"
    fake.reading = BUSY
    g.tick()
    g.request(lambda: fake.started.append("anyway"))
    qtbot.mouseClick(g.bar.run_now, Qt.MouseButton.LeftButton)
    assert fake.started[-1] == "anyway" and not g.waiting


@pytest.fixture
def window(qtbot, monkeypatch):
    monkeypatch.setenv("HORSEPOWER_WAIT_FOR_QUIET_S", "30")
    with open_window(qtbot) as win:
        yield win


def test_the_window_says_the_machine_is_busy_before_starting(window) -> None:
    fake = Fake()
    window.quiet_gate._read = fake.read
    window.quiet_gate.tick()
    assert window.start_selected() is True
    assert not window.quiet_gate.bar.isHidden() and not window.runs.busy  # waiting, nothing started
    window.quiet_gate.cancel()
    assert not window.runs.busy and window.quiet_gate.bar.isHidden()


def test_presentation_headline_says_busy_machine(window, monkeypatch) -> None:
    busy: dict[str, Any] = measured("busy-run", 52.0, monkeypatch)
    window.presentation.set_active(True)
    window.presentation.on_result([busy])
    assert NOT_CAPABILITY in window.live.header.headline.text()
    assert "multilayer perceptron" in window.live.header.headline.text()  # the model in words
    window.presentation.set_active(False)


def test_the_cards_lead_with_the_busy_machine(qtbot, monkeypatch) -> None:
    from gui.viewmodel.card_values import final_values
    from gui.widgets.summary_cards import SummaryCards

    busy = measured("busy-run", 52.0, monkeypatch)
    busy["warnings"] = ["noisy: step-time CV 40%", *busy["warnings"]]
    cards = SummaryCards()
    qtbot.addWidget(cards)
    cards.display(final_values(busy, "mlp on cpu", None))
    assert cards.warning.text().startswith("\u26a0 contended: other processes used a median 52%")
    assert "busy machine" in cards.basis.text()
    quiet = measured("quiet-run", 1.0, monkeypatch)
    cards.display(final_values(quiet, "mlp on cpu", None))
    assert "busy machine" not in cards.basis.text()


def test_compare_view_and_its_png_mark_the_busy_run(qtbot, monkeypatch, tmp_path) -> None:
    from gui.widgets.compare_view import SPEEDUP_COL, CompareView
    from profiler.history import HistoryStore

    busy = measured("busy-gpu", 52.0, monkeypatch, device="cuda:0")
    quiet = measured("quiet-cpu", 1.0, monkeypatch)
    store = HistoryStore(tmp_path)
    for run in (busy, quiet):
        store.store_result(run)
    view = CompareView(store)
    qtbot.addWidget(view)
    view.set_runs(["busy-gpu", "quiet-cpu"])
    assert view.comparison is not None and view.comparison.baseline_id == "quiet-cpu"
    assert view.table.item(0, 0).text().endswith("· busy machine")
    assert view.table.item(0, SPEEDUP_COL).text() == "busy machine"  # no 4.00× from a busy run
    assert "busy machine" in view.table.item(0, SPEEDUP_COL).toolTip()
    assert NOT_CAPABILITY in view.baseline_label.text() and "busy machine" not in view.table.item(1, 0).text()
    assert view.content.isAncestorOf(view.baseline_label) and view.content.isAncestorOf(view.table)  # in the PNG
    store.close()


def test_the_results_table_status_says_busy_machine(qtbot, monkeypatch) -> None:
    from gui.widgets.results_table import STATUS_COL, ResultsTable

    table = ResultsTable()
    qtbot.addWidget(table)
    table.add_result(measured("busy-run", 52.0, monkeypatch), None)
    table.add_result(measured("quiet-run", 1.0, monkeypatch), None)
    statuses = sorted(table.item(r, STATUS_COL).text() for r in range(table.rowCount()))
    assert statuses[0] == "completed" and statuses[1].startswith("completed · busy machine")


def test_the_gate_and_its_reader_import_without_torch():
    """The gate is built at window start-up, before the first paint: it must not pull in torch."""
    import subprocess
    import sys
    code = ("import sys, gui.window.quiet_gate; from gui.window.quiet_gate import QuietGate; "
            "from profiler.runner.quiet import QuietReader; QuietReader().read(); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False"
