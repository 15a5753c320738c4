"""The window as a person uses it: the machine live when idle, one figure in three places,
closing mid-run, settings kept, only the precisions a device can run, states in agreement."""

from __future__ import annotations

import dataclasses

import pytest

from gui.viewmodel import series_store as sk
from gui.viewmodel.preferences import Preferences
from gui.window.main_window import MainWindow
from profiler.events import RunDescribed, RunFinished, RunStateChanged
from profiler.results.description import RunDescription
from profiler.results.result import RunResult, RunState
from profiler.results.spec import RunSpec
from tests.fakes.engine import fake_catalog, fake_supervise
from tests.helpers import WAIT_MS


def make(qtbot, supervise=fake_supervise, catalog=fake_catalog) -> MainWindow:
    win = MainWindow(catalog_fn=catalog, supervise_fn=supervise)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: bool(win.controls.workloads), timeout=5000)
    return win


@pytest.fixture
def window(qtbot):
    win = make(qtbot)
    yield win
    win.shutdown()


def test_machine_telemetry_ticks_while_idle(window, qtbot):
    """With no run, the machine's CPU, memory and per-core load stream in (Task Manager)."""
    machine = window.plots.machine
    qtbot.waitUntil(lambda: window.store.version(sk.MACHINE, "host.cpu_util_percent") >= 3, timeout=10_000)
    first = window.store.version(sk.MACHINE, "host.cpu_util_percent")
    qtbot.waitUntil(lambda: window.store.version(sk.MACHINE, "host.cpu_util_percent") > first, timeout=5000)
    window.tick()
    points = machine.curve_points()
    assert points["util"] >= 3 and points["memory"] >= 3
    assert len(machine.bar_heights()) >= 1 and all(0.0 <= h <= 100.0 for h in machine.bar_heights())
    assert not window.runs.busy and window.session.focus is None


def test_card_plot_and_table_agree_on_one_run(window, qtbot):
    """Live: the card is the plot's last point (same window, last 2 s). Final: the card, the
    table and the plot's dashed line are the same figure (the whole timed window)."""
    [run_id] = window.start_runs([RunSpec(workload="mlp", duration_s=30)])
    qtbot.waitUntil(lambda: window.store.scalar(run_id, sk.LIVE) is not None, timeout=5000)

    def drawn() -> bool:
        window.tick()
        return window.plots.run_plots.last_point(run_id) is not None

    qtbot.waitUntil(drawn, timeout=WAIT_MS)
    live = window.session.card_values(window.store)
    plotted = window.plots.run_plots.last_point(run_id)
    assert live.live and plotted == pytest.approx(live.samples_per_s)
    assert "last 2 s" in window.cards.samples.caption.text()
    assert "last 2 s" in window.plots.run_plots.titles["throughput"]
    window.stop_runs()
    qtbot.waitUntil(lambda: run_id in window.session.results, timeout=3000)
    window.tick()
    result = window.session.results[run_id]
    card = window.cards.samples.plain_value()
    headers = [window.table.horizontalHeaderItem(c).text() for c in range(window.table.columnCount())]
    cell = window.table.item(0, headers.index("Samples/s")).text()
    line = window.plots.run_plots._final
    assert card == cell and line.isVisible() and line.value() == pytest.approx(result["samples_per_s"])
    assert "whole timed window" in window.cards.samples.caption.text()
    assert "whole timed window" in window.plots.run_plots._final_label.textItem.toPlainText()


def stopped_before_a_step(spec: RunSpec, bus, cancel, run_id: str | None = None) -> RunResult:
    """A 30 s run measures nothing before it is stopped (still preparing); others as ``fake_supervise``."""
    if spec.duration_s != 30:
        return fake_supervise(spec, bus, cancel, run_id=run_id)
    result = RunResult(spec=spec, run_id=run_id or "fake")
    bus.publish(RunStateChanged(result.run_id, RunState.PREPARING, ""))
    cancel.wait(WAIT_MS / 1000)
    result.status = RunState.STOPPED
    bus.publish(RunFinished(result.run_id, result))
    return result


