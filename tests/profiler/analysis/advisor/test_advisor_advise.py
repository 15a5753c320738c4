"""The advisor's answer: projections with bands, ranking, Pareto front, calibration, words."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from profiler.analysis.advisor import EPOCH_CREDIT, PROJECTED, ConstraintError, Constraints
from profiler.analysis.advisor import advise as advise_plain
from profiler.analysis.advisor.constraints import parse_budget, parse_deadline
from profiler.analysis.advisor.corpus import CORPUS_CREDIT
from profiler.analysis.advisor.hardware import HardwareDevice
from profiler.analysis.advisor.text import render, to_dict
from profiler.reports.advisor_html import advice_section
from tests.helpers import catalogue, cpu, gpu, gpu_model, price, run_result

# Hand-worked: the subject is a 16-core 4 GHz x 64 FLOP/cycle CPU = 4.096 TFLOP/s; a step of
# 1e11 FLOP at 1,000 samples/s (batch 100) takes 0.1 s against a 24.4 ms roofline: 24.4% efficient.
CPU = cpu()
GPU_A = gpu("gpu-a", peak_fp32=20e12, pattern=r"Test GPU A\b")              # buy 1,000 USD, 300 W
GPU_B = gpu("gpu-b", peak_fp32=40e12, bandwidth=2e12, price=None, pattern=r"Test GPU B\b")  # rent 2 USD/h
GPU_C = gpu("gpu-c", peak_fp32=None, pattern=r"Test GPU C\b")               # bf16 figure only
CAT = catalogue(CPU, GPU_A, GPU_B, GPU_C, prices=(price("gpu-b", 2.0),))
JOB = Constraints(samples=1_000_000, epochs=1, electricity_per_kwh=0.30)
MODEL = gpu_model(GPU_A, GPU_B)  # fitted to a fixture corpus published at 30% of the roof


def advise(run, catalogue, constraints, history=(), reference=(), **kw):  # type: ignore[no-untyped-def]
    """The advisor with the fixture GPU model (the facade passes the one fitted to the shipped corpus)."""
    return advise_plain(run, catalogue, constraints, history, reference, gpu=kw.pop("gpu", MODEL), **kw)


def rows_by_id(advice):  # type: ignore[no-untyped-def]
    return {r.device.id: r for r in advice.rows}


def test_projection_arithmetic_through_the_whole_answer() -> None:
    advice = advise(run_result("cpu-run"), CAT, JOB)
    rows = rows_by_id(advice)
    mine = rows["test-cpu"]
    assert mine.measured and mine.owned and mine.time_s.nominal == pytest.approx(1000.0)
    # GPU-A from the corpus model: 1e9 FLOPs/sample at 20 TFLOP/s fp32 = 20,000 samples/s roof; the
    # fixture corpus runs at about 30% of its roof
    a = rows["gpu-a"]
    assert a.projection.status == "projected" and a.projection.choice.basis == "corpus"
    rate = a.projection.samples_per_s
    assert 0.25 * 20000 < rate.nominal < 0.35 * 20000 and rate.low < rate.nominal < rate.high
    assert a.projection.peak is not None and a.projection.peak.flops_per_s == 20e12
    # the run's model is of no family the fixture corpus has (cnn, bert): the band a model of a new kind gets
    source = a.projection.choice.source
    assert "leave-one-family-out" in source and "chosen by cross-validation" in source
    assert a.time_s.nominal == pytest.approx(1e6 / rate.nominal)
    # buy: 1,000 USD / (3 y x 365 x 8 h) per hour + 300 W x 80% x 0.30 USD/kWh
    hours = a.time_s.nominal / 3600
    assert a.cost.kind == "buy" and a.cost.amount.nominal == pytest.approx(hours * (1000 / 8760 + 0.24 * 0.30))
    b = rows["gpu-b"]
    assert b.cost.kind == "rent" and b.cost.amount.nominal == pytest.approx(2.0 * b.time_s.nominal / 3600)
    c = rows["gpu-c"]
    assert c.projection.status == "n/a" and c.projection.reason == "n/a: no fp32 figure for this device"
    assert [r.device.id for r in advice.rows] == ["gpu-b", "gpu-a", "test-cpu", "gpu-c"]  # by time, n/a last


def test_without_a_fitted_model_gpu_rows_are_na_not_a_prior() -> None:
    rows = rows_by_id(advise(run_result("cpu-run"), CAT, JOB, gpu=None))
    assert rows["gpu-a"].projection.status == "n/a" and "no published corpus" in rows["gpu-a"].projection.reason


def test_measured_and_projected_are_never_mixed_up() -> None:
    advice = advise(run_result("cpu-run"), CAT, JOB)
    text = render(advice)
    cpu_line = next(line for line in text.splitlines() if "Test CPU 9000" in line and "measured" in line)
    assert PROJECTED not in cpu_line
    gpu_line = next(line for line in text.splitlines() if line.strip().startswith("1 "))
    assert PROJECTED in gpu_line
    data = to_dict(advice)
    by_id = {r["device_id"]: r for r in data["rows"]}
    assert by_id["test-cpu"]["measured"] and by_id["test-cpu"]["projection"]["label"] == "measured"
    assert by_id["gpu-a"]["projection"]["label"] == PROJECTED
    assert "FIELD_NOTES" in by_id["test-cpu"]["blind_prediction"]["efficiency_source"] or \
        by_id["test-cpu"]["blind_prediction"]["efficiency_basis"] == "prior"
    json.dumps(data, allow_nan=False)


def test_pareto_front_and_deadline_budget_ranking() -> None:
    advice = advise(run_result("cpu-run"), CAT, JOB)
    front = {p.device_id: p.on_front for p in advice.chart}
    # the cpu (1000 s) is beaten on time and cost by gpu-a; gpu-b is fastest
    assert front["gpu-b"] and front["gpu-a"] and not front["test-cpu"]
    timed = advise(run_result("cpu-run"), CAT, Constraints(samples=1_000_000, electricity_per_kwh=0.3, deadline_s=900))
    rows = rows_by_id(timed)
    assert rows["test-cpu"].meets_deadline is False and not rows["test-cpu"].feasible
    assert [r.device.id for r in timed.rows][:2] == ["gpu-a", "gpu-b"]  # a deadline ranks by cost
    assert timed.recommendation.startswith("Buying GPU-A (1,000 USD up front) finishes in")
    assert "as this job's share of its amortised price and electricity" in timed.recommendation
    assert "Fastest: renting GPU-B (Cloud, 2.00 USD/h)" in timed.recommendation
    assert "This machine (Test CPU 9000) would need 16.7 min (measured rate)" in timed.recommendation
    broke = advise(run_result("cpu-run"), CAT,
                   Constraints(samples=1_000_000, electricity_per_kwh=0.3, budget_total=0.02))
    assert rows_by_id(broke)["gpu-b"].within_budget is False
    hourly = advise(run_result("cpu-run"), CAT,
                    Constraints(samples=1_000_000, electricity_per_kwh=0.3, budget_per_h=1.0))
    assert rows_by_id(hourly)["gpu-b"].within_budget is False
    nothing = advise(run_result("cpu-run"), CAT, Constraints(samples=10**9, deadline_s=1.0))
    assert nothing.recommendation.startswith("No listed device meets the 1 s deadline")


def test_rent_and_buy_modes() -> None:
    rent = rows_by_id(advise(run_result("cpu-run"), CAT, Constraints(mode="rent")))
    assert rent["gpu-a"].cost.amount is None and "no cloud price" in rent["gpu-a"].cost.basis
    assert rent["test-cpu"].cost.kind == "own"  # a device you have is never rented
    buy = rows_by_id(advise(run_result("cpu-run"), CAT, Constraints(mode="buy")))
    assert buy["gpu-b"].cost.amount is None and "no purchase price" in buy["gpu-b"].cost.basis
    assert "cost excludes" not in buy["gpu-a"].cost.basis and "no electricity price" in buy["gpu-a"].cost.basis


def test_a_missing_electricity_price_is_said_once_above_the_costs() -> None:
    from profiler.analysis.advisor.costs import NO_ELECTRICITY

    unpriced = advise(run_result("cpu-run"), CAT, Constraints(samples=1_000_000, mode="buy"))
    assert NO_ELECTRICITY in rows_by_id(unpriced)["gpu-a"].cost.basis  # each row still says it (its tooltip)
    text = render(unpriced)
    costs = text[text.index("\nCosts") + 1:].split("\n\n")[0].splitlines()
    assert costs[0] == "Costs (electricity not priced: give --electricity or `horsepower value set --electricity`):"
    assert text.count("give --electricity") == 1 and len(costs) > 2
    assert any(line.endswith("over 3 y at 8 h/day") for line in costs)
    priced = render(advise(run_result("cpu-run"), CAT, Constraints(samples=1_000_000, electricity_per_kwh=0.3)))
    assert "\nCosts:\n" in priced and "not priced" not in priced


def test_a_costs_words_are_built_from_its_terms_and_its_electricity_clause() -> None:
    from profiler.analysis.advisor.bands import Band
    from profiler.analysis.advisor.costs import NO_ELECTRICITY, buy_cost, own_cost

    hour, energy = Band.exact(3600.0), Band.exact(300.0)
    own = own_cost(hour, energy, Constraints(electricity_per_kwh=0.3))
    assert own.basis == own.basis_without_hint == "you own it: electricity at 0.30 USD/kWh"
    own_unpriced = own_cost(hour, energy, Constraints())
    assert own_unpriced.amount is None and own_unpriced.electricity_unpriced
    assert own_unpriced.basis == f"you own it: {NO_ELECTRICITY}"
    assert own_unpriced.basis_without_hint == "you own it: electricity not priced"
    device = CAT.get("gpu-a")
    bought = buy_cost(device, hour, energy, Constraints(electricity_per_kwh=0.3))
    assert bought.basis.endswith(" h/day + electricity at 0.30 USD/kWh") and bought.electricity_priced
    unpriced = buy_cost(device, hour, energy, Constraints())
    assert unpriced.basis == f"{unpriced.terms}; {NO_ELECTRICITY}" and unpriced.basis_without_hint == unpriced.terms
    unknown = buy_cost(device, hour, None, Constraints(electricity_per_kwh=0.3))  # no power figure
    assert unknown.basis.endswith("; energy unknown (no power figure)") and not unknown.electricity_unpriced


def test_calibration_predicted_versus_measured() -> None:
    # GPU-A was measured for this model at 5,000 samples/s: its row shows that, and the corpus
    # model's prediction for it (made as if never measured) is set against it
    gpu_run = run_result("gpu-run", device="cuda:0", device_name="Test GPU A", samples_per_s=5000.0)
    advice = advise(run_result("cpu-run"), CAT, JOB, history=[gpu_run])
    rows = rows_by_id(advice)
    assert rows["gpu-a"].measured and rows["gpu-a"].projection.measured_run == "gpu-run"
    assert rows["gpu-a"].owned  # measured on this host: priced as owned (electricity)
    cal = next(c for c in advice.calibration if c.device_id == "gpu-a")
    blind = rows["gpu-a"].blind.samples_per_s
    assert cal.predicted_samples_per_s.nominal == pytest.approx(blind.nominal)
    assert cal.error == pytest.approx(5000 / blind.nominal - 1)
    assert cal.inside_band == (blind.low <= 5000 <= blind.high)
    # the JSON edge carries the same figures as plain values
    entry = next(c for c in to_dict(advice)["calibration"] if c["device"] == "gpu-a")
    assert entry["predicted_samples_per_s"]["nominal"] == pytest.approx(blind.nominal)
    assert entry["error"] == pytest.approx(cal.error) and entry["inside_band"] == cal.inside_band
    assert "Predicted (as if never measured) versus measured" in render(advice)


def test_a_gpu_run_is_set_against_the_prediction_made_as_if_it_had_never_run(tmp_path) -> None:
    # what bench/gpu_reference.py reads from `horsepower advise RUN --json` on a lent GPU
    from bench.gpu_reference import blind_prediction, main, summary

    gpu_run = run_result("gpu-run", device="cuda:0", device_name="Test GPU A", samples_per_s=5000.0)
    advice = json.loads(json.dumps(to_dict(advise(gpu_run, CAT, JOB))))
    entry = blind_prediction(advice, "gpu-run")
    assert entry is not None and entry["device"] == "gpu-a"
    assert entry["measured_samples_per_s"] == pytest.approx(5000.0)
    assert entry["predicted_samples_per_s"]["nominal"] != 5000.0  # a prediction, not the measurement
    assert blind_prediction(advice, "another-run") is None
    line = {"config": "mlp", "precision": "fp32", "error": entry["error"], "inside": entry["inside_band"]}
    failed = {"config": "gpt", "precision": "bf16", "failed": "run failed (1): out of memory"}
    total = summary([line, failed])
    assert (total["configs"], total["predicted"], total["inside"]) == (2, 1, int(entry["inside_band"]))
    assert total["median_abs_error"] == pytest.approx(abs(entry["error"]))
    assert total["failed"] == ["gpt bf16: run failed (1): out of memory"]
    with pytest.raises(SystemExit) as bad:  # a configuration it does not know: one line, nothing run or written
        main(["--out", str(tmp_path / "out"), "--only", "resnet"])
    assert bad.value.code == 2 and not (tmp_path / "out").exists()


def test_reference_runs_show_as_measured_elsewhere() -> None:
    reference = run_result("ref-run", device="cuda:0", device_name="Test GPU A", samples_per_s=5000.0,
                       hostname="reference-lab")
    advice = advise(run_result("cpu-run"), CAT, JOB, reference=[reference])
    rows = rows_by_id(advice)
    assert rows["gpu-a"].measured and not rows["gpu-a"].owned  # measured elsewhere: not yours
    assert rows["gpu-b"].projection.choice.basis == "corpus"


def test_credit_line_wherever_epoch_figures_appear() -> None:
    plain = advise(run_result("cpu-run"), CAT, JOB)
    assert EPOCH_CREDIT not in plain.credits and EPOCH_CREDIT not in render(plain)
    assert CORPUS_CREDIT in plain.credits  # GPU rows rest on the published corpus: credited
    credited = catalogue(CPU, gpu("gpu-e", epoch=True, pattern="Test GPU E"))
    advice = advise(run_result("cpu-run"), credited, JOB)
    assert EPOCH_CREDIT in advice.credits
    assert EPOCH_CREDIT in render(advice)
    assert EPOCH_CREDIT in to_dict(advice)["credits"]
    assert "Epoch AI, &quot;Data on Machine Learning Hardware&quot;" in advice_section(advice)


def test_html_ranked_table_is_the_text_tables_cells_with_each_band_on_its_own_line() -> None:
    from html import escape

    from profiler.analysis.advisor.text import row_cells, row_parts
    from profiler.reports.advisor_html import ranked_table

    advice = advise(run_result("cpu-run"), CAT, JOB)
    html = ranked_table(advice.rows, "USD")
    assert html.count("<tr>") == len(advice.rows) + 1  # the header and one row per device
    projected = [r for r in advice.rows if not r.measured and r.projection.samples_per_s is not None]
    assert projected
    for rank, row in enumerate(advice.rows, start=1):
        parts = row_parts(rank, row, "USD")
        assert [c.text for c in parts] == row_cells(rank, row, "USD")  # one source for CLI, window, report
        for cell in parts:
            assert escape(cell.main) in html
            if cell.band:  # a projected figure's band sits on its own line, never glued to the figure
                assert f'<span class="band">{escape(cell.band)}</span>' in html
    speed = row_parts(advice.rows.index(projected[0]) + 1, projected[0], "USD")[4]
    assert speed.band and speed.text == f"{speed.main} ({speed.band})"


def test_html_section_escapes_names() -> None:
    evil = gpu("gpu-x", pattern="X").__class__(**{**gpu("gpu-x").__dict__, "name": "<script>alert(1)</script>"})
    advice = advise(run_result("cpu-run"), catalogue(CPU, evil), JOB)
    html = advice_section(advice)
    assert "<script>" not in html and "&lt;script&gt;" in html and "<svg" in html


def test_unknown_cpu_falls_back_to_priors_and_says_so() -> None:
    advice = advise(run_result("x", device_name="Mystery CPU", hostname="elsewhere"), CAT, JOB)
    assert any("not in the catalogue" in n for n in advice.notes)
    assert all(not r.measured for r in advice.rows)
    assert rows_by_id(advice)["test-cpu"].projection.choice.basis == "prior"


@pytest.mark.parametrize(("text", "seconds"), [("24h", 86400), ("90min", 5400), ("3d", 259200), ("45s", 45),
                                                ("1.5 h", 5400), ("2w", 1209600), ("10 hours", 36000)])
def test_deadline_words(text: str, seconds: float) -> None:
    assert parse_deadline(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["soon", "", "24", "-3h", "0h", "5 parsecs"])
def test_bad_deadlines(text: str) -> None:
    with pytest.raises(ConstraintError):
        parse_deadline(text)


def test_budget_words() -> None:
    assert parse_budget("50") == (50.0, None) and parse_budget("2/h") == (None, 2.0)
    assert parse_budget("2 per hour") == (None, 2.0)
    for bad in ("-1", "0", "lots", "5/day"):
        with pytest.raises(ConstraintError):
            parse_budget(bad)


@pytest.mark.parametrize("kwargs", [{"samples": 0}, {"samples": -5}, {"epochs": 0}, {"budget_total": -1.0},
                                    {"deadline_s": 0.0}, {"hours_per_day": 25.0}, {"mode": "lease"},
                                    {"electricity_per_kwh": -0.1}])
def test_bad_constraints(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConstraintError):
        Constraints(**kwargs)  # type: ignore[arg-type]


def test_an_imported_run_from_another_host_is_not_yours() -> None:
    advice = advise(run_result("imported", hostname="colleague-box"), CAT, JOB)
    mine = rows_by_id(advice)["test-cpu"]
    assert mine.measured and not mine.owned and mine.cost.kind != "own"


def test_with_a_budget_a_device_of_unknown_cost_is_not_the_recommendation() -> None:
    unpriced = gpu("gpu-d", peak_fp32=80e12, bandwidth=4e12, price=None, pattern=r"Test GPU D\b")  # fastest
    cat = catalogue(CPU, GPU_A, GPU_B, unpriced, prices=(price("gpu-b", 2.0),))
    free = advise(run_result("cpu-run"), cat, Constraints(samples=1_000_000, mode="rent"))
    assert free.rows[0].device.id == "gpu-d" and free.recommendation.startswith("GPU-D")
    budget = advise(run_result("cpu-run"), cat, Constraints(samples=1_000_000, mode="rent", budget_total=50.0))
    assert budget.recommendation.startswith("Renting GPU-B (Cloud, 2.00 USD/h)")
    assert "Fastest: GPU-D" in budget.recommendation  # still named, without a price


def test_history_gives_the_advisor_single_rank_runs_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from profiler.history import HistoryStore
    from profiler.reports.advisor import history_runs
    from tests.helpers import fabricated

    with HistoryStore(tmp_path) as store:
        store.store_result(fabricated("one-rank").to_dict())
        store.store_result(fabricated("two-ranks", world_size=2).to_dict())
        assert [r.run_id for r in history_runs(store)] == ["one-rank"]


def test_a_stored_run_this_version_cannot_read_calibrates_nothing_and_breaks_nothing(tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    from profiler.history import HistoryStore
    from profiler.reports.advisor import history_runs
    from tests.helpers import fabricated

    future = fabricated("from-a-newer-horsepower").to_dict()
    future["spec"]["hologram_mode"] = True  # a spec field this version does not know
    with HistoryStore(tmp_path) as store:
        store.store_result(future)
        store.store_result(fabricated("readable").to_dict())
        runs = history_runs(store)
    assert [r.run_id for r in runs] == ["readable"]
    assert "from-a-newer-horsepower is not used for calibration: unknown run spec field(s): hologram_mode" \
        in caplog.text
    assert advise(run_result("cpu-run"), CAT, JOB, history=runs).rows  # the rest still advises


def test_this_machine_is_the_advised_runs_own_measurement() -> None:
    # another run on 4 of this CPU's cores measured faster (another config), so it ranks first;
    # the sentence must still speak of the advised 16-core run
    quarter = run_result("quarter", threads=4, samples_per_s=2000.0)
    advice = advise(run_result("cpu-run"), CAT, JOB, history=[quarter])
    own = [r for r in advice.rows if r.owned and r.measured]
    assert [r.projection.measured_run for r in own] == ["quarter", "cpu-run"]
    assert "This machine (Test CPU 9000) would need 16.7 min (measured rate)" in advice.recommendation


def test_this_machine_meeting_the_deadline_means_nothing_to_buy() -> None:
    advice = advise(run_result("cpu-run"), CAT,
                    Constraints(samples=1_000_000, electricity_per_kwh=0.3, deadline_s=7200))
    assert advice.recommendation.startswith("This machine meets your deadline: nothing to buy. Test CPU 9000 "
                                            "finishes in 16.7 min (measured rate)")
    assert "Only if you want it sooner:" in advice.recommendation and "e-0" not in advice.recommendation


def test_a_budget_never_recommends_hardware_priced_above_it() -> None:
    advice = advise(run_result("cpu-run"), CAT, Constraints(samples=1_000_000, mode="buy", budget_total=50.0,
                                                        electricity_per_kwh=0.3))
    assert rows_by_id(advice)["gpu-a"].within_budget is False  # 1,000 USD up front > 50 USD
    assert "Buying GPU-A" not in advice.recommendation


def test_two_gpus_projected_closer_than_the_backtest_can_order_are_too_close_to_call() -> None:
    from profiler.analysis.advisor.backtest import PairOrder

    twin = gpu("gpu-a2", peak_fp32=20.4e12, pattern=r"Test GPU A2\b")  # 2% above GPU-A's peak
    cat = catalogue(CPU, GPU_A, twin)
    coin_toss = {"new model": (PairOrder(1.0, 1.1, 46, 23), PairOrder(1.1, math.inf, 90, 88))}
    advice = advise(run_result("cpu-run"), cat, JOB, gpu=gpu_model(GPU_A, twin), pair_orders=coin_toss)
    a2, a = (rows_by_id(advice)[i] for i in ("gpu-a2", "gpu-a"))
    gap = a.time_s.nominal / a2.time_s.nominal
    assert 1.0 < gap < 1.1
    assert (f"Too close to call: GPU-A2 and GPU-A are projected {gap:.2f}x apart, and GPU pairs projected this "
            "close were in the published order 23 of 46 times (50%) in the back-test") in advice.recommendation
    sure = {"new model": (PairOrder(1.0, 1.1, 46, 44),)}  # evidence that orders such pairs: no caveat
    assert "Too close" not in advise(run_result("cpu-run"), cat, JOB, gpu=gpu_model(GPU_A, twin),
                                     pair_orders=sure).recommendation
    far = advise(run_result("cpu-run"), CAT, JOB, pair_orders=coin_toss)  # GPU-B is about 2x GPU-A
    assert "Too close" not in far.recommendation


def other_vendor_gpu() -> HardwareDevice:
    """Four times GPU-A's peak, of a vendor the fixture corpus has no figure of: projected
    fastest, but how far off that projection may be was never measured."""
    return dataclasses.replace(gpu("gpu-x", peak_fp32=80e12, bandwidth=4e12, price=None, pattern=r"Test GPU X\b"),
                               vendor="Other")


def test_a_gpu_of_a_vendor_the_corpus_lacks_is_untested_and_never_the_recommendation() -> None:
    from profiler.analysis.advisor.text import row_cells

    cat = catalogue(CPU, GPU_A, GPU_B, other_vendor_gpu(), prices=(price("gpu-b", 2.0), price("gpu-x", 2.0)))
    advice = advise(run_result("cpu-run"), cat, JOB, gpu=MODEL)
    x, b = rows_by_id(advice)["gpu-x"], rows_by_id(advice)["gpu-b"]
    assert x.time_s is not None and b.time_s is not None and x.time_s.nominal < b.time_s.nominal
    assert "no Other GPU is in the published corpus" in x.projection.untested and not b.projection.untested
    assert row_cells(1, x, "USD")[-1] == "untested" and row_cells(2, b, "USD")[-1] != "untested"
    assert not advice.recommendation.startswith("Renting GPU-X")
    assert "Not recommended although ranked higher: GPU-X, projected to finish in" in advice.recommendation
    assert any(n.startswith("untested (GPU-X): no Other GPU") for n in advice.notes)
    rows = {r["device_id"]: r for r in to_dict(advice)["rows"]}
    assert "no Other GPU" in rows["gpu-x"]["projection"]["untested"] and rows["gpu-b"]["projection"]["untested"] is None
    # a corpus vendor's GPU is never untested
    assert all(not r.projection.untested for r in advise(run_result("cpu-run"), CAT, JOB, gpu=MODEL).rows)


def test_the_report_says_why_a_device_is_not_projected() -> None:
    advice = advise(run_result("cpu-run"), CAT, JOB)
    c = rows_by_id(advice)["gpu-c"].projection  # a bf16 figure only: an fp32 run has no peak there
    assert c.status == "n/a" and c.reason
    html = advice_section(advice)
    assert f"<b>Not projected:</b> GPU-C: {c.reason.removeprefix('n/a: ')}" in html
    assert f"  GPU-C: {c.reason.removeprefix('n/a: ')}" in render(advice)  # the same words in the text answer


def test_an_untested_gpu_ranked_below_the_pick_but_faster_is_named_as_faster() -> None:
    # with a deadline the rows rank by cost: the untested GPU (dear to rent) falls below the
    # pick, yet it is the fastest (the CPU's 1,000 s miss the 900 s deadline: something to buy)
    cat = catalogue(CPU, GPU_A, GPU_B, other_vendor_gpu(), prices=(price("gpu-b", 2.0), price("gpu-x", 500.0)))
    advice = advise(run_result("cpu-run"), cat, Constraints(samples=1_000_000, electricity_per_kwh=0.3,
                                                            deadline_s=900), gpu=MODEL)
    ranked = [r.device.id for r in advice.rows]
    lead = next(r for r in advice.rows if not r.projection.untested and r.feasible)
    assert ranked.index("gpu-x") > ranked.index(lead.device.id)
    assert "Not recommended although faster: GPU-X, projected to finish in" in advice.recommendation
    assert "ranked higher: GPU-X" not in advice.recommendation
