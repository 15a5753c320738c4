"""Live FLOP/s, MFU and speedup from engine events; units that fit; flagged results; mid-run shot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest
from PySide6.QtGui import QImage

from gui.runs.event_ingest import SAMPLES_PER_S, EventIngest
from gui.viewmodel import series_store as sk
from gui.viewmodel.card_values import NA_WARMING, CardValues
from gui.viewmodel.series_store import SeriesStore
from gui.viewmodel.session import Session
from gui.widgets.results_table import ResultsTable
from gui.widgets.summary_cards import SummaryCards
from profiler.events import RunDescribed, StepFinished
from profiler.metrics.figures import LIVE_WINDOW_S
from profiler.results.description import RunDescription
from profiler.results.result import RunResult
from profiler.results.spec import RunSpec
from tests.helpers import fabricated

INFO = RunDescription(batch_size=64, samples_per_step=64, params=1000, flops_per_step=2e9,
                      peak_flops_per_s=4e11, peak_source="measured: float32 matmul n=2048",
                      device_name="Test CPU", sample_unit="samples")


def _feed_warmup(handle: EventIngest, run: str = "r") -> None:
    handle(RunDescribed(run, INFO))
    for step in range(1, 4):  # slow warm-up steps: must never reach a live figure
        handle(StepFinished(run, step, "warmup", step * 0.5, 0.5, 64, 2.0))


def test_live_flops_and_mfu_come_from_timed_steps_only():
    store = SeriesStore()
    handle = EventIngest(store)
    _feed_warmup(handle)
    assert store.scalar("r", sk.LIVE) is None
    assert sk.description(store, "r").flops_per_step == 2e9
    t = 1.5
    for step in range(4, 104):  # 100 timed steps of 10 ms
        t += 0.01
        handle(StepFinished("r", step, "timed", t, 0.01, 64, 1.0))
    live = store.scalar("r", sk.LIVE)
    assert live.flops_per_s == pytest.approx(2e9 / 0.01)
    assert live.mfu == pytest.approx(2e11 / 4e11)
    assert live.samples_per_s == pytest.approx(6400.0)
    assert live.steps >= 90 and f"({live.steps} of {live.steps} steps)" in live.basis  # all of the 1 s so far


def test_the_throughput_curve_is_the_cards_figure():
    """The plotted samples/s and the card's live figure are one definition: they agree."""
    store = SeriesStore()
    handle = EventIngest(store)
    _feed_warmup(handle)
    t = 1.5
    for step in range(4, 400):  # rates that change: 5 ms, then 20 ms steps
        dt = 0.005 if step < 200 else 0.02
        t += dt
        handle(StepFinished("r", step, "timed", t, dt, 64, 1.0))
    _, curve, _ = store.snapshot("r", SAMPLES_PER_S)
    assert curve[-1] == pytest.approx(store.scalar("r", sk.LIVE).samples_per_s)
    # the whole timed window's figure is the engine's, from the result the run ends with
    timed = RunResult(RunSpec(workload="mlp"), samples_per_step=64, step_times_s=[0.005] * 196 + [0.02] * 200)
    assert timed.samples_per_s == pytest.approx(64 * 396 / (196 * 0.005 + 200 * 0.02), rel=0.01)


def test_live_window_follows_the_last_seconds():
    store = SeriesStore()
    handle = EventIngest(store)
    _feed_warmup(handle)
    t = 1.5
    for step in range(4, 54):  # 50 steps of 0.1 s (5 s), then 20 of 0.02 s (0.4 s)
        t += 0.1
        handle(StepFinished("r", step, "timed", t, 0.1, 64, 1.0))
    for step in range(54, 74):
        t += 0.02
        handle(StepFinished("r", step, "timed", t, 0.02, 64, 1.0))
    live = store.scalar("r", sk.LIVE)
    assert live.window_s <= LIVE_WINDOW_S + 0.1 + 1e-9
    assert live.steps < 70 and live.basis.startswith("last ")
    assert live.flops_per_s == pytest.approx(2e9 * live.steps / live.window_s)
    assert live.samples_per_s > 64 / 0.1  # the fast steps at the end raised it above the slow rate


