"""Issue 10 in the window: MFU against both references, errors in red, the run's CPU beside the
machine's, the live step-phase bar and its verdict, "Which utilization is true?", and traces
recorded from the window and opened from History (offscreen; the engine is faked, not history)."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
from PySide6.QtGui import QColor

from gui.runs.bridge import EngineBridge
from gui.viewmodel.card_values import final_values
from gui.viewmodel.series_store import SeriesStore
from gui.viewmodel.session import Session
from gui.widgets.phase_bar import PhaseBar
from gui.widgets.results_table import COLUMNS, STATUS_COL, ResultsTable
from gui.widgets.summary_cards import SummaryCards
from gui.widgets.theme import ERROR_COLOUR, WARNING_COLOUR
from profiler.cli.summary import render_summary
from profiler.events import PhaseSample, RunStateChanged
from profiler.metrics.figures import ERROR_PREFIX
from profiler.metrics.references import mfu_sentence
from profiler.metrics.utilization import TASK_MANAGER_NOTE
from profiler.results.spec import RunSpec, TraceRequest
from tests.fakes.engine import FAKE_PEAK_INPUTS, phased_supervise
from tests.gui.window.window_kit import open_window
from tests.helpers import fabricated

#: a slow input pipeline: 60% of each sampled step waits for data
SLOW_INPUT = {"data_wait": 0.006, "forward": 0.0015, "backward": 0.002, "optimizer": 0.0005}
#: a fast one: 10% input
FAST_INPUT = {"data_wait": 0.001, "forward": 0.004, "backward": 0.004, "optimizer": 0.001}


def referenced_result(**extra):
    """A finished CPU run: 100 GFLOP/s against a 232.6 GFLOP/s hardware peak (43%) and a 222 GFLOP/s
    best GEMM (45%), with the peak's inputs."""
    run = fabricated("ref-run")
    run.peak_flops_per_s, run.peak_source, run.peak_inputs = 2.326e11, "ISA table", dict(FAKE_PEAK_INPUTS)
    run.ceiling_flops_per_s, run.ceiling_source = 2.22e11, "the best GEMM measured here: oneDNN 1x1 conv"
    return {**run.to_dict(), **extra}


def col(metric):
    return next(i for i, c in enumerate(COLUMNS) if c[1] == metric)


def test_mfu_card_says_both_references_as_the_cli_does_with_the_peaks_inputs(qtbot):
    result = referenced_result()
    cards = SummaryCards()
    qtbot.addWidget(cards)
    cards.display(final_values(result, "mlp on cpu", None))
    assert cards.mfu.plain_value() == "43% of hardware peak"
    assert cards.mfu.value.text() == "43%" and cards.mfu.title.text() == "MFU OF HARDWARE PEAK"
    assert cards.mfu.caption.text() == "45% of the best GEMM measured here"
    sentence = mfu_sentence(result["mfu"], result["mfu_ceiling"])
    assert f"{cards.mfu.plain_value()}, {cards.mfu.caption.text()}" == sentence
    assert sentence in render_summary(result)  # the CLI summary prints the very same words
    tip = cards.mfu.value.toolTip()
    assert "2 cores x 32 fp32 FLOP/cycle (AVX-512 FMA) x 2.50 GHz" in tip
    assert "Best GEMM measured here: 222 GFLOP/s" in tip and "oneDNN 1x1 conv" in tip
    assert not cards.mfu.property("error")


def test_an_mfu_above_the_hardware_peak_is_an_error_shown_in_red(qtbot):
    alarm = f"{ERROR_PREFIX}MFU 130% of the hardware peak is impossible: 1 GFLOP/step over 77 GFLOP/s"
    result = referenced_result(mfu=1.3, warnings=[alarm, "noisy: step-time CV 16%"])
    cards = SummaryCards()
    qtbot.addWidget(cards)
    cards.display(final_values(result, "mlp on cpu", None))
    assert cards.mfu.property("error") and cards.tflops.property("error")
    assert not cards.mfu.flag.isHidden() and cards.mfu.flag.text() == "\u2716"
    assert "Error: MFU 130%" in cards.mfu.flag.toolTip()
    assert cards.warning.property("error") and cards.warning.text().startswith("\u2716 MFU 130%")
    assert "(+1)" in cards.warning.text()  # the noisy warning is kept, second
    table = ResultsTable()
    qtbot.addWidget(table)
    table.add_result(result, None)
    mfu_cell = table.item(0, col("mfu"))
    assert mfu_cell.foreground().color() == QColor(ERROR_COLOUR)
    status = table.item(0, STATUS_COL)
    assert "error" in status.text() and "Error: MFU 130%" in status.toolTip()


