"""Contention as a measurement: a run fed busy host readings (the readings are faked, the sampler
and the verdict are not) is marked "measured on a busy machine" in the headline, the report,
Compare, the CSV and the History status, and has no speedup; a quiet one is not marked."""

from __future__ import annotations

import csv
import io
import threading
from html import unescape
from typing import Any

import pytest

from profiler.analysis.compare import compare, render_table
from profiler.analysis.headline import headline
from profiler.cli.summary import render_summary
from profiler.events import EventBus
from profiler.history.store import HistoryStore
from profiler.metrics.comparison import speedup
from profiler.metrics.contention import (
    BUSY_TAG,
    CONTENDED_OTHERS_PERCENT,
    NOT_CAPABILITY,
    OthersStats,
    contention_of_dict,
    judge,
    others_stats,
)
from profiler.reports.stakeholder import stakeholder_report
from profiler.reports.tidy_csv import runs_csv
from profiler.results.result import RunResult, contention_of
from profiler.runner import sampler as sampler_module
from profiler.runner.references import reference_warnings
from tests.helpers import fabricated

CPUS = 2
OWN_PERCENT = 45.0  # this run's process: 45% of the machine


class FakeHost:
    """Stands in for ``HostReader``: every reading has others at ``OTHERS`` percent of the machine."""

    others = 0.0
    enough = threading.Event()
    reads = 0

    def __init__(self, track_children: bool = False) -> None:
        pass

    def read(self) -> dict[str, Any]:
        FakeHost.reads += 1
        if FakeHost.reads >= 12:
            FakeHost.enough.set()
        return {"cpu_util_percent": OWN_PERCENT + FakeHost.others, "process_cpu_share_percent": OWN_PERCENT,
                "process_cpu_percent": OWN_PERCENT * CPUS, "load_avg_1m": 3.5, "cpu_freq_mhz": 2900.0}


def measured(run_id: str, others: float, monkeypatch: pytest.MonkeyPatch, device: str = "cpu") -> dict[str, Any]:
    """A result whose telemetry went through the real sampler, fed host readings with ``others``."""
    monkeypatch.setattr(sampler_module, "HostReader", FakeHost)
    FakeHost.others, FakeHost.reads = others, 0
    FakeHost.enough = threading.Event()
    sampler = sampler_module.TelemetrySampler(run_id, EventBus(), t0=0.0, hz=500.0)
    sampler.mark_window(0.0)
    sampler.start()
    try:
        assert FakeHost.enough.wait(10.0)
    finally:
        sampler.stop()
    result = fabricated(run_id, device=device)
    result.environment = {"logical_cpus": CPUS, "hostname": "here"}
    result.telemetry = sampler.summary()
    result.others_cpu = sampler.others_cpu()
    result.warnings += reference_warnings(result)
    return result.to_dict()