def test_a_round_stopped_before_it_measured_leaves_no_other_runs_line(qtbot):
    """The dashed whole-window line belongs to the focus run. Presenting, a new round keeps the
    last round on screen until it measures; stopped before its first timed step it has no
    figure, and the last round's line is not left on its plot as if it were this run's."""
    window = make(qtbot, supervise=stopped_before_a_step)
    try:
        [first] = window.start_runs([RunSpec(workload="mlp", duration_s=2)])
        qtbot.waitUntil(lambda: first in window.session.results, timeout=WAIT_MS)
        assert window.plots.run_plots._final.isVisible()
        window.presentation.active = True  # the round logic only, not the full-screen look
        [second] = window.start_runs([RunSpec(workload="mlp", duration_s=30)])
        assert window.plots.run_plots._final.isVisible()  # the last round, kept until this one measures
        qtbot.waitUntil(lambda: window.session.focus == second, timeout=WAIT_MS)
        window.stop_runs()
        qtbot.waitUntil(lambda: second in window.session.results, timeout=WAIT_MS)
        assert not window.session.results[second]["samples_per_s"]
        assert not window.plots.run_plots._final.isVisible()
    finally:
        window.shutdown()


def test_closing_mid_run_asks_first_and_stores_a_partial_run(qtbot, answer_close_questions):
    win = make(qtbot)
    qtbot.waitUntil(lambda: win.workspace.store is not None, timeout=5000)
    [run_id] = win.start_runs([RunSpec(workload="mlp", duration_s=30)])
    qtbot.waitUntil(lambda: win.store.scalar(run_id, sk.LIVE) is not None, timeout=5000)
    win.confirm_close = lambda text: False  # "Keep running"
    win.close()
    assert win.runs.busy and win.isVisible()
    questions: list[str] = []
    win.confirm_close = lambda text: (questions.append(text), True)[1]  # "Stop and quit"
    win.close()
    assert not win.runs.busy
    assert "Quitting stops it" in questions[0] and "marked partial" in questions[0]
    from profiler.history import HistoryStore

    with HistoryStore() as store:
        [row] = [r for r in store.list_runs() if r.run_id == run_id]
    assert row.status == "stopped" and row.partial.startswith("partial: stopped after")


def test_settings_are_remembered_across_restarts(qtbot):
    win = make(qtbot)
    win.controls.size_preset.setCurrentText("M")
    win.controls.batch.setValue(64)
    win.controls.duration.setValue(7)
    win.set_dark(True)
    win.workspace.show_tab("Sweep")
    win.workspace.sweep.view.values.setText("8,16")
    win.shutdown()
    assert Preferences().get("dark", False) is True
    again = make(qtbot)
    try:
        assert again.controls.size_preset.currentText() == "M" and again.controls.batch.value() == 64
        assert again.controls.duration.value() == 7 and again.dark
        again.workspace.show_tab("Sweep")
        assert again.workspace.sweep.view.values.text() == "8,16"
    finally:
        again.shutdown()


def test_no_tf32_is_offered_on_a_cpu(qtbot):
    def catalog():
        base = fake_catalog()
        reasons = {"cpu": {"fp32": "", "bf16": "", "tf32": "TF32 exists only on NVIDIA GPUs (Ampere or newer)",
                           "fp16": "fp16 autocast on CPU is emulated"}}
        return dataclasses.replace(base, precisions=reasons)

    win = make(qtbot, catalog=catalog)
    try:
        model = win.controls.precision.model()
        tf32 = model.item(win.controls.precision.findText("tf32"))
        assert not tf32.isEnabled() and "NVIDIA" in tf32.toolTip()
        assert model.item(win.controls.precision.findText("bf16")).isEnabled()
    finally:
        win.shutdown()


def test_the_chip_and_the_status_bar_say_the_same_state(window, qtbot):
    [run_id] = window.start_runs([RunSpec(workload="mlp", duration_s=30)])
    qtbot.waitUntil(lambda: window.store.scalar(run_id, sk.LIVE) is not None, timeout=5000)
    window.stop_runs()
    qtbot.waitUntil(lambda: not window.runs.busy, timeout=3000)
    spec = RunSpec(workload="gpt")
    window.session.started("w", spec)
    ingest = window.bridge.ingest
    ingest(RunDescribed("w", RunDescription(sample_unit="sequences", batch_size=8)))
    ingest(RunStateChanged("w", "warming"))
    window._on_run_state_changed("w", "warming", "")
    window.plots.set_runs([])
    window.tick()
    assert window.cards.badge.text() == "WARM-UP"
    assert "warming up" in window.status.currentMessage()
    assert window.cards.samples.title.text() == "SEQUENCES / S"
    assert window.plots.run_plots.titles["throughput"].startswith("Sequences/s")
