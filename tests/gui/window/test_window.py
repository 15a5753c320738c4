"""The window with a faked device list and a synthetic engine (no torch, fast)."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt

from gui.runs import event_ingest as ingest
from gui.viewmodel import series_store as sk
from gui.window.main_window import MainWindow
from profiler.results.spec import RunSpec
from tests.fakes.engine import CUDA_REASON, fake_catalog, fake_supervise, raising_supervise
from tests.gui.window.window_kit import open_window
from tests.helpers import WAIT_MS


@pytest.fixture
def window(qtbot):
    with open_window(qtbot) as win:
        yield win


def spec(device: str = "cpu", duration_s: float = 0.6) -> RunSpec:
    return RunSpec(workload="mlp", device=device, duration_s=duration_s)


def test_window_builds_from_faked_devices(window):
    picker = window.picker
    assert picker.selected_ids() == ["cpu"]
    gpu = picker.item_for("cuda")
    assert not gpu.flags() & Qt.ItemFlag.ItemIsEnabled  # greyed out
    assert CUDA_REASON in gpu.toolTip()
    assert window.controls.start_button.isEnabled()
    assert "2.13.0+fake" in window.status.torch.text()
    assert [c.value.text() for c in window.cards.cards()] == ["n/a"] * 4


def test_fake_run_fills_plots_cards_and_table(window, qtbot):
    window.controls.duration.setValue(1)
    assert window.start_selected()
    assert not window.controls.start_button.isEnabled()
    qtbot.waitUntil(lambda: window.table.rowCount() == 1, timeout=5000)
    window.tick()
    points = window.plots.curve_points()
    assert points["throughput"] >= 5 and points["step_time"] > 10 and points["loss"] > 10
    assert window.cards.samples.value.text() not in ("n/a", "")
    assert window.cards.mfu.plain_value().endswith("% of hardware peak")  # MFU says what it is against
    assert window.cards.speedup.value.text() == "baseline"  # a first CPU run is the baseline
    qtbot.waitUntil(lambda: window.controls.start_button.isEnabled(), timeout=3000)


def test_stop_ends_the_run_and_keeps_it_as_stopped(window, qtbot):
    """Stop ends a 30 s run long before its end (the supervisor's grace is 1 s; no wall-clock
    limit here: a busy machine is slow, not wrong)."""
    [run_id] = window.start_runs([spec(duration_s=30)])
    qtbot.waitUntil(lambda: window.store.version(run_id, ingest.SAMPLES_PER_S) > 5, timeout=WAIT_MS)
    window.stop_runs()
    qtbot.waitUntil(lambda: not window.runs.busy, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: run_id in window.session.results, timeout=WAIT_MS)
    result = window.session.results[run_id]
    assert result["status"] == "stopped" and result["timed_s"] < 30


def test_race_mode_runs_devices_together(window, qtbot):
    ids = window.start_runs([spec("cpu"), spec("cpu")], race=True)
    assert len(window.runs._threads) == 2
    qtbot.waitUntil(lambda: all(r in window.session.results for r in ids), timeout=5000)
    assert len(window.plots.runs) == 2


def test_supervisor_exception_marks_run_failed_and_window_lives(qtbot):
    win = MainWindow(catalog_fn=fake_catalog, supervise_fn=raising_supervise)
    qtbot.addWidget(win)
    [run_id] = win.start_runs([spec()])
    qtbot.waitUntil(lambda: run_id in win.session.results, timeout=5000)
    assert win.session.results[run_id]["status"] == "failed"
    assert not win.banner.isHidden()
    assert "supervisor exploded" in win.banner.plain_text()
    qtbot.waitUntil(lambda: not win.runs.busy, timeout=2000)
    assert win.start_runs([spec()])  # the app keeps working
    win.shutdown()


def test_close_mid_run_joins_everything(qtbot):
    win = MainWindow(catalog_fn=fake_catalog, supervise_fn=fake_supervise)
    qtbot.addWidget(win)
    win.show()
    [run_id] = win.start_runs([spec(duration_s=30)])
    qtbot.waitUntil(lambda: win.store.version(run_id, ingest.SAMPLES_PER_S) > 0, timeout=WAIT_MS)
    started = time.perf_counter()
    win.close()
    assert time.perf_counter() - started < 2.0
    assert not win.runs.busy


def test_demo_mode_loops_rounds(qtbot):
    win = MainWindow(catalog_fn=fake_catalog, supervise_fn=fake_supervise)
    qtbot.addWidget(win)
    win.demo._next.setInterval(50)
    win.controls.duration.setValue(1)
    qtbot.waitUntil(lambda: bool(win.controls.workloads), timeout=5000)
    win.show()
    win.demo.enter()
    assert win.isFullScreen() and win.presentation.active and not win.sidebar.isVisible()
    assert not win.statusBar().isVisible() and not win.live.header.isHidden()  # no developer telemetry
    assert "Esc" in win.live.header.hint.text()
    qtbot.waitUntil(lambda: win.demo.rounds >= 2, timeout=8000)
    qtbot.waitUntil(lambda: "faster" in win.live.header.headline.text()
                    or "trains" in win.live.header.headline.text(), timeout=5000)
    assert "-S" not in win.live.header.headline.text()  # plain words for an audience, not "mlp-S"
    assert all(s.origin == "demo" for s in win.session.specs.values())
    win.demo.leave()
    assert not win.presentation.active and not win.dark and win.sidebar.isVisible()
    assert win.statusBar().isVisible() and win.live.header.isHidden() and not win.isFullScreen()
    win.shutdown()


def test_bridge_emits_coarse_signals_only_and_refresh_slows_for_cpu_runs(window, qtbot):
    from gui.window.main_window import REFRESH_CPU_RUN_MS, REFRESH_IDLE_MS

    emitted = []
    b = window.bridge
    for sig in (b.sig_run_started, b.sig_run_state_changed, b.sig_run_notice, b.sig_run_finished):
        sig.connect(lambda *args, s=sig: emitted.append(s))
    [run_id] = window.start_runs([spec(duration_s=0.8)])
    qtbot.waitUntil(lambda: window._refresh.interval() == REFRESH_CPU_RUN_MS, timeout=2000)
    qtbot.waitUntil(lambda: run_id in window.session.results, timeout=5000)
    steps = window.store.scalar(run_id, sk.STEPS)
    assert steps > 50
    assert len(emitted) <= 4  # started, state, finished: never one signal per sample
    qtbot.waitUntil(lambda: window._refresh.interval() == REFRESH_IDLE_MS, timeout=3000)


def test_gpu_run_plots_device_util_and_memory_and_speedup(window, qtbot):
    ids = window.start_runs([spec("cpu", 0.5), spec("cuda:0", 0.5)])
    qtbot.waitUntil(lambda: all(r in window.session.results for r in ids), timeout=5000)
    window.tick()
    points = window.plots.curve_points()
    # beside the machine's lines: each run's process CPU; its RSS, and the GPU run's tensors
    runs = {k[0] for k in window.plots.machine._curves} - {"machine"}
    assert len(runs) == 2
    assert len([k for k in window.plots.machine._curves if k[0] in runs and k[2] == "util"]) == 2
    assert len([k for k in window.plots.machine._curves if k[0] in runs and k[2] == "memory"]) == 3
    assert points["throughput"] > 4
    assert window.cards.speedup.value.text().endswith("×")  # focus: the GPU run vs the CPU run
    assert "n/a" not in window.cards.speedup.value.text()