@pytest.fixture
def busy(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    return measured("busy-run", 52.0, monkeypatch)


@pytest.fixture
def quiet(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    return measured("quiet-run", 2.0, monkeypatch)


def test_the_verdict_is_the_median_of_others_share_over_the_window_against_15_points() -> None:
    samples = [{"cpu_util_percent": 45.0 + o, "process_cpu_share_percent": 45.0} for o in (10, 12, 70, 14, 90)]
    stats = others_stats(samples)
    assert (stats.samples, stats.median_percent, stats.max_percent) == (5, 14.0, 90.0)
    assert stats.p90_percent == pytest.approx(82.0)
    assert not judge(stats).contended  # two spikes do not make a busy machine: the median does
    assert judge(OthersStats(9, 15.5, 20.0)).contended
    assert judge(OthersStats(9, CONTENDED_OTHERS_PERCENT, 20.0)).state == "quiet"
    assert judge(None).state == "unknown" and not judge(None).contended


def test_a_run_fed_busy_readings_carries_a_typed_verdict_with_its_figures(busy: dict[str, Any],
                                                                         quiet: dict[str, Any]) -> None:
    verdict = contention_of(RunResult.from_dict(busy))  # the typed entry point
    assert verdict == contention_of_dict(busy)  # and the same verdict at the dict edge
    assert verdict.contended and busy["contended"] is True and busy["contention"]["state"] == "contended"
    assert verdict.others_median_percent == pytest.approx(52.0) and verdict.others_p90_percent == pytest.approx(52.0)
    assert verdict.load_avg_1m == 3.5 and verdict.logical_cpus == CPUS and verdict.clock_mhz == 2900.0
    assert verdict.samples >= 10 and "median of" in verdict.basis
    assert any(w.startswith("contended:") and NOT_CAPABILITY in w for w in busy["warnings"])
    assert not contention_of_dict(quiet).contended and quiet["contended"] is False
    assert not any(w.startswith("contended") for w in quiet["warnings"])


def test_the_headline_says_busy_machine_instead_of_a_claim(busy: dict[str, Any], quiet: dict[str, Any]) -> None:
    line = headline([busy])
    assert line is not None and line.contended
    assert NOT_CAPABILITY in line.sentence and "trains" not in line.sentence and "%" in line.sentence
    calm = headline([quiet])
    assert calm is not None and not calm.contended and "trains" in calm.sentence
    assert BUSY_TAG not in calm.sentence


def test_no_speedup_is_headlined_or_compared_against_a_contended_run(busy: dict[str, Any],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    other = measured("quiet-gpu", 1.0, monkeypatch, device="cuda:0")
    other["samples_per_s"] = busy["samples_per_s"] * 40
    found = speedup(other, busy)
    assert not found.comparable and "busy machine" in found.reason
    line = headline([busy, other])
    assert line is not None and line.speedup is None and "faster" not in line.sentence
    assert line.run_id == "quiet-gpu"  # the quiet run's own figure, not the busy one's


def test_compare_text_report_and_csv_mark_only_the_contended_run(busy: dict[str, Any], quiet: dict[str, Any]) -> None:
    text = render_table(compare([quiet, busy]))
    assert f"{BUSY_TAG}" in text and NOT_CAPABILITY in text and "×" not in text
    rows = text.splitlines()
    assert BUSY_TAG not in rows[2] and rows[3].endswith(BUSY_TAG)  # the quiet run's row, then the busy one's
    assert BUSY_TAG not in render_table(compare([quiet]))
    html = unescape(stakeholder_report([busy]))
    assert NOT_CAPABILITY in html and 'class="headline busy"' in html and f"· {BUSY_TAG}" in html
    assert NOT_CAPABILITY not in unescape(stakeholder_report([quiet]))
    table = {r["run_id"]: r for r in csv.DictReader(io.StringIO(runs_csv([quiet, busy])))}
    assert table["busy-run"]["contended"] == "yes" and float(table["busy-run"]["others_cpu_median_percent"]) > 50
    assert table["quiet-run"]["contended"] == "no"


def test_history_status_says_busy_machine(busy: dict[str, Any], quiet: dict[str, Any], tmp_path) -> None:
    with HistoryStore(tmp_path) as store:
        for run in (busy, quiet):
            store.begin_run(run["run_id"], run["spec"])
            store.finish_run(run["run_id"], run)
        status = {s.run_id: s.status_text for s in store.list_runs()}
    assert status == {"busy-run": f"completed · {BUSY_TAG}", "quiet-run": "completed"}


def test_the_run_summary_states_how_quiet_the_machine_was(busy: dict[str, Any], quiet: dict[str, Any]) -> None:
    line = next(x for x in render_summary(busy).splitlines() if x.strip().startswith("machine"))
    assert "BUSY" in line and "others' CPU median 52%" in line and "load 3.5 on 2 CPUs" in line
    assert "clock 2.90 GHz" in line
    calm = next(x for x in render_summary(quiet).splitlines() if x.strip().startswith("machine"))
    assert "quiet" in calm and "BUSY" not in calm


def test_a_result_stored_before_medians_is_judged_on_its_window_mean() -> None:
    old = {"other_cpu_percent": 60.0, "environment": {"logical_cpus": 2}}
    verdict = contention_of_dict(old)
    assert verdict.contended and "mean" in verdict.basis
    assert contention_of_dict({"other_cpu_percent": 5.0}).state == "quiet"
    assert contention_of_dict({}).state == "unknown"
