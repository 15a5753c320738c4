"""The advisor's fit never sees the figure it predicts; its bands, peaks and memory verdicts
agree with the published evidence; its back-tests are cached without going stale."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest

import profiler.analysis.advisor.fit as fit_module
import profiler.reports.backtest_cache as cache_module
from profiler.analysis.advisor import load_catalogue
from profiler.analysis.advisor.backtest import Figure, gpu_ranks, order_at, pair_orders, run_backtest
from profiler.analysis.advisor.census import ACTIVATION_MEMORY_FACTORS
from profiler.analysis.advisor.corpus import load_corpus
from profiler.analysis.advisor.fit import KNOWN_MODEL, NEW_FAMILY, NEW_GPU, NEW_MODEL, REGIMES, Case
from profiler.analysis.advisor.gpu_model import GpuModel
from profiler.analysis.advisor.hardware import HardwareDevice
from profiler.analysis.advisor.memory_check import check_memory
from profiler.analysis.advisor.model_facts import shipped_facts
from profiler.analysis.advisor.precision import peak_for
from profiler.analysis.advisor.roofline import usable_memory
from profiler.analysis.advisor.subject import step_of
from tests.helpers import fixture_corpus, gpu

CAT = load_catalogue(use_overrides=False)
DEVICES = tuple(gpu(f"gpu-{i}", peak_bf16=p * 5, peak_fp32=p, bandwidth=b)
                for i, (p, b) in enumerate(((20e12, 1e12), (40e12, 2e12), (10e12, 0.6e12), (60e12, 3e12))))


@pytest.mark.parametrize("regime", REGIMES)
def test_no_fit_or_band_of_a_fold_ever_sees_the_figures_it_predicts(regime: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    rows, facts = fixture_corpus(*DEVICES, models=5, sources=2)
    seen: list[set[str]] = []
    real = fit_module._Table.of

    def recording(samples):  # type: ignore[no-untyped-def]
        seen.append({s.row_id for s in samples})
        return real(samples)

    monkeypatch.setattr(fit_module._Table, "of", staticmethod(recording))
    predicted: list[set[str]] = []
    real_from = GpuModel.from_samples.__func__  # type: ignore[attr-defined]

    def from_samples(cls, samples, regimes=REGIMES, left_out=()):  # type: ignore[no-untyped-def]
        start = len(seen)
        model = real_from(cls, samples, regimes, left_out)
        held_out = {r.id for r in rows} - {s.row_id for s in samples}
        predicted.append(held_out)
        assert all(not (ids & held_out) for ids in seen[start:]), "a fold's fit saw a held-out figure"
        return model

    monkeypatch.setattr(GpuModel, "from_samples", classmethod(from_samples))
    result = run_backtest(rows, facts, regime)
    assert len(result.figures) == len(rows)
    # every figure was held out by exactly one fold; each fold built its cross-validation (hyper-parameters,
    # band) and its fit from its own training figures only
    assert sorted(i for held in predicted for i in held) == sorted(r.id for r in rows)
    assert len(seen) >= 2 * len(predicted)


def test_a_model_of_a_kind_the_corpus_lacks_gets_the_wider_family_band() -> None:
    model = GpuModel.build(load_corpus(CAT), shipped_facts())
    assert model.regime_for("hf:microsoft/resnet-50 num_labels=1000", "cnn") == KNOWN_MODEL
    assert model.regime_for("file.py:net", "cnn") == NEW_MODEL
    assert model.regime_for("file.py:net", None) == NEW_FAMILY
    (lo_new, hi_new), _ = model.band_factors(NEW_MODEL)
    (lo_fam, hi_fam), how = model.band_factors(NEW_FAMILY)
    (lo_known, hi_known), _ = model.band_factors(KNOWN_MODEL)
    assert hi_known / lo_known < hi_new / lo_new < hi_fam / lo_fam
    assert "leave-one-family-out" in how


def test_geforce_half_precision_peaks_are_the_fp32_accumulate_rate() -> None:
    """torch's fp16/bf16 GEMMs accumulate in fp32, which GeForce cards run at half the
    fp16-accumulate rate their headline figure quotes (Quadro/datacenter parts do not halve)."""
    by_id = {d.id: d for d in CAT.devices}
    assert peak_for(by_id["epoch-nvidia-geforce-rtx-2080-ti-11gb"], "amp").flops_per_s == 53.8e12
    assert peak_for(by_id["rtx-3090"], "amp").flops_per_s == 71e12
    assert peak_for(by_id["epoch-nvidia-geforce-rtx-3090-ti"], "bf16").flops_per_s == 80e12  # Epoch: 160
    assert peak_for(by_id["epoch-nvidia-quadro-rtx-6000"], "amp").flops_per_s > 2 * 53.8e12
    label = peak_for(by_id["rtx-3090"], "tf32").label
    assert "TF32 tensor rate is the FP32 rate" in label and "no TF32 units" not in label
    assert "no TF32 units" in peak_for(by_id["v100-sxm2-32gb"], "tf32").label


def test_no_published_batch_is_called_does_not_fit_and_the_factors_sit_below_the_evidence() -> None:
    corpus, facts = load_corpus(CAT), shipped_facts()
    check = check_memory(corpus, facts)
    assert check.wrong == () and check.counts.get("fits", 0) > check.counts.get("may not fit", 0) > 0
    # each published batch bounds the activation factor: (usable - state) / (counted bytes x batch)
    bounds: dict[str, float] = {}
    for row in corpus:
        counted = facts.get(row.model_key)
        usable, _ = usable_memory(row.device)
        if counted is None or not counted.activation_bytes_per_sample or usable is None:
            continue
        room = usable - step_of(counted, 1, "fp32").state_bytes
        cls = "half" if row.precision in ("amp", "fp16", "bf16") else "full"
        bounds[cls] = min(bounds.get(cls, 1e9), room / (counted.activation_bytes_per_sample * row.batch))
    for cls, bound in bounds.items():
        low = ACTIVATION_MEMORY_FACTORS[cls][0]
        assert low < bound, (cls, bound)  # a published batch never contradicts a "does not fit"


def test_backtests_are_cached_until_an_input_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HORSEPOWER_CACHE_DIR", str(tmp_path))
    rows, facts = fixture_corpus(*DEVICES, models=4)
    calls: list[str] = []
    real = cache_module.run_backtest

    def counting(corpus, facts_, regime):  # type: ignore[no-untyped-def]
        calls.append(regime)
        return real(corpus, facts_, regime)

    monkeypatch.setattr(cache_module, "run_backtest", counting)
    first = cache_module.backtests(rows, facts)
    assert calls == list(REGIMES)
    again = cache_module.backtests(rows, facts)
    assert calls == list(REGIMES)  # read back, not computed
    assert [b.to_dict() for b in again] == [b.to_dict() for b in first]
    changed = [*rows[:-1], rows[-1].__class__(**{**rows[-1].__dict__, "samples_per_s": rows[-1].samples_per_s * 2})]
    cache_module.backtests(changed, facts)
    assert calls == [*REGIMES, *REGIMES]  # another corpus: computed (and both kept)
    cache_module.backtests(rows, facts)
    assert len(calls) == 2 * len(REGIMES)
    assert len(json.loads(cache_module.cache_path().read_text())) == 2


def test_the_shipped_backtests_are_those_of_the_shipped_corpus_and_this_code(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """They spare a new machine 15 s on its first advice; after a change to the corpus, the
    model facts or the fitting code, `python bench/ship_backtests.py` ships them again."""
    monkeypatch.setenv("HORSEPOWER_CACHE_DIR", str(tmp_path))
    corpus, facts = load_corpus(CAT), shipped_facts()
    key = cache_module.cache_key(corpus, facts)
    shipped = cache_module.read_shipped(key)
    assert shipped is not None, "stale resources/published/backtests.json.gz: run python bench/ship_backtests.py"
    assert [b.regime for b in shipped] == list(REGIMES)

    def computed(*_args: object) -> None:
        raise AssertionError("computed although the shipped back-tests match")

    monkeypatch.setattr(cache_module, "run_backtest", computed)
    assert [b.to_dict() for b in cache_module.backtests(corpus, facts)] == [b.to_dict() for b in shipped]


def test_shipped_backtests_of_other_code_or_a_broken_file_are_not_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    monkeypatch.setenv("HORSEPOWER_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    rows, facts = fixture_corpus(*DEVICES, models=4)
    file = tmp_path / "backtests.json.gz"
    monkeypatch.setattr(cache_module, "shipped_path", lambda: file)
    key = cache_module.ship(rows, facts, file)
    assert cache_module.read_shipped(key) is not None and cache_module.read_shipped("another key") is None
    file.write_bytes(gzip.compress(b"{not json"))
    assert cache_module.read_shipped(key) is None  # a broken file: computed instead, never a crash
    file.write_bytes(b"not gzip at all")
    assert cache_module.read_shipped(key) is None
    assert len(cache_module.backtests(rows, facts)) == len(REGIMES)


def test_a_bad_backtest_cache_is_set_aside_and_recomputed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HORSEPOWER_CACHE_DIR", str(tmp_path))
    rows, facts = fixture_corpus(*DEVICES, models=4)
    cache_module.cache_path().write_text("{not json")
    result = cache_module.backtests(rows, facts)
    assert len(result) == len(REGIMES)
    assert [p.name for p in tmp_path.iterdir() if ".bad-" in p.name]
    assert json.loads(cache_module.cache_path().read_text())  # a good cache written beside it


def _half_slow_corpus(slow: float = 0.5):  # type: ignore[no-untyped-def]
    """A fixture corpus whose gpu-1 trains at ``slow`` x its datasheet at 16-bit only (a Turing
    Quadro's full-rate tensor peak it cannot sustain), and as the datasheet says at fp32."""
    rows, facts = fixture_corpus(*DEVICES, models=5)
    return [r.__class__(**{**r.__dict__, "samples_per_s": r.samples_per_s * slow})
            if r.device.id == "gpu-1" and r.precision == "bf16" else r for r in rows], facts


@pytest.mark.parametrize("levels", ["gpu and precision", "gpu only"])
def test_a_gpu_slow_only_at_16_bit_is_predicted_slow_only_there(levels: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    if levels == "gpu only":  # the fit before GPU x precision offsets: the control that shows the need
        monkeypatch.setattr(fit_module, "OFFSET_LEVELS", (fit_module.gpu_key,))
    rows, facts = _half_slow_corpus()
    result = run_backtest(rows, facts, NEW_MODEL)  # each model predicted by a fit without it
    errors = {p: sorted(abs(f.error) for f in result.figures if f.device == "GPU-1" and f.precision == p)
              for p in ("fp32", "bf16")}
    worst_median = max(statistics.median(e) for e in errors.values())
    if levels == "gpu only":
        assert worst_median > 0.2, errors  # one offset per GPU splits the difference: both precisions off
    else:
        assert worst_median < 0.1, errors  # the fixture's own spread is +-10%


@pytest.mark.parametrize("levels", ["architecture, gpu and precision", "gpu and precision"])
def test_a_gpu_the_corpus_lacks_inherits_its_architectures_offset(levels: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    if levels == "gpu and precision":  # the fit before architecture offsets: the control
        monkeypatch.setattr(fit_module, "OFFSET_LEVELS", (fit_module.gpu_key, fit_module.gpu_precision_key))
    # two architectures of three GPUs each, their datasheets interleaved; one trains at half
    # the efficiency of the other on every model and precision
    slow = tuple(replace(gpu(f"slow-{i}", peak_bf16=p * 5, peak_fp32=p, bandwidth=p / 20), architecture="Slow")
                 for i, p in enumerate((20e12, 40e12, 60e12)))
    fast = tuple(replace(gpu(f"fast-{i}", peak_bf16=p * 5, peak_fp32=p, bandwidth=p / 20), architecture="Fast")
                 for i, p in enumerate((25e12, 45e12, 65e12)))
    rows, facts = fixture_corpus(*slow, *fast, models=4)
    rows = [r.__class__(**{**r.__dict__, "samples_per_s": r.samples_per_s * 0.5}) if r.device.architecture == "Slow"
            else r for r in rows]
    result = run_backtest(rows, facts, NEW_GPU)  # each GPU predicted by a fit without any of its figures
    median = statistics.median(abs(f.error) for f in result.figures)
    if levels == "gpu and precision":
        assert median > 0.25  # nothing tells an unseen GPU which half it belongs to
    else:
        assert median < 0.12  # its siblings do (the fixture's own spread is +-10%)


@pytest.mark.parametrize("levels", ["with product lines", "architecture, gpu and precision"])
def test_a_geforce_part_the_corpus_lacks_inherits_its_product_lines_offset(levels: str,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    if levels == "architecture, gpu and precision":  # the fit before product-line offsets: the control
        monkeypatch.setattr(fit_module, "OFFSET_LEVELS",
                            (fit_module.architecture_key, fit_module.gpu_key, fit_module.gpu_precision_key))
    # one architecture, three GeForce parts and three others, their datasheets interleaved; the
    # GeForce parts train at 1.8x the efficiency their (half-rate) datasheet peaks suggest
    geforce = tuple(replace(gpu(f"geforce-{i}", peak_bf16=p * 5, peak_fp32=p, bandwidth=p / 20), architecture="Arch")
                    for i, p in enumerate((20e12, 40e12, 60e12)))
    others = tuple(replace(gpu(f"pro-{i}", peak_bf16=p * 5, peak_fp32=p, bandwidth=p / 20), architecture="Arch")
                   for i, p in enumerate((25e12, 45e12, 65e12)))
    rows, facts = fixture_corpus(*geforce, *others, models=4)
    rows = [r.__class__(**{**r.__dict__, "samples_per_s": r.samples_per_s * 1.8}) if r.device.id.startswith("geforce")
            else r for r in rows]
    result = run_backtest(rows, facts, NEW_GPU)  # each GPU predicted by a fit without any of its figures
    median = statistics.median(abs(f.error) for f in result.figures)
    if levels == "architecture, gpu and precision":
        assert median > 0.2  # the architecture's one offset splits the difference between the two lines
    else:
        assert median < 0.12  # the other GeForce parts tell it (the fixture's own spread is +-10%)


def test_the_software_stack_is_read_from_the_row() -> None:
    row = load_corpus(CAT)[0]

    def stack(text: str) -> str:
        return row.__class__(**{**row.__dict__, "software": text}).stack

    assert stack("NGC pytorch:20.01-py3 (PyTorch 1.4; Lambda's 'version 0')") == "PyTorch/NGC 20.01"
    assert stack("README environment: PyTorch 1.4, CUDA 10.0, cuDNN 7.6") == "PyTorch/NGC 1.4"
    assert stack("nvcr.io/nvidia/pytorch:20.10-py3; torchvision model") == "PyTorch/NGC 20.10"
    assert stack("pytorch-1.12.0a0+bd13bc6 (NGC container), CUDA 11.6") == "PyTorch/NGC 1.12"
    assert stack("PyTorch (version not stated), no torch.compile") == "PyTorch (version not stated), no torch.compile"
    assert stack("") == "software not stated"


def test_gpus_measured_on_different_software_stacks_are_not_ranked_together() -> None:
    """A source's figures on two stacks (ryujaehun's A100 on NGC 20.10, its other GPUs on
    PyTorch 1.4) differ by more than the GPU: each stack is its own rank setting."""
    def figure(device: str, stack: str, published: float, predicted: float) -> Figure:
        return Figure(f"{device}-{stack}", "Net", "fp32", 64, device, published, predicted, predicted / 2,
                      predicted * 2, "peak", f"net|src|{stack}", device)

    figures = [figure(f"G{i}", "PyTorch/NGC 1.4", 100.0 * (i + 1), 90.0 * (i + 1)) for i in range(3)]
    figures += [figure(f"H{i}", "PyTorch/NGC 20.10", 100.0 * (3 - i), 90.0 * (i + 1)) for i in range(3)]
    ranks = {r.setting: r for r in gpu_ranks(figures)}
    assert set(ranks) == {"Net fp32 (src, PyTorch/NGC 1.4)", "Net fp32 (src, PyTorch/NGC 20.10)"}
    assert ranks["Net fp32 (src, PyTorch/NGC 1.4)"].spearman == pytest.approx(1.0)
    assert ranks["Net fp32 (src, PyTorch/NGC 20.10)"].spearman == pytest.approx(-1.0)


def test_pairs_are_binned_by_projected_gap_and_counted_in_or_out_of_published_order() -> None:
    def figure(device: str, model: str, published: float, predicted: float, batch: int = 64) -> Figure:
        return Figure(f"{device}-{model}-{batch}", model, "amp", batch, device, published, predicted,
                      predicted / 2, predicted * 2, "peak", f"{model}|src|PyTorch/NGC 1.4", device)

    figures = [figure("A", "m", 100.0, 100.0), figure("B", "m", 95.0, 105.0),   # 1.05x apart, swapped
               figure("C", "m", 300.0, 250.0),                                  # 2.4-2.5x from A and B: in order
               figure("A", "n", 100.0, 100.0), figure("B", "n", 110.0, 125.0),  # 1.25x apart, in order
               figure("A", "n", 500.0, 50.0, batch=8)]                          # a smaller batch: not the entry
    orders = {(o.low, o.high): o for o in pair_orders(figures)}
    assert set(orders) == {(1.0, 1.1), (1.2, 1.3), (1.5, math.inf)}
    assert (orders[(1.0, 1.1)].pairs, orders[(1.0, 1.1)].in_order) == (1, 0)
    assert (orders[(1.2, 1.3)].pairs, orders[(1.2, 1.3)].in_order) == (1, 1)
    assert (orders[(1.5, math.inf)].pairs, orders[(1.5, math.inf)].in_order) == (2, 2)
    assert orders[(1.5, math.inf)].label == "projected 1.5x or more apart: 2 of 2 in the published order (100%)"
    assert order_at(pair_orders(figures), 1.05) == orders[(1.0, 1.1)]
    assert order_at(pair_orders(figures), 1.15) is None  # no pair that far apart: no evidence


def test_a_scorecard_shows_each_figure_against_its_target_and_the_pair_orders_line_up() -> None:
    from profiler.analysis.advisor.backtest import Backtest, RankSetting, order_grid

    def figure(device: str, model: str, published: float, predicted: float, low: float, high: float) -> Figure:
        return Figure(f"{device}-{model}", model, "amp", 64, device, published, predicted, low, high, "peak",
                      f"{model}|src|PyTorch/NGC 1.4", device)

    # errors -50%, +10%, +20%; bands 1.5x, 2x, 4x wide; one published figure outside its band
    figures = (figure("A", "m", 200.0, 100.0, 80.0, 120.0), figure("B", "m", 100.0, 110.0, 70.0, 140.0),
               figure("C", "n", 100.0, 120.0, 50.0, 200.0))
    ranks = (RankSetting("m (src)", 4, 1.0), RankSetting("n (src)", 4, 0.8, ("A vs B",), 1.05))
    card = Backtest(NEW_MODEL, figures, ranks, ()).scorecard()
    assert card.title == "New model" and card.case == "a model the corpus lacks (leave-one-model-out)"
    assert (card.figures, card.models, card.gpus) == (3, 2, 3)
    shown = [(s.name, s.value, s.target, s.met) for s in card.scores]
    assert shown == [("inside their band", "67%", ">= 80%", False), ("median error", "20%", "<= 25%", True),
                     ("median band", "2.00x", "<= 2.5x", True), ("GPU order", "1 of 2", "every setting >= 0.9", False)]
    other = Backtest(NEW_GPU, figures[:1], (), ()).scorecard()  # one GPU: no pair, every cell empty
    spans, grid = order_grid((card, other))
    assert spans == tuple(o.span for o in card.orders)  # every bin any card has, in order
    assert grid[0] == card.orders and grid[1] == (None,) * len(spans)


def test_a_gpu_the_corpus_lacks_gets_the_leave_one_gpu_out_band_and_a_foreign_vendor_is_named() -> None:
    rows, facts = fixture_corpus(*DEVICES, models=5)
    model = GpuModel.build(rows, facts)
    assert NEW_GPU in model.fits and model.gpu_residuals and model.devices == {d.id for d in DEVICES}
    seen, facts_of = DEVICES[1], next(iter(facts.values()))
    unseen = gpu("gpu-new", peak_bf16=200e12, peak_fp32=40e12, bandwidth=2e12)
    foreign = HardwareDevice(**{**unseen.__dict__, "id": "gpu-other", "vendor": "Other"})
    at_seen = model.predict(Case(seen, "bf16", facts_of, 64, "bert"))
    at_unseen = model.predict(Case(unseen, "bf16", facts_of, 64, "bert"))
    (gpu_low, gpu_high), _ = model.band_factors(NEW_GPU)
    (low, high), _ = model.band_factors(model.regime_for(None, "bert"))
    for band, (lo, hi) in ((at_unseen.efficiency, (min(low, gpu_low), max(high, gpu_high))),
                           (at_seen.efficiency, (low, high))):
        assert band.low == pytest.approx(band.nominal * lo) and band.high == pytest.approx(band.nominal * hi)
    assert "leave-one-GPU-out" in at_unseen.source and "leave-one-GPU-out" not in at_seen.source
    assert "no Other GPU is in the corpus" in model.predict(Case(foreign, "bf16", facts_of, 64, "bert")).source
    assert "is in the corpus" not in at_unseen.source


def test_a_gpu_the_corpus_lacks_names_the_siblings_whose_offsets_it_carries() -> None:
    from dataclasses import replace

    devices = (replace(gpu("geforce-1", peak_bf16=100e12, peak_fp32=20e12), architecture="Arch"),
               replace(gpu("pro-1", peak_bf16=200e12, peak_fp32=40e12, bandwidth=2e12), architecture="Arch"),
               *DEVICES[:2])
    rows, facts = fixture_corpus(*devices, models=4)
    model = GpuModel.build(rows, facts)
    facts_of = next(iter(facts.values()))

    def source(device_id: str, architecture: str | None) -> str:
        device = replace(gpu(device_id, peak_bf16=150e12, peak_fp32=30e12), architecture=architecture)
        return model.predict(Case(device, "bf16", facts_of, 64, "bert")).source

    assert ("with the offset of its architecture (Arch: GEFORCE-1, PRO-1 in the corpus) and of its GeForce "
            "parts (GEFORCE-1)") in source("geforce-2", "Arch")
    assert "and of its professional and data-centre parts (PRO-1)" in source("pro-2", "Arch")
    only_geforce = GpuModel.build([r for r in rows if r.device.id != "pro-1"], facts)
    device = replace(gpu("pro-3", peak_bf16=150e12, peak_fp32=30e12), architecture="Arch")
    assert "; no professional and data-centre part of it is in the corpus" in only_geforce.predict(
        Case(device, "bf16", facts_of, 64, "bert")).source
    assert "no Newer GPU is in the corpus: no architecture offset" in source("next-1", "Newer")


def test_two_gpus_are_ordered_on_the_evidence_for_gpus_like_them() -> None:
    from profiler.analysis.advisor.backtest import OrderEvidence, PairOrder

    seen, unseen = (PairOrder(1.0, math.inf, 10, 9),), (PairOrder(1.0, math.inf, 10, 6),)
    evidence = OrderEvidence(frozenset({"a", "b"}), seen, unseen)
    assert evidence.orders_for("a", "b") == seen
    assert evidence.orders_for("a", "new") == unseen and evidence.orders_for("new", "b") == unseen
    assert OrderEvidence(frozenset({"a"}), seen, ()).orders_for("a", "new") == seen  # no such back-test