def test_session_cards_warmup_live_then_final():
    session, store = Session(), SeriesStore()
    handle = EventIngest(store)
    session.started("r", RunSpec(workload="mlp", device="cpu"))
    _feed_warmup(handle)
    values = session.card_values(store)
    assert values.live and values.warming_up
    assert values.samples_per_s is None and values.flops_per_s is None and values.mfu is None
    assert values.na["samples_per_s"] == NA_WARMING and "warm" in values.basis
    for step in range(4, 24):
        handle(StepFinished("r", step, "timed", 1.5 + step * 0.01, 0.01, 64, 1.0))
    values = session.card_values(store)
    assert not values.warming_up and values.basis.startswith("live")
    assert values.flops_per_s == pytest.approx(2e11) and values.mfu == pytest.approx(0.5)
    assert values.speedup is None and values.speedup_kind == "baseline"  # the first CPU run is the baseline
    session.finished("r", {"device": "cpu", "status": "completed", "samples_per_s": 6000.0,
                           "achieved_flops_per_s": 1.9e11, "mfu": 0.47, "timed_steps": 412,
                           "flops_per_step": 2e9, "peak_flops_per_s": 4e11,
                           "warnings": ["noisy: step-time CV 14%"], "workload": "mlp",
                           "size": "S", "precision": "fp32", "batch_size": 64})
    final = session.card_values(store)
    assert not final.live and final.basis == "final · whole timed window (412 steps)"
    assert final.flops_per_s == 1.9e11 and final.warnings == ("noisy: step-time CV 14%",)


def test_live_speedup_against_a_cpu_result_of_the_same_workload():
    session, store = Session(), SeriesStore()
    cpu = fabricated("c", "cpu", step_s=0.064, batch=64).to_dict()  # 1,000 samples/s
    session.started("c", RunSpec.from_dict(cpu["spec"]))
    session.finished("c", cpu)
    session.started("g", RunSpec(workload="mlp", device="cuda:0", batch_size=64))
    handle = EventIngest(store)
    handle(RunDescribed("g", replace(INFO, peak_flops_per_s=None, peak_source="probe failed: x")))
    for step in range(1, 11):
        handle(StepFinished("g", step, "timed", step * 0.0025, 0.0025, 64, 1.0))
    values = session.card_values(store)
    assert values.speedup == pytest.approx(25.6)  # 25,600 samples/s vs 1,000
    assert values.speedup_label.startswith("vs cpu")
    assert values.mfu is None and "probe failed" in values.na["mfu"]


def test_no_live_speedup_against_another_precision():
    session, store = Session(), SeriesStore()
    cpu = fabricated("c", "cpu", step_s=0.064, batch=64).to_dict()
    session.started("c", RunSpec.from_dict(cpu["spec"]))
    session.finished("c", cpu)
    session.started("g", RunSpec(workload="mlp", device="cuda:0", batch_size=64, precision="bf16"))
    handle = EventIngest(store)
    handle(RunDescribed("g", INFO))
    for step in range(1, 11):
        handle(StepFinished("g", step, "timed", step * 0.0025, 0.0025, 64, 1.0))
    values = session.card_values(store)
    assert values.speedup is None and values.na["speedup"].startswith("n/a")


@pytest.mark.parametrize(("flops", "shown"), [(4.31e9, "4.31 GFLOP/s"), (4.12e14, "412 TFLOP/s")])
def test_flops_card_takes_the_unit_that_fits(qtbot, flops, shown):
    cards = SummaryCards()
    qtbot.addWidget(cards)
    cards.display(CardValues("cpu", "mlp-S fp32 on cpu", 9876.0, flops, 0.42, None, live=True,
                             basis="live · last 2.0 s (38 of 90 steps)", flops_per_step=1.2e9,
                             peak_flops_per_s=1.5e11))
    assert cards.tflops.plain_value() == shown
    number, unit = shown.split(" ")
    assert number in cards.tflops.value.text() and unit in cards.tflops.value.text()
    assert cards.mfu.plain_value() == "42% of hardware peak" and cards.mfu.value.text().startswith("42%")
    assert cards.mfu.caption.text() == "best GEMM measured here: n/a"  # no ceiling in these values
    assert "1.2 GFLOP/step" in cards.tflops.caption.text()
    assert "LIVE" in cards.badge.text() and "38 of 90 steps" in cards.basis.text()


