"""The headline sentence, the stakeholder report and the tidy CSV."""

from __future__ import annotations

import csv
import io
import re

from profiler.analysis.compare import compare
from profiler.analysis.headline import headline, money_per_samples
from profiler.analysis.value import DevicePrice, PriceBook
from profiler.reports.stakeholder import SECTIONS, stakeholder_report
from profiler.reports.tidy_csv import COLUMNS, runs_csv
from tests.helpers import fabricated


def _runs():
    gpu = fabricated("gpu", "cuda:0", step_s=0.005, energy_j=10.0)
    gpu.device_info = {"name": "NVIDIA H200", "memory_bytes": 141 * 2**30}
    cpu = fabricated("cpu", "cpu", step_s=0.02)
    cpu.device_info = {"name": "Test CPU", "memory_bytes": 8 * 2**30, "compute_units": 2,
                       "compute_unit_name": "logical cores", "details": {"mkldnn": True}}
    lstm = fabricated("lstm", "cpu", step_s=0.05, workload="lstm")
    stopped = fabricated("cut", "cpu", step_s=0.02, precision="bf16")
    stopped.status = "stopped"
    for r in (gpu, cpu, lstm, stopped):
        r.environment = {"hostname": "box", "cpu_model": "Test CPU", "torch": "2.13.0", "logical_cpus": 2}
    return [r.to_dict() for r in (gpu, cpu, lstm, stopped)]


def test_headline_takes_the_strongest_honest_comparison():
    runs = _runs()
    book = PriceBook(0.3, "USD", (DevicePrice("cuda:0", cloud_per_h=3.6),))
    line = headline(runs, book)
    assert line.sentence.startswith("NVIDIA H200 is 4.00× faster than the CPU of box on mlp-S")
    assert "USD per million samples" in line.sentence and "64 samples/J" in line.sentence
    assert line.run_id == "gpu" and line.baseline_id == "cpu"
    alone = headline([runs[1]])
    assert alone.sentence.startswith("The CPU of box trains mlp-S at 1,600 samples/s")
    assert headline([]) is None
    assert money_per_samples(1_000_000.0, "EUR") == "1.00 EUR per million samples"
    assert money_per_samples(50.0, "EUR") == "0.02 EUR per sample"


def test_stakeholder_report_reads_like_a_report():
    runs = _runs()
    page = stakeholder_report(runs, prices=PriceBook(0.3, "USD", (DevicePrice("cuda:0", cloud_per_h=3.6),)))
    body = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    for part in ("NVIDIA H200 is 4.00× faster", "Comparison", "The numbers", "The machine",
                 "Caveats and warnings", "Details of each run", "Value", "samples/s"):
        assert part in body, part
    order = [body.index(h) for h in ("class=\"headline\"", ">Comparison<", ">The numbers<", ">The machine<",
                                     ">Caveats and warnings<", ">Details of each run<")]
    assert order == sorted(order)
    assert "True" not in body and "False" not in body and "{" not in body  # no raw dicts or booleans
    assert "<thead><tr></tr></thead>" not in body and "<th></th>" not in body  # no blank header rows
    machine = body.split(">The machine<")[1].split("</section>")[0]
    assert machine.count(">NVIDIA H200<") == 1 and machine.count("<table") == 2  # host facts, one device table
    assert "not comparable: different workloads" in body
    assert "partial: stopped" in body
    assert "141 GiB" in body and "25275990016" not in body
    assert "batch</td><td>32" in body.replace("Batch", "batch")  # the run's real batch, never n/a
    assert len(SECTIONS) >= 7


def test_a_section_with_nothing_to_say_is_left_out():
    page = stakeholder_report([fabricated("c", "cpu").to_dict()])
    assert ">Value<" not in page  # no prices: no all-n/a value section
    assert "samples/J" not in page.split(">The numbers<")[1].split("</table>")[0]  # no all-n/a column


def test_extra_sections_go_before_the_details():
    page = stakeholder_report([fabricated("c", "cpu").to_dict()], extra=["<section><h2>Advice</h2></section>"])
    assert page.index(">Advice<") < page.index(">Details of each run<")


def test_tidy_csv_has_one_row_per_run_and_one_column_per_metric():
    runs = _runs()
    rows = list(csv.DictReader(io.StringIO(runs_csv(runs))))
    assert len(rows) == 4 and list(rows[0]) == list(COLUMNS)
    by_id = {r["run_id"]: r for r in rows}
    assert by_id["cpu"]["speedup_kind"] == "baseline" and by_id["cpu"]["baseline"] == "yes"
    assert float(by_id["gpu"]["speedup"]) == 4.0 and by_id["gpu"]["device_name"] == "NVIDIA H200"
    assert by_id["lstm"]["speedup"] == "" and "different workloads" in by_id["lstm"]["speedup_note"]
    assert by_id["cut"]["partial"].startswith("partial: stopped")
    assert by_id["cpu"]["samples_per_j"] == "" and float(by_id["gpu"]["samples_per_j"]) == 64.0
    assert compare(runs).baseline_id == "cpu"


def test_the_report_of_an_input_bound_run_shows_its_split_input_wait_and_verdict():
    from profiler.metrics.phases import PhaseRecord

    run = fabricated("slow", "cpu", step_s=0.02, input_pipeline=True, loader_workers=0)
    run.phase_record = PhaseRecord(10, 0.25, 14, [{"data_wait": 0.012, "forward": 0.003, "backward": 0.004,
                                                   "optimizer": 0.001}] * 14, in_timed_window=True)
    run.input_wait_s = 0.24
    page = stakeholder_report([run.to_dict()])
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "Where the time goes" in text
    assert "DataLoader, 0 workers" in text
    assert "data wait 60% (12.0 ms)" in text or "data wait 60%" in text
    assert "Input wait" in text
    assert "input-bound (from 14 sampled steps): 60% of each step waits for data; try more loader workers " \
           "(you have 0)" in text
    headline_block = page[page.index('class="headline"'):page.index("</div></div>") + 12]
    assert "input-bound (from 14 sampled steps)" in headline_block  # the answer is at the top
