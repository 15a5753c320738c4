"""The Scaling tab: a fabricated sweep drawn, bad world sizes refused, stored sweeps reopened,
Compare across world sizes, and one real 1,2-rank CPU sweep over gloo with nothing left running."""

from __future__ import annotations

import time
from types import SimpleNamespace

import psutil
import pytest

from profiler.results.result import RunResult
from tests.fakes.engine import worker_children
from tests.gui.window.window_kit import open_window
from tests.helpers import scale_result

REAL_SCALE_TIMEOUT_MS = 120_000


@pytest.fixture
def window(qtbot):
    with open_window(qtbot, ready="store") as win:
        qtbot.waitUntil(lambda: win.workspace.scaling.form.workload.count() > 0, timeout=5000)
        yield win


def sweep(t0: float = 1.0e9) -> list[dict]:
    """1, 2, 4 ranks at 1000, 1600, 2400 samples/s; rank 3 of 4 is 1.38x the median."""
    return [
        scale_result(f"s1-{t0:.0f}", 1, 0.064, started_at=t0),
        scale_result(f"s2-{t0:.0f}", 2, 0.04, started_at=t0 + 10),
        scale_result(f"s4-{t0:.0f}", 4, 64 / 2400, started_at=t0 + 20,
                     splits=[(0.001, 0.015, 64 / 2400 - 0.016)] * 3 + [(0.001, 0.021, 64 / 2400 - 0.022)]),
    ]


def fake_scale(config, nprocs, cancel, on_point):
    """A ``ScaleFn`` that 'measures' the fabricated sweep's points of ``nprocs``."""
    by_size = {r["spec"]["world_size"]: r for r in sweep(time.time())}
    points = []
    for n in nprocs:
        if cancel.is_set():
            break
        point = SimpleNamespace(world_size=n, result=by_size[n], ok=True)
        points.append(point)
        on_point(point)
    return points


def table_column(view, col: int) -> list[str]:
    return [view.table.item(r, col).text() for r in range(view.table.rowCount())]


def test_fabricated_sweep_is_drawn_with_ideal_lines_splits_and_straggler(window):
    page = window.workspace.scaling
    window.workspace.show_tab("Scaling")
    assert page.hint.isVisible() and not page.view.isVisible()
    page.show_runs(sweep())
    view = page.view
    assert view.isVisible() and not page.hint.isVisible()
    assert table_column(view, 5) == ["100.0%", "80.0%", "60.0%"]
    drawn = view.rendered()
    ideal, measured = drawn["throughput"]
    assert [x for x, _ in ideal] == [1, 2, 4] and [y for _, y in ideal] == pytest.approx([1000, 2000, 4000])
    assert [y for _, y in measured] == pytest.approx([1000, 1600, 2400])
    line, effs = drawn["efficiency"]
    assert [y for _, y in line] == [1.0, 1.0]  # the ideal 100%
    assert [y for _, y in effs] == pytest.approx([1.0, 0.8, 0.6])
    assert view.split_size.currentData() == 4
    stacks = drawn["bars"]  # compute, comm, input: each bar part starts where the one below ends
    assert [len(b["x"]) for b in stacks] == [4, 4, 4]
    tops = [b["y0"][3] + b["height"][3] for b in stacks]
    assert tops[-1] == pytest.approx(64 / 2400)  # rank 3's stack adds up to its step
    assert "slowest rank 3: 1.38×" in view.straggler.text() and "straggler" in view.straggler.text()
    assert "bus bandwidth 1 GB/s" in view.busbw.text()
    assert view.caveat.isVisible() and "not what GPUs on NCCL do" in view.caveat.text()
    view.split_size.setCurrentIndex(1)  # 2 ranks
    assert [len(b["x"]) for b in view.rendered()["bars"]] == [2, 2, 2]
    assert "within the noise" in view.straggler.text()


@pytest.mark.parametrize(("nproc", "words"), [
    ("0", "a world size must be at least 1 rank, got 0"),
    ("1,1", "world size 1 is listed twice"),
    ("one,two", "comma-separated list of world sizes"),
    ("1,3", "does not divide by 3 ranks"),
])
def test_bad_world_sizes_give_one_line_and_start_nothing(window, nproc, words):
    tabs, form = window.workspace, window.workspace.scaling.form
    tabs.show_tab("Scaling")
    form.nproc.setText(nproc)
    form.run_button.click()
    text = form.error_label.text()
    assert words in text and "\n" not in text and text.startswith("Cannot start: ")
    assert not tabs.scales.busy and tabs.scales.config is None and not worker_children()
    assert tabs.store.list_runs() == []


def test_more_ranks_than_devices_is_refused_before_anything_starts(window, monkeypatch):
    from profiler.distributed import sweep as engine_sweep

    monkeypatch.setattr(engine_sweep, "devices_here", lambda kind: (2, "") if kind == "cuda" else (1, ""))
    tabs = window.workspace
    assert not tabs.start_scale({**tabs.scaling.form.request(), "device": "cuda", "nproc": "1,2,4"})
    assert tabs.scaling.form.error_label.text() == ("Cannot start: 4 ranks need 4 cuda devices (one per rank); "
                                                    "this machine has 2")
    assert not tabs.scales.busy and not worker_children()


