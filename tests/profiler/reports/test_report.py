"""Exports and HTML reports: escaping, self-containment, CSV shape, JSON round trip."""

from __future__ import annotations

import csv
import io
import json

from profiler.analysis.sweep import sweep
from profiler.analysis.value import DevicePrice, Job, PriceBook
from profiler.events import EventBus
from profiler.history import HistoryStore, RunRecorder
from profiler.reports.export import export_run, import_run, run_to_csv
from profiler.reports.html import comparison_report, run_report
from profiler.reports.svg import bar_chart, line_chart
from tests.helpers import fabricated, publish_run

HOSTILE = "<script>alert(1)</script>"


def recorded_store(tmp_path):
    store = HistoryStore(tmp_path / "db")
    bus = EventBus()
    recorder = RunRecorder(store, "r1", fabricated("r1").spec)
    bus.subscribe(recorder)
    publish_run(bus, "r1")
    recorder.close()  # the writer thread commits; close waits for it
    return store


def hostile_run(tmp_path):
    store = HistoryStore(tmp_path / "h")
    result = fabricated("evil", name=HOSTILE, energy_j=2.0)
    result.environment = {"hostname": HOSTILE, HOSTILE: 1}
    result.device_info = {"name": HOSTILE}
    result.warnings = [HOSTILE]
    result.telemetry = {HOSTILE: {"mean": 1.0, "max": 2.0}}
    store.store_result(result.to_dict())
    return store.get("evil")


def assert_safe(page: str) -> None:
    assert "<script" not in page.lower()
    for bad in ("src=", "href=", "@import", "url(", "http://", "https://", "javascript:"):
        assert bad not in page.lower()


def test_run_report_escapes_user_text(tmp_path):
    run = hostile_run(tmp_path)
    page = run_report(run, prices=PriceBook(0.3, devices=(DevicePrice("cpu", cloud_per_h=1.0),)),
                      job=Job(1000, 2))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert_safe(page)
    assert "<svg" in page and "Samples/s over time" in page
    assert "samples/s" in page and "3,200" in page


def test_comparison_report_with_sweep(tmp_path):
    run = hostile_run(tmp_path)
    other = dict(run, run_id="gpu", device="cuda:0", samples_per_s=6400.0, name=HOSTILE + "2")

    def fake(spec):
        result = fabricated("x", spec.device)
        result.spec = spec
        result.step_times_s = [1.0 / (spec.knobs["width"] if spec.device != "cpu" else 100)]
        return result

    swept = sweep("mlp", "width", [10, 1000], ["cpu", "cuda:0"], run_fn=fake)
    page = comparison_report([run, other], prices=PriceBook(), sweep=swept, title=HOSTILE)
    assert_safe(page)
    assert "2.00× vs baseline" in page and "Baseline: <b>" in page
    assert "overtakes cpu at width ~ 100" in page and "break-even" in page


def test_svg_charts_handle_missing_data():
    chart = bar_chart(["a", HOSTILE], [1.0, None], HOSTILE)
    assert "n/a" in chart and "&lt;script&gt;" in chart and "<script" not in chart
    empty = line_chart([("x", [], [])], "empty", "t", "y")
    assert "no data" in empty


def test_csv_has_steps_and_telemetry(tmp_path):
    run = recorded_store(tmp_path).get("r1")
    rows = list(csv.DictReader(io.StringIO(run_to_csv(run))))
    assert list(rows[0]) == ["t_s", "step", "stage", "step_time_s", "samples_per_s", "loss",
                             "cuda:0.power_w", "host.cpu_util_percent"]
    steps = [r for r in rows if r["step"]]
    assert len(steps) == 5 and float(steps[0]["samples_per_s"]) == 320.0
    tele = [r for r in rows if r["host.cpu_util_percent"]]
    assert len(tele) == 5 and tele[0]["step_time_s"] == ""
    assert [float(r["t_s"]) for r in rows] == sorted(float(r["t_s"]) for r in rows)


def test_csv_neutralises_formula_text():
    run = fabricated("x").to_dict()
    run["series"] = {"steps": {"step": [0], "stage": ["=CMD()"], "t_s": [0.1],
                               "step_time_s": [0.1], "samples": [1], "loss": [None]},
                     "telemetry": {}, "notices": []}
    assert "'=CMD()" in run_to_csv(run)


def test_json_export_then_import_round_trip(tmp_path):
    store = recorded_store(tmp_path)
    path = export_run(store.get("r1"), "json", tmp_path / "r1.json")
    assert json.loads(path.read_text())["format"] == "horsepower-run"
    fresh = HistoryStore(tmp_path / "other")
    assert import_run(path, fresh) == "r1"
    back = fresh.get("r1")
    assert back["samples_per_s"] == store.get("r1")["samples_per_s"]
    assert back["series"]["telemetry"] == store.get("r1")["series"]["telemetry"]
    assert back["series"]["steps"]["step"] == [0, 1, 2, 3, 4]
    export_run(back, "html", tmp_path / "r1.html")
    assert (tmp_path / "r1.html").read_text().startswith("<!DOCTYPE html>")