def test_the_runs_cpu_share_sits_beside_the_machines_with_the_contention_warning(qtbot):
    contended = "contended: other processes used 52% of the CPU during the timed window (this run 38%)"
    result = referenced_result(host_cpu_percent=90.0, run_cpu_percent=38.0, other_cpu_percent=52.0,
                               warnings=[contended])
    table = ResultsTable()
    qtbot.addWidget(table)
    table.add_result(result, None)
    cpu = table.item(0, col("cpu_shares"))
    assert cpu.text() == "38% / 90%"
    assert table.horizontalHeaderItem(col("cpu_shares")).text() == "CPU run/machine"
    assert "this run's process 38% of all cores" in cpu.toolTip() and "machine CPU 90%" in cpu.toolTip()
    assert contended in cpu.toolTip() and cpu.foreground().color() == QColor(WARNING_COLOUR)
    cards = SummaryCards()
    qtbot.addWidget(cards)
    cards.display(final_values(result, "mlp on cpu", None))
    assert "CPU over the timed window: this run's process 38%" in cards.samples.value.toolTip()
    assert cards.warning.text().startswith("\u26a0 contended: other processes used 52%")


def _phase_view(qtbot, phases, device="cpu"):
    store = SeriesStore()
    bridge = EngineBridge(store)
    session = Session()
    spec = RunSpec(workload="mlp", device=device)
    session.specs["r1"], session.focus = spec, "r1"
    bar = PhaseBar()
    qtbot.addWidget(bar)
    bar.resize(900, 40)
    bar.show()
    bar.display(session.phase_values(store))
    before = bar.verdict_text()
    bridge.handle(RunStateChanged("r1", "measuring", ""))
    for step in range(6):
        bridge.handle(PhaseSample("r1", step * 10, 0.1 * step, dict(phases)))
    bar.display(session.phase_values(store))
    return bar, before


def test_phase_samples_through_the_bridge_fill_the_bar_and_call_a_slow_pipeline_input_bound(qtbot):
    bar, before = _phase_view(qtbot, SLOW_INPUT)
    assert before.startswith("n/a: no run yet") or before.startswith("n/a: warming up")
    rects = bar.bar.segment_rects()
    assert [phase for phase, _ in rects] == ["data_wait", "forward", "backward", "optimizer"]
    widths = [r.width() for _, r in rects]
    assert widths[0] == pytest.approx(0.6 * bar.bar.width(), abs=1.0)
    assert sum(widths) == pytest.approx(bar.bar.width(), abs=1.0)  # the phases fill the step
    assert bar.verdict_text().startswith("input-bound (from 6 sampled steps): 60% of each step waits for data")
    assert bar.verdict_text().endswith("·  live")
    assert "Up to 4 timed steps a second" in bar.note_text() and "nothing waits" in bar.note_text()
    assert "data wait: 6 ms (60%)" in bar.toolTip()


def test_a_fast_pipeline_is_compute_bound(qtbot):
    bar, _ = _phase_view(qtbot, FAST_INPUT)
    assert bar.verdict_text().startswith(
        "compute-bound (from 6 sampled steps): 90% of each step is forward, backward and optimizer")
    assert bar.bar.segment_rects()[0][1].width() == pytest.approx(0.1 * bar.bar.width(), abs=1.0)


@pytest.fixture
def window(qtbot):
    traces: list[TraceRequest | None] = []
    with open_window(qtbot, supervise_fn=phased_supervise(SLOW_INPUT, seen=traces)) as win:
        win.traces_seen = traces
        yield win