def test_a_finished_sweep_is_stored_listed_and_reopened_from_history(window, qtbot):
    tabs = window.workspace
    tabs.show_tab("Scaling")
    form = tabs.scaling.form
    form.nproc.setText("1,2,4")
    assert tabs.start_scale(form.request(), scale_fn=fake_scale)
    qtbot.waitUntil(lambda: not tabs.scales.busy, timeout=5000)
    # the thread ends before its queued "finished" reaches the page: wait for what a user sees
    qtbot.waitUntil(lambda: "3 of 3 world sizes measured" in tabs.scaling.progress_label.text(), timeout=5000)
    assert table_column(tabs.scaling.view, 0) == ["1", "2", "4"]
    stored = tabs.store.list_runs()
    assert sorted(r.world_size for r in stored) == [1, 2, 4]
    # listed off the GUI thread, and listed again as the store changes: wait for the listing of the whole sweep
    qtbot.waitUntil(lambda: form.stored.isEnabled() and "1, 2, 4 ranks" in form.stored.itemText(0), timeout=5000)
    tabs.scaling.view.table.setRowCount(0)
    form.open_button.click()
    assert table_column(tabs.scaling.view, 5) == ["100.0%", "80.0%", "60.0%"]
    tabs.show_tab("History")
    tabs.history_view().table.selectAll()
    tabs.show_tab("Live")
    tabs.history.scaling_button.click()
    assert tabs.currentWidget() is tabs.scaling
    assert table_column(tabs.scaling.view, 0) == ["1", "2", "4"]


def test_history_refuses_to_open_a_plain_run_in_scaling(window):
    tabs = window.workspace
    seen = []
    tabs.sig_message.connect(lambda kind, title, text: seen.append(title))
    from tests.helpers import fabricated

    tabs.store.store_result(fabricated("plain").to_dict())
    assert not tabs.scale_runs(["plain"])
    assert seen == ["Not a scale run"] and tabs.currentWidget() is not tabs.scaling


def test_compare_says_when_runs_differ_in_world_size(window):
    tabs = window.workspace
    for run in sweep()[:2]:
        tabs.store.store_result(RunResult.from_dict(run).to_dict())
    tabs.compare_runs(["s1-1000000000", "s2-1000000000"])
    view = tabs.compare.view
    assert "different numbers of ranks (1, 2)" in view.baseline_label.text()
    devices = [view.table.item(r, 3).text() for r in range(2)]
    assert devices == ["cpu", "cpu x2"]
    assert view.comparison.rows[1].speedup_note == "2 ranks: 1.60x faster than 1"


def rank_processes() -> list[psutil.Process]:
    out = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "profiler.distributed" in " ".join(child.cmdline()):
                out.append(child)
        except psutil.Error:
            continue
    return out


def quick(form, nproc: str) -> dict:
    form.nproc.setText(nproc)
    return {**form.request(), "steps": 5, "warmup_max_steps": 3, "reference_steps": 3, "measure_peak": False}


@pytest.mark.slow
def test_real_one_and_two_rank_cpu_sweep_runs_through_the_window(window, qtbot):
    tabs = window.workspace
    tabs.show_tab("Scaling")
    assert tabs.start_scale(quick(tabs.scaling.form, "1,2"))
    assert not window.controls.start_button.isEnabled()  # one thing at a time
    qtbot.waitUntil(lambda: bool(rank_processes()), timeout=30_000)
    qtbot.waitUntil(lambda: not tabs.scales.busy, timeout=REAL_SCALE_TIMEOUT_MS)
    thread = tabs.scales._thread
    assert thread is not None and thread.isFinished()
    assert not rank_processes() and not worker_children()
    assert [r["status"] for r in thread.results] == ["completed", "completed"]
    view = tabs.scaling.view
    assert table_column(view, 0) == ["1", "2"] and table_column(view, 5)[0] == "100.0%"
    assert view.split_size.currentData() == 2 and [len(b["x"]) for b in view.rendered()["bars"]] == [2, 2, 2]
    assert "bus bandwidth" in view.busbw.text() and "gloo" in view.caveat.text()
    assert sorted(r.world_size for r in tabs.store.list_runs()) == [1, 2]
    assert window.controls.start_button.isEnabled()


def test_closing_the_window_mid_sweep_stops_every_rank(window, qtbot):
    tabs = window.workspace
    assert tabs.start_scale({**quick(tabs.scaling.form, "2"), "steps": 100000})
    qtbot.waitUntil(lambda: len(rank_processes()) >= 3, timeout=30_000)  # the agent and its two ranks
    started = time.monotonic()
    assert window.shutdown(timeout_s=30.0)
    assert time.monotonic() - started < 30.0
    assert tabs.scales._thread.isFinished()
    assert not rank_processes() and not worker_children()


def test_the_closing_question_names_a_scaling_run() -> None:
    from gui.window.closing import busy_text

    text = busy_text([], sweeping=False, scaling=True)
    assert text.startswith("A scaling run is going") and "History" in text
    assert "sweep" not in busy_text(["mlp-S on cpu"], sweeping=False, scaling=False)
