"""What the Scaling view is given: sweeps grouped from runs, the report of one sweep."""

from __future__ import annotations

import pytest

from profiler.analysis.scaling_view import point_cells, scale_groups, scale_report, stored_scale_groups
from profiler.history import HistoryStore
from profiler.results.result import RunResult
from tests.helpers import fabricated, scale_result


def sweep(t0: float = 1.0e9, mode: str = "strong") -> list[dict]:
    """1, 2 and 4 ranks: 1000, 1600 and 2400 samples/s (64 samples a step); rank 3 of 4 is slow."""
    return [
        scale_result(f"s1-{t0}", 1, 0.064, started_at=t0, mode=mode),
        scale_result(f"s2-{t0}", 2, 0.04, started_at=t0 + 10, mode=mode),
        scale_result(f"s4-{t0}", 4, 64 / 2400, started_at=t0 + 20, mode=mode,
                     splits=[(0.001, 0.015, 64 / 2400 - 0.016)] * 3 + [(0.001, 0.021, 64 / 2400 - 0.022)]),
    ]


def test_report_has_efficiency_ideal_line_and_splits_that_add_up() -> None:
    report = scale_report(list(reversed(sweep())))
    assert report.world_sizes == [1, 2, 4]
    assert [p.efficiency for p in report.points] == pytest.approx([1.0, 0.8, 0.6])
    assert report.ideal_samples_per_s == pytest.approx((1000.0, 2000.0, 4000.0))
    four = report.detail(4)
    assert four is not None and len(four.bars) == 4
    for bar in four.bars:
        tops = [bottom + height for _part, bottom, height in bar.segments]
        assert max(tops) == pytest.approx(bar.step_s)
        assert bar.input_s + bar.compute_s + bar.comm_s == pytest.approx(bar.step_s)
    assert four.straggler_flag and "slowest rank 3: 1.38×" in four.straggler_text
    assert not report.detail(2).straggler_flag and "within the noise" in report.detail(2).straggler_text
    assert "bus bandwidth 1 GB/s" in four.busbw_text
    assert "n/a (one rank" in report.detail(1).busbw_text
    assert "gloo" in report.caveat and "not what GPUs on NCCL do" in report.caveat and "2 logical CPUs" in report.caveat
    assert [row[5] for row in point_cells(report)] == ["100.0%", "80.0%", "60.0%"]


def test_negative_exposed_comm_is_drawn_as_zero_and_flagged() -> None:
    run = scale_result("n", 2, 0.02, splits=[(0.0, 0.024, -0.004), (0.0, 0.018, 0.002)])
    bars = scale_report([run]).detail(2).bars
    assert bars[0].noisy and bars[0].segments[1] == ("comm", 0.024, 0.0)
    assert not bars[1].noisy


def test_groups_split_repeated_sweeps_and_keep_settings_apart() -> None:
    runs = [*sweep(1.0e9), *sweep(2.0e9), *sweep(3.0e9, mode="weak"),
            fabricated("single").to_dict()]  # a plain run is no scale run
    groups = scale_groups(runs)
    assert [g.world_sizes for g in groups] == [[1, 2, 4]] * 3
    assert "weak" in groups[0].label and "strong" in groups[1].label
    assert groups[1].run_ids == [f"s{n}-2000000000.0" for n in (1, 2, 4)]
    assert "1, 2, 4 ranks" in groups[1].label


def test_stored_groups_come_from_history(tmp_path) -> None:
    store = HistoryStore.open(tmp_path)
    try:
        for run in sweep():
            store.store_result(RunResult.from_dict(run).to_dict())
        store.store_result(fabricated("other").to_dict())
        groups = stored_scale_groups(store)
    finally:
        store.close()
    assert len(groups) == 1 and groups[0].world_sizes == [1, 2, 4]
    assert scale_report(groups[0].runs).points[1].efficiency == pytest.approx(0.8)