def test_a_running_window_shows_the_live_bar_then_the_final_split(window, qtbot):
    [run_id] = window.start_runs([RunSpec(workload="mlp", device="cpu", duration_s=1.5)])
    bar = window.live.phases
    qtbot.waitUntil(lambda: bar.verdict_text().startswith("input-bound (from"), timeout=5000)  # on the timer
    assert run_id not in window.session.results and "60%" in bar.verdict_text()
    assert "live" in bar.verdict_text()
    qtbot.waitUntil(lambda: run_id in window.session.results, timeout=5000)
    window.tick()
    assert "final · " in bar.verdict_text() and bar.verdict_text().startswith("input-bound (from ")
    assert "no synchronization needed" in bar.note_text()


def test_which_utilization_is_true_panel_lists_five_figures_and_the_task_manager_note(window, qtbot):
    [run_id] = window.start_runs([RunSpec(workload="mlp", device="cpu", duration_s=0.8)])
    qtbot.waitUntil(lambda: run_id in window.session.results, timeout=5000)
    window.plots.util_link.linkActivated.emit("utilization")  # the link by the Utilization plot
    panel = window.live.utilization
    assert panel is not None and panel.isVisible()
    rows = {label: (value, meaning) for label, value, meaning in panel.row_texts()}
    assert list(rows) == ["host CPU busy", "this run's CPU", "GPU util (NVML)", "MFU", "samples/s"]
    assert rows["GPU util (NVML)"][0] == "n/a" and "a CPU run has no GPU" in rows["GPU util (NVML)"][1]
    assert rows["MFU"][0].endswith("%") and "peak" in rows["MFU"][1]
    assert rows["samples/s"][0].endswith("samples/s")
    assert "final" in panel.basis.text()
    assert panel.note.text() == TASK_MANAGER_NOTE and "Cuda" in panel.note.text()
    panel.close()


def test_record_trace_reaches_supervise_and_history_opens_and_saves_it(window, qtbot, tmp_path):
    window.controls.record_trace.setChecked(True)
    window.controls.duration.setValue(1)
    assert window.start_selected()
    assert not window.controls.record_trace.isChecked()  # one start only
    qtbot.waitUntil(lambda: len(window.traces_seen) == 1 and bool(window.session.specs), timeout=3000)
    [trace] = window.traces_seen
    assert isinstance(trace, TraceRequest) and trace.steps == 10
    assert Path(trace.path).parent == Path(os.environ["HORSEPOWER_CACHE_DIR"]) / "traces"
    run_id = next(iter(window.session.specs))
    view = window.workspace.history_view()
    qtbot.waitUntil(lambda: view is not None and view.store.trace_file(run_id) is not None, timeout=8000)
    view.refresh()
    row = next(i for i, r in enumerate(view.model.runs) if r.run_id == run_id)
    view.table.selectRow(row)
    assert view.buttons["Open trace"].isEnabled() and view.buttons["Save trace…"].isEnabled()
    dialog = view.open_trace(run_id)
    assert dialog is not None and json.loads(dialog.path.read_text())["traceEvents"][0]["name"] == "aten::mm"
    assert "ui.perfetto.dev" in dialog.text()
    dialog.close()
    view.ask_path = lambda title, suggested: str(tmp_path / "saved.trace.json.gz")
    view.buttons["Save trace…"].click()
    with gzip.open(tmp_path / "saved.trace.json.gz", "rt") as f:
        assert json.load(f)["traceEvents"][0]["ph"] == "X"


def test_a_run_without_a_trace_leaves_the_trace_buttons_off(window, qtbot):
    window.controls.duration.setValue(1)
    assert window.start_selected()
    qtbot.waitUntil(lambda: window.traces_seen == [None] and bool(window.session.specs), timeout=3000)
    run_id = next(iter(window.session.specs))
    view = window.workspace.history_view()
    qtbot.waitUntil(lambda: view is not None and run_id in view.store.run_ids(), timeout=8000)
    qtbot.waitUntil(lambda: run_id in window.session.results, timeout=5000)

    def listed() -> bool:  # History refreshes on its own too: read the rows it shows now
        view.refresh()
        return any(r.run_id == run_id for r in view.model.runs)

    qtbot.waitUntil(listed, timeout=5000)
    view.table.selectRow(next(i for i, r in enumerate(view.model.runs) if r.run_id == run_id))
    assert not view.buttons["Open trace"].isEnabled()
    told: list[str] = []
    view.tell = lambda title, text: told.append(text)
    assert view.open_trace(run_id) is None and "has no trace" in told[0]
