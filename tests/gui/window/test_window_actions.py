"""Window actions: the allocator A/B offered on its finding, presentation left with one Esc (synthetic engine)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from profiler.metrics.allocator import allocator_finding
from profiler.results.spec import RunSpec
from tests.gui.window.window_kit import open_window


@pytest.fixture
def window(qtbot):
    with open_window(qtbot) as win:
        yield win


def test_a_high_fault_rate_is_named_and_offers_an_alternating_ab_run(window, qtbot):
    finding = allocator_finding("cpu", "", faults=978_000, steps=400, timed_s=10.0)
    assert finding.startswith("allocator: 978,000 minor page faults") and "MALLOC_MMAP_THRESHOLD_" in finding
    assert allocator_finding("cpu", "", faults=20_000, steps=400, timed_s=10.0) == ""  # 50 a step: fine
    assert allocator_finding("cuda:0", "", faults=978_000, steps=400, timed_s=10.0) == ""
    spec = RunSpec(workload="mlp", device="cpu", duration_s=0.3)
    window.session.specs["r1"] = spec
    window._on_run_notice("r1", "warning", finding)
    banner = window.banner
    assert banner.isVisible() and banner.action_button.isVisible()
    assert banner.action_button.text() == "Run the allocator A/B"
    started: list[list[RunSpec]] = []
    window.start_runs = lambda specs, race=False, trace=False: started.append(list(specs)) or ["a"]  # type: ignore[method-assign]
    banner.action_button.click()
    assert not banner.isVisible()
    [specs] = started
    assert [s.allocator for s in specs] == ["", "tuned", "", "tuned"]  # alternating
    assert all(s.replace(allocator="") == specs[0] for s in specs)  # one difference only


def test_presentation_esc_leaves_at_once_and_stops_the_round(window, qtbot):
    from PySide6.QtCore import Qt

    window.controls.duration.setValue(30)  # a round that would run for 30 s
    window.demo.enter()
    assert window.demo.active and window.presentation.active
    qtbot.waitUntil(lambda: window.runs.busy, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_Escape)  # once
    assert not window.demo.active and not window.presentation.active
    qtbot.waitUntil(lambda: not window.runs.busy, timeout=5000)  # the round stopped, not run out
    assert window.sidebar.isVisible()
    qtbot.wait(50)
    assert not window.runs.busy  # and no next round started


def test_developer_telemetry_only_in_the_debug_view(window, qtbot, monkeypatch):
    status = window.status
    assert not status.overhead.isVisible() and not status.refresh.isVisible()  # not for an audience
    assert status.torch.isVisible()
    status.toggle_debug()
    assert status.overhead.isVisible() and status.refresh.isVisible() and status.sampling.isVisible()
    status.toggle_debug()
    assert not status.overhead.isVisible()


def test_a_banner_belongs_to_its_page_and_stays_dismissed(window, qtbot):
    banner = window.banner
    window.workspace.show_live()
    banner.show_message("warning", "A warning about the Live run", "details")
    assert banner.isVisible()
    window.workspace.show_tab("History")
    assert not banner.isVisible()  # not over another page
    window.workspace.show_live()
    assert banner.isVisible()  # back with its page
    banner.dismiss()
    window.workspace.show_tab("Compare")
    window.workspace.show_live()
    assert not banner.isVisible()  # dismissed stays dismissed


def test_no_banner_over_presentation(window, qtbot):
    window.presentation.active = True
    window.session.specs["r1"] = RunSpec(workload="mlp")
    window._on_run_notice("r1", "warning", allocator_finding("cpu", "", 978_000, 400, 10.0))
    assert not window.banner.isVisible()
    window.presentation.active = False


def test_on_a_cpu_only_machine_presentation_shows_a_true_figure_not_baseline(window):
    from gui.viewmodel.card_values import FIGURE, final_values
    from tests.helpers import fabricated

    assert window.presentation.cpu_only()  # the fake machine: the CPU and an unavailable GPU
    window.presentation.set_active(True)
    try:
        metered = fabricated("metered", "cpu", step_s=0.02, energy_j=10.0).to_dict()
        values = window.presentation.card_values(final_values(metered, "this CPU", None))
        assert values is not None and values.speedup_kind == FIGURE
        window.cards.display(values)
        assert window.cards.speedup.title.text() == "SAMPLES PER JOULE"
        assert window.cards.speedup.plain_value() == "64 samples/J"  # the engine's samples_per_j
        unmetered = fabricated("plain", "cpu", step_s=0.02).to_dict()
        unmetered["mfu_ceiling"] = 0.45
        window.cards.display(window.presentation.card_values(final_values(unmetered, "this CPU", None)))
        assert window.cards.speedup.title.text() == "OF THE BEST GEMM HERE"
        assert "baseline" not in window.cards.speedup.plain_value()
    finally:
        window.presentation.set_active(False)
    outside = window.presentation.card_values(final_values(metered, "this CPU", None))
    assert outside is not None and outside.speedup_kind == "baseline"  # the window itself is unchanged


def test_the_sidebar_shows_the_run_in_focus_without_starting_anything(window, qtbot):
    from tests.helpers import fabricated

    first = fabricated("first", "cpu", batch=64, precision="bf16", threads=1).to_dict()
    second = fabricated("second", "cpu", batch=128, size="M").to_dict()
    for result in (first, second):
        window.session.started(result["run_id"], RunSpec.from_dict(result["spec"]))
        window.session.finished(result["run_id"], result)
        window.table.add_result(result, None)
    window.table.sortItems(2, Qt.SortOrder.DescendingOrder)  # rows no longer in run order
    row = next(r for r in range(window.table.rowCount()) if window.table.result_at(r)["run_id"] == "first")
    window.table.selectRow(row)
    c = window.controls
    assert window.session.focus == "first"
    shown = (c.batch.value(), c.precision.currentText(), c.size_preset.currentText(), c.threads.value())
    assert shown == (64, "bf16", "S", 1)
    assert window.picker.selected_ids() == ["cpu"] and not window.runs.busy  # nothing started
    row = next(r for r in range(window.table.rowCount()) if window.table.result_at(r)["run_id"] == "second")
    window.table.selectRow(row)
    assert window.session.focus == "second"
    assert (c.batch.value(), c.precision.currentText(), c.size_preset.currentText()) == (128, "fp32", "M")
    # History's Re-run: the sidebar says what runs
    window.workspace.sig_rerun_requested.emit(RunSpec(workload="mlp", size="L", batch_size=32, duration_s=1.0))
    assert (c.batch.value(), c.size_preset.currentText(), c.duration.value()) == (32, "L", 1.0)
    qtbot.waitUntil(lambda: not window.runs.busy, timeout=15000)
