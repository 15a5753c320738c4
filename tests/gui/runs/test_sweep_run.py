"""Sweeps from the window: fake points (break-even text), a real 2-point sweep, close mid-sweep."""

from __future__ import annotations

import time

import pytest

from gui.window.main_window import MainWindow
from profiler.results.spec import RunSpec
from tests.fakes.engine import fake_catalog, worker_children
from tests.helpers import fake_sweep_point as fake_run

REAL_SWEEP_TIMEOUT_MS = 60_000


def make_window(qtbot, **kwargs) -> MainWindow:
    win = MainWindow(catalog_fn=fake_catalog, **kwargs)
    qtbot.addWidget(win)
    win.show()
    return win


def tiny_request(values: list[int], duration_s: float) -> dict:
    base = RunSpec(workload="mlp", device="cpu", knobs={"width": 64, "depth": 1},
                   warmup_max_steps=5, warmup_max_s=0.3, threads=1)
    return {"workload": "mlp", "knob": "batch_size", "values": values, "devices": ["cpu"],
            "duration_s": duration_s, "base": base.to_dict()}


def no_check(*_args) -> None:
    """The fake points run on a cuda:0 this machine does not have: skip the engine's checks."""


def test_fake_sweep_shows_progress_curves_and_break_even(qtbot):
    win = make_window(qtbot)
    tabs = win.workspace
    qtbot.waitUntil(lambda: bool(win.controls.workloads), timeout=5000)
    tabs.show_tab("Sweep")
    view = tabs.sweep.view
    view.values.setText("64,256,1024,4096")
    tabs.sweep_check = no_check
    assert tabs.start_sweep({**view.request(), "devices": ["cpu", "cuda:0"]}, run_fn=fake_run)
    qtbot.waitUntil(lambda: "overtakes cpu at width" in view.breakeven_label.text(), timeout=5000)
    qtbot.waitUntil(lambda: not tabs.sweeps.busy, timeout=2000)
    assert tabs.sweep.progress.value() == 8
    assert "8 of 8 points measured" in tabs.sweep.progress_label.text()
    assert len(view.plot.getPlotItem().listDataItems()) == 2
    assert view.run_button.isEnabled() and not tabs.sweep.stop_button.isEnabled()
    win.shutdown()


def test_sweep_points_use_the_sidebar_settings(qtbot):
    win = make_window(qtbot)
    qtbot.waitUntil(lambda: win.controls.workload_name() == "mlp", timeout=5000)
    win.controls.size_preset.setCurrentText("M")
    win.controls.precision.setCurrentText("bf16")
    win.controls.threads.setValue(1)
    seen: list[RunSpec] = []

    def record(spec: RunSpec):
        seen.append(spec)
        return fake_run(spec)

    tabs = win.workspace
    tabs.show_tab("Sweep")
    view = tabs.sweep.view
    view.values.setText("64,256")
    assert tabs.start_sweep(view.request(), run_fn=record)
    qtbot.waitUntil(lambda: not tabs.sweeps.busy, timeout=5000)
    assert [s.knobs.get("width") for s in seen] == [64, 256]
    assert {(s.size, s.precision, s.threads) for s in seen} == {("M", "bf16", 1)}
    win.shutdown()


@pytest.mark.slow
def test_real_two_point_sweep_completes_and_is_recorded(qtbot):
    win = make_window(qtbot)
    tabs = win.workspace
    qtbot.waitUntil(lambda: tabs.store is not None, timeout=5000)
    tabs.show_tab("Sweep")
    assert tabs.start_sweep(tiny_request([16, 32], 0.3))
    assert not win.controls.start_button.isEnabled()  # one thing at a time
    assert not win.start_selected()
    qtbot.waitUntil(lambda: not tabs.sweeps.busy, timeout=REAL_SWEEP_TIMEOUT_MS)
    points = tabs.sweep.points
    assert [(p.value, p.status) for p in points] == [(16, "completed"), (32, "completed")]
    assert all(p.samples_per_s and p.samples_per_s > 0 for p in points)
    assert "2 of 2 points measured" in tabs.sweep.progress_label.text()
    stored = {p.run_id: tabs.store.get(p.run_id) for p in points}
    assert {r["batch_size"] for r in stored.values()} == {16, 32}
    assert all(r["series"]["steps"]["step"] for r in stored.values())
    view = tabs.history_view()
    assert {p.run_id for p in points} <= {r.run_id for r in view.model.runs}
    win.shutdown()


def test_closing_mid_sweep_joins_thread_and_workers(qtbot):
    win = make_window(qtbot)
    tabs = win.workspace
    assert tabs.start_sweep(tiny_request([16, 32, 64], 60.0))
    qtbot.waitUntil(lambda: "measuring" in tabs.sweep.progress_label.text(),
                    timeout=REAL_SWEEP_TIMEOUT_MS)
    assert worker_children(), "the point should run in a worker process"
    started = time.perf_counter()
    win.close()
    assert time.perf_counter() - started < 2.0
    assert not tabs.sweeps.busy
    assert not worker_children()


def test_a_sweep_the_engine_rejects_never_starts_nor_leaves_rows(qtbot):
    """A point on a device that does not exist is rejected before the sweep starts: no thread,
    no "pending" leftovers in History."""
    win = make_window(qtbot)
    tabs = win.workspace
    qtbot.waitUntil(lambda: tabs.store is not None and bool(win.controls.workloads), timeout=5000)
    tabs.show_tab("Sweep")
    request = {"workload": "mlp", "knob": "width", "values": [64, 256], "devices": ["cpu", "cuda:7"],
               "duration_s": 1.0}
    assert not tabs.start_sweep(request)
    assert not tabs.sweeps.busy
    text = tabs.sweep.view.error_label.text()
    assert text.startswith("Cannot start this sweep") and "cuda" in text
    assert tabs.store.list_runs() == []
    assert not tabs.start_sweep({**request, "devices": ["cpu"], "knob": "colour"})
    assert "unknown knob 'colour'" in tabs.sweep.view.error_label.text()
    assert tabs.store.list_runs() == []
    win.shutdown()
