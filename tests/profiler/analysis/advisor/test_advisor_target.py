"""The advisor at the user's precision and batch, from a run or a model alone, against the corpus."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from profiler.analysis.advisor import Constraints, load_catalogue
from profiler.analysis.advisor.corpus import CorpusError, parse_corpus, parse_knobs
from profiler.analysis.advisor.fit import KNOWN_MODEL, NEW_MODEL
from profiler.analysis.advisor.model_facts import builtin_model, count_model, facts_key, shipped_facts
from profiler.analysis.advisor.precision import PrecisionError, check_precision, default_precision, peak_for
from profiler.analysis.advisor.roofline import NoFigure
from profiler.analysis.advisor.soundness import unsound_reason
from profiler.analysis.advisor.subject import SubjectError, check_batch, scale_step, subject_of_model
from profiler.analysis.advisor.text import render, to_dict
from profiler.cli import main
from profiler.reports.advisor import advise_model, advise_run, fitted, gather_inputs
from tests.helpers import run_result
from tests.paths import REPO_ROOT

CAT = load_catalogue(use_overrides=False)
JOB = Constraints(samples=1_000_000, electricity_per_kwh=0.30)
A100 = CAT.get("a100-sxm4-80gb")
V100 = CAT.get("v100-sxm2-32gb")
ROW_FIELDS = {"device": str, "precision": str, "samples_per_s": float, "samples_per_s_low": float,
              "samples_per_s_high": float, "measured": bool}


def test_fp32_on_ampere_is_tf32_convolutions_and_fp32_matmuls() -> None:
    assert A100 is not None and V100 is not None
    cnn = peak_for(A100, "fp32", conv_share=1.0)
    assert cnn.flops_per_s == 156e12 and "TF32 dense 156 TFLOP/s" in cnn.label and cnn.label.startswith(A100.name)
    matmul = peak_for(A100, "fp32", conv_share=0.0)
    assert matmul.flops_per_s == 19.5e12 and "FP32" in matmul.label
    half = peak_for(A100, "fp32", conv_share=0.5)
    assert half.flops_per_s == pytest.approx(1 / (0.5 / 156e12 + 0.5 / 19.5e12))
    assert peak_for(A100, "tf32", conv_share=0.0).flops_per_s == 156e12
    assert peak_for(A100, "fp32", 0.0, matmul_tf32=True).flops_per_s == 156e12  # NGC containers
    assert default_precision("fp32") == "fp32" and default_precision("bf16") == "bf16"


def test_fp16_on_v100_is_projectable_and_bf16_is_not() -> None:
    assert V100 is not None
    assert peak_for(V100, "fp16").flops_per_s == 125e12 and peak_for(V100, "amp").flops_per_s == 125e12
    assert peak_for(V100, "fp32", conv_share=1.0).flops_per_s == 15.7e12  # no TF32 units: plain FP32
    with pytest.raises(NoFigure, match="n/a: no bf16 figure for this device"):
        peak_for(V100, "bf16")
    with pytest.raises(PrecisionError):
        check_precision("fp64")


def test_batch_scales_flops_and_activations_not_parameter_traffic() -> None:
    small = subject_of_model("cnn", {}, 32, "fp32")
    big = subject_of_model("cnn", {}, 128, "fp32")
    assert big.step.flops == pytest.approx(4 * small.step.flops)
    assert big.step.activation_bytes.nominal == pytest.approx(4 * small.step.activation_bytes.nominal)
    assert big.step.state_bytes == small.step.state_bytes
    fixed = 40.0 * small.step.params  # weights, gradients and AdamW traffic per step
    assert big.step.bytes_moved.low - fixed == pytest.approx(4 * (small.step.bytes_moved.low - fixed))
    rescaled = scale_step(small.step, 128)
    assert rescaled.flops == pytest.approx(big.step.flops) and rescaled.bytes_moved.low == pytest.approx(
        big.step.bytes_moved.low)
    for bad in (0, -1, "x", "2.5"):
        with pytest.raises(SubjectError):
            check_batch(bad)  # type: ignore[arg-type]


def test_depthwise_backward_is_one_forward_per_gradient() -> None:
    facts = count_model("hf:google/mobilenet_v2_1.0_224", {"num_labels": 1000})
    # MobileNetV2: 0.30 G multiply-adds forward (its paper) -> 0.6 GFLOP forward, 1.8 train
    assert 1.6e9 < facts.flops_per_sample < 2.0e9 and facts.conv_share > 0.95 and facts.how == "meta"


def test_a_built_in_model_is_named_as_its_runs_are_and_a_misspelt_one_says_what_is() -> None:
    assert builtin_model("cnn") == ("cnn", "S") and builtin_model("gpt-l") == ("gpt", "L")
    assert builtin_model("cnn-XL") is None and builtin_model("resnet50") is None and builtin_model("hf:gpt2") is None
    small, large = (subject_of_model(ref, {}, 8, "fp32") for ref in ("cnn", "cnn-L"))
    assert large.facts.flops_per_sample > 2 * small.facts.flops_per_sample
    assert small.notes[0].startswith("cnn counted on the meta device; family: cnn")
    with pytest.raises(SubjectError) as refused:
        subject_of_model("resnet50", {}, 8, "fp32")
    words = str(refused.value)
    assert words.startswith("'resnet50' is not a built-in model (cnn, gpt, lstm, mlp")
    assert "hf:microsoft/resnet-50" in words and "torchvision:resnet50" in words


def test_memory_fit_of_an_hf_model_at_batch_1_and_256() -> None:
    inputs = gather_inputs(None, CAT)
    rows = {}
    for batch in (1, 256):
        advice = advise_model("hf:bert-base-uncased", {"seq_len": 512}, batch, "amp", JOB, inputs,
                              device_ids=["rtx-4090"])
        rows[batch] = next(r for r in to_dict(advice)["rows"] if r["device_id"] == "rtx-4090")
    assert rows[1]["fits"] is True and rows[256]["fits"] is False
    assert rows[1]["max_batch"] == rows[256]["max_batch"] and 1 < rows[1]["max_batch"] < 256
    assert rows[256]["samples_per_s"] > 0  # the speed is still projected, the fit is the warning


def test_model_without_training_json_interface_and_cpu_needs_a_run() -> None:
    advice = advise_model("cnn", {}, 64, "amp", JOB, gather_inputs(None, CAT),
                          device_ids=["a100-sxm4-80gb", "v100-sxm2-32gb"])
    data = to_dict(advice)
    json.dumps(data, allow_nan=False)
    gpus = [r for r in data["rows"] if r["device_id"] in ("a100-sxm4-80gb", "v100-sxm2-32gb")]
    assert len(gpus) == 2
    for row in gpus:
        for key, kind in ROW_FIELDS.items():
            assert isinstance(row[key], kind), key
        assert row["precision"] == "amp" and row["measured"] is False
        assert row["samples_per_s_low"] < row["samples_per_s"] < row["samples_per_s_high"]
        assert isinstance(row["peak_flops_per_s"], float) and isinstance(row["fits"], bool)
        assert isinstance(row["max_batch"], int)
    a100 = next(r for r in gpus if r["device_id"] == "a100-sxm4-80gb")
    assert a100["peak_flops_per_s"] == 312e12 and "AMP (fp16 autocast) dense 312 TFLOP/s" in a100["peak_used"]
    rows = to_dict(advise_model("cnn", {}, 64, "fp32", JOB, gather_inputs(None, CAT)))["rows"]
    for kind in ("cpu", "apple-gpu"):  # projected from a measured run, never from published GPU figures
        needs_run = [r for r in rows if r["device_info"]["class"] == kind]
        assert needs_run and all(r["samples_per_s"] is None for r in needs_run)
        assert all("CPU and Apple GPU targets need a measurement" in r["projection"]["reason"] for r in needs_run)


@pytest.mark.contention
@pytest.mark.parametrize(("change", "why"), [
    ({"status": "failed"}, "did not complete"),
    ({"others_cpu": {"window": {"samples": 50, "median_percent": 60.0, "p90_percent": 70.0}}}, "busy machine"),
    ({"steps": 2}, "fewer than 5"),
    ({"status": "stopped", "steps": 40}, "partial: stopped after 4 s of a planned 10 s timed window (40 steps)"),
])
def test_unsound_runs_are_no_basis_for_cpu_advice(change: dict[str, object], why: str) -> None:
    run = run_result("bad-run", workload="cnn", **change)  # type: ignore[arg-type]
    reason = unsound_reason(run)
    assert reason is not None and why in reason
    advice = advise_run(run, JOB, gather_inputs(None, CAT))
    assert any(why in w and "Not a basis for CPU advice" in w for w in advice.warnings)
    cpu_rows = [r for r in advice.rows if r.device.is_cpu]
    assert cpu_rows and all(r.projection.status == "n/a" and not r.measured for r in cpu_rows)
    gpu_rows = [r for r in advice.rows if r.device.family == "gpu" and r.projection.status == "projected"]
    assert gpu_rows  # GPU rows come from the counted FLOPs, not the timing
    assert not advice.calibration


@pytest.mark.contention
def test_the_html_report_says_the_warnings_first_and_how_good_the_advice_is() -> None:
    from profiler.reports.advisor_html import advice_report

    busy = {"window": {"samples": 50, "median_percent": 60.0, "p90_percent": 70.0}}
    advice = advise_run(run_result("busy-run", workload="cnn", others_cpu=busy), JOB, gather_inputs(None, CAT))
    page = advice_report(advice)
    assert page.index("<b>Warning.</b> Not a basis for CPU advice: it was measured on a busy machine") \
        < page.index("<b>Recommendation.</b>")
    assert "<h3>How good is this advice</h3>" in page and advice.scorecards
    for card in advice.scorecards:
        assert card.case in page
        for score in card.scores:
            assert f"{score.value} {'met' if score.met else 'NOT met'}" in page
        for order in card.orders:
            assert f"{order.in_order} of {order.pairs} ({order.share:.0%})" in page
    assert advice.memory_line in page
    text = render(advice)  # the CLI's answer: the same as two text tables
    assert text.index("WARNING: Not a basis for CPU advice") < text.index("Recommendation:")
    lines = [line.strip() for line in text.splitlines()]
    for card in advice.scorecards:
        row = next(line for line in lines if line.startswith(f"{card.title}: {card.figures} figures"))
        assert [f"{s.value} {'met' if s.met else 'NOT met'}" in row for s in card.scores] == [True] * 4
        orders = next(line for line in lines if line.startswith(card.title + " ") and "figures" not in line)
        assert all(f"{o.in_order} of {o.pairs} ({o.share:.0%})" in orders for o in card.orders)


def test_the_html_report_of_a_counted_model_shows_commands_as_code() -> None:
    from profiler.reports.advisor_html import advice_report, prose

    assert prose("run `horsepower run --model <m>` then") == "run <code>horsepower run --model &lt;m&gt;</code> then"
    assert prose("a stray ` stays") == "a stray ` stays"
    page = advice_report(advise_model("cnn", {}, 64, "fp32", JOB, gather_inputs(None, CAT)))
    assert "Model: cnn bs64 fp32, counted, not trained here" in page and "meta device, not trained" not in page
    assert "<code>horsepower advise RUN</code>" in page and "`" not in page


def test_published_models_are_the_corpus_models_once_each_by_family() -> None:
    from profiler.analysis.advisor.corpus import FAMILIES, load_corpus, published_models

    models = published_models()
    rows = load_corpus(CAT)
    keys = [facts_key(m.ref, m.knobs) for m in models]
    assert len(keys) == len(set(keys)) and set(keys) >= set(shipped_facts())
    assert sum(m.figures for m in models) == len(rows)
    assert [FAMILIES.index(m.family) for m in models] == sorted(FAMILIES.index(m.family) for m in models)
    resnet = next(m for m in models if m.ref == "hf:microsoft/resnet-50")
    assert resnet.name == "ResNet-50 v1.5" and resnet.knob_text == "num_labels=1000" and resnet.family == "cnn"
    assert resnet.figures == sum(1 for r in rows if r.model_key == facts_key(resnet.ref, resnet.knobs))


def test_shipped_corpus_backtest_meets_its_targets_for_a_corpus_model() -> None:
    model = fitted(CAT)
    assert model is not None
    known = next(b for b in model[1] if b.regime == KNOWN_MODEL)
    summary = known.summary()
    assert summary["figures"] >= 100 and summary["gpus"] >= 8 and summary["models"] >= 6
    met = summary["met"]
    assert met["inside_band"] and met["median_abs_error"] and met["median_band_width"], summary
    new_model = next(b for b in model[1] if b.regime == NEW_MODEL)
    new = new_model.summary()
    assert new["figures"] == summary["figures"]
    # a model the corpus lacks: the band is wider (as it should be) and the three targets hold too
    assert new["met"]["inside_band"] and new["met"]["median_abs_error"] and new["met"]["median_band_width"], new
    assert new["values"]["median_band_width"] > summary["values"]["median_band_width"]
    # ranking (target not met in every setting): three quarters of the settings at >= 0.9, and where the order
    # is wrong it only swaps GPUs whose published figures are close (at batch 12 an A100 publishes below a
    # Titan V: a host-bound step the model cannot know). The widest swap measured is 1.65x (GNMT tf32: RTX 3080
    # at batch 80 vs RTX A4000 at 160); this guards against a model that swaps GPUs further apart
    for backtest in (known, new_model):
        s = backtest.summary()
        assert s["rank_settings_at_target"] >= 0.75 * s["rank_settings"], s
        for rank in backtest.ranks:
            assert rank.spearman >= 0.9 - 1e-9 or rank.swaps, rank  # a wrong order names its swaps
            gap = rank.largest_swapped_gap
            assert gap is None or gap < 1.7, rank


def test_the_corpus_counter_reproduces_a_shipped_model_fact(tmp_path: Path) -> None:
    # bench/count_corpus_models.py writes model_facts.json; a corpus model whose knobs are not
    # plain integers (ResNet-18 from an hf: config with lists) is counted from a config it writes
    spec = importlib.util.spec_from_file_location("count_corpus_models", REPO_ROOT / "bench" / "count_corpus_models.py")
    assert spec is not None and spec.loader is not None
    counter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(counter)
    knobs = parse_knobs("depths=[2,2,2,2];hidden_sizes=[64,128,256,512];layer_type=basic;num_labels=1000")
    counted = counter.count_row("hf:resnet", knobs, tmp_path)
    shipped = shipped_facts()[facts_key("hf:resnet", knobs)]
    assert counted.params == shipped.params and 11e6 < counted.params < 12e6
    assert counted.flops_per_sample == pytest.approx(shipped.flops_per_sample, rel=1e-9)
    assert counted.activation_bytes_per_sample == pytest.approx(shipped.activation_bytes_per_sample, rel=1e-9)


def test_corpus_rows_are_checked() -> None:
    header = "id,model_family,model,model_ref,knobs,input_shape,batch,precision,gpu,samples_per_s,unit_note,source\n"
    good = "r1,cnn,ResNet-50,hf:microsoft/resnet-50,num_labels=1000,3x224x224,256,amp,a100-sxm4-80gb,2470,image,DLE\n"
    assert parse_corpus(header + good, CAT)[0].samples_per_s == 2470
    for bad, fragment in [(good.replace(",256,", ",0,"), "more than zero"),
                          (good.replace("amp", "fp64"), "precision 'fp64'"),
                          (good.replace("a100-sxm4-80gb", "gpu-9000"), "not a catalogue device"),
                          (good.replace("cnn,", "rnn,", 1), "model_family 'rnn'"),
                          (good + good, "appears twice")]:
        with pytest.raises(CorpusError, match=fragment):
            parse_corpus(header + bad, CAT)


@pytest.mark.parametrize(("args", "fragment"), [
    (["--model", "cnn", "--batch", "0", "--precision", "amp"], "batch must be a whole number more than zero, got '0'"),
    (["--model", "cnn", "--batch", "8", "--precision", "fp64"], "unknown precision 'fp64'"),
    (["--model", "cnn", "--batch", "8"], "--model needs --batch N and --precision"),
    (["--model", "hf:no-such-model-xyz", "--batch", "8", "--precision", "amp"], "cannot count hf:no-such-model-xyz"),
    (["--model", "cnn", "--batch", "8", "--precision", "bf16", "--device", "v100-sxm2-32gb"],
     "n/a: no bf16 figure for this device"),
    (["--model", "cnn", "--batch", "8", "--precision", "amp", "--corpus", "BAD"], "not a number"),
])
def test_bad_target_input_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                args: list[str], fragment: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,model_family,model,model_ref,knobs,input_shape,batch,precision,gpu,samples_per_s,source\n"
                   "r1,cnn,R50,hf:microsoft/resnet-50,,3x224x224,lots,amp,a100-sxm4-80gb,2470,DLE\n")
    html = tmp_path / "out.html"
    assert main(["advise", *[str(bad) if a == "BAD" else a for a in args], "--html", str(html)]) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1
    assert not html.exists()


def test_backtest_cli_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["advise", "--backtest"]) == 0
    out = capsys.readouterr().out
    assert "inside their band" in out and "median |error|" in out and "GPU rank correlation" in out
    assert main(["advise", "--backtest", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    new, known, new_gpu = data["regimes"]
    assert new["summary"]["figures"] == len(new["figures"]) and new["method"].startswith("leave-one-model-out")
    assert known["method"].startswith("leave-one-source-out")
    assert new_gpu["regime"] == "new GPU" and new_gpu["method"].startswith("leave-one-GPU-out")
    assert sum(o["pairs"] for o in new_gpu["pair_order"]) > 100
    assert "New GPU (a GPU the corpus lacks: leave-one-GPU-out)" in out