def test_na_cards_say_why(qtbot):
    cards = SummaryCards()
    qtbot.addWidget(cards)
    cards.display(CardValues("cuda:0", "mlp on cuda:0", 5000.0, 1e12, None, None,
                             na={"mfu": "n/a: no peak (probe failed: boom)."}))
    assert cards.mfu.value.text() == "n/a" and "probe failed: boom" in cards.mfu.value.toolTip()
    assert cards.speedup.value.toolTip().startswith("n/a")


def test_noisy_result_is_flagged_on_cards_and_table(qtbot):
    warning = "noisy: step-time CV 14%"
    cards = SummaryCards()
    qtbot.addWidget(cards)
    cards.display(CardValues("cpu", "mlp on cpu", 9876.0, 4.3e9, 0.3, 1.0, warnings=(warning,)))
    assert not cards.samples.flag.isHidden() and warning in cards.samples.flag.toolTip()
    assert not cards.warning.isHidden() and warning in cards.warning.text()
    cards.display(CardValues("cpu", "mlp on cpu", 9876.0, 4.3e9, 0.3, 1.0))
    assert cards.samples.flag.isHidden() and cards.warning.isHidden()

    table = ResultsTable()
    qtbot.addWidget(table)
    table.add_result({"device": "cpu", "workload": "mlp", "size": "S", "precision": "fp32",
                      "batch_size": 64, "status": "completed", "samples_per_s": 9876.0,
                      "achieved_flops_per_s": 4.31e9, "warnings": [warning]}, None)
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    status, flops = table.item(0, headers.index("Status")), table.item(0, headers.index("FLOP/s"))
    assert flops.text() == "4.31 GFLOP/s"
    assert "noisy" in status.text() and warning in status.toolTip() and not status.icon().isNull()
    assert warning in flops.toolTip()


@pytest.mark.slow
def test_screenshot_at_saves_a_png_mid_run(tmp_path):
    shot, result_json, logs = tmp_path / "mid.png", tmp_path / "result.json", tmp_path / "logs"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HORSEPOWER_LOG_DIR": str(logs)}
    proc = subprocess.run(
        [sys.executable, "-m", "gui.app.launcher", "gui", "--run", "cpu:mlp", "--duration", "3",
         "--batch-size", "32", "--threads", "1", "--screenshot", str(shot), "--screenshot-at", "0.5",
         "--json", str(result_json), "--quit-after", "90"],
        env=env, capture_output=True, text=True, timeout=150,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not QImage(str(shot)).isNull()
    result = json.loads(result_json.read_text())
    assert result["status"] == "completed" and result["timed_s"] >= 2.5
    log_text = (logs / "horsepower.log").read_text()
    assert "mid-run screenshot" in log_text
    # taken ~0.5 s into a 3 s timed window: well before the result was written
    assert shot.stat().st_mtime < result_json.stat().st_mtime - 1.5


def test_mfu_above_100_percent_is_flagged(qtbot):
    cards = SummaryCards()
    qtbot.addWidget(cards)
    cards.display(CardValues("cpu", "mlp on cpu", 7872.0, 7.5e10, 1.05, 1.0, peak_flops_per_s=7.2e10))
    assert cards.mfu.plain_value() == "105% of hardware peak"
    assert not cards.mfu.flag.isHidden() and "peak" in cards.mfu.flag.toolTip()
    assert cards.mfu.property("error") and cards.mfu.flag.text() == "\u2716"  # red, not amber
    assert cards.samples.flag.isHidden()
