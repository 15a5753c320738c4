"""FLOP counts of a training step: counted by torch on meta, checked against formulas."""

from __future__ import annotations

import time

import psutil
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from profiler.workloads import WORKLOADS, WorkloadError, gpt, lstm, mlp
from profiler.workloads.flops import count_forward_flops, count_train_flops, flops_by_op


@pytest.mark.parametrize("size", ["S", "M", "L"])
def test_mlp_count_equals_analytic(size: str) -> None:
    w = WORKLOADS["mlp"]
    batch = w.default_batch[size]
    assert count_train_flops(w, size) == mlp.analytic_train_flops(batch, **w.presets[size])


def test_mlp_count_follows_knobs_and_batch() -> None:
    w = WORKLOADS["mlp"]
    knobs = {"width": 96, "depth": 3}
    expected = mlp.analytic_train_flops(24, **w.resolve_knobs("S", knobs))
    assert count_train_flops(w, "S", 24, knobs) == expected


@pytest.mark.parametrize("size", ["S", "M", "L"])
def test_gpt_count_matches_analytic(size: str) -> None:
    w = WORKLOADS["gpt"]
    counted = count_train_flops(w, size)
    expected = gpt.analytic_train_flops(w.default_batch[size], **w.presets[size])
    assert counted == pytest.approx(expected, rel=0.001)


def test_gpt_attention_is_counted() -> None:
    """FlopCounterMode sees 0 for SDPA on a real CPU; the meta count must include it."""
    w = WORKLOADS["gpt"]
    knobs = {"vocab": 128, "d_model": 64, "n_layers": 2, "n_heads": 2, "seq_len": 64}
    with_attn = count_train_flops(w, "S", 4, knobs)
    without = gpt.analytic_train_flops(4, **w.resolve_knobs("S", knobs), attention=False)
    attention = gpt.analytic_train_flops(4, **w.resolve_knobs("S", knobs)) - without
    assert attention > 0
    assert with_attn - without == pytest.approx(attention, rel=0.001)
    assert flops_by_op(w, "S", 4, knobs)["aten.bmm"] == pytest.approx(attention, rel=0.001)


def test_cpu_sdpa_is_invisible_to_flop_counter() -> None:
    """The pitfall the meta device avoids (if torch fixes it, this documents the change)."""
    q = torch.randn(1, 2, 16, 8, device="cpu")
    with FlopCounterMode(display=False) as counter:
        torch.nn.functional.scaled_dot_product_attention(q, q, q, is_causal=True)
    meta_q = q.to("meta")
    with FlopCounterMode(display=False) as meta_counter:
        torch.nn.functional.scaled_dot_product_attention(meta_q, meta_q, meta_q, is_causal=True)
    assert meta_counter.get_total_flops() == 2 * 2 * 2 * 16 * 16 * 8
    assert counter.get_total_flops() in (0, meta_counter.get_total_flops())


@pytest.mark.parametrize("size", ["S", "M", "L"])
def test_lstm_count_matches_analytic(size: str) -> None:
    w = WORKLOADS["lstm"]
    counted = count_train_flops(w, size)
    expected = lstm.analytic_train_flops(w.default_batch[size], **w.presets[size])
    assert counted == pytest.approx(expected, rel=0.001)


def test_lstm_extrapolation_equals_direct_count() -> None:
    """The LSTM is counted at seq_len 2 and 3 and extrapolated: check against a full count."""
    from profiler.workloads.flops import _count, count_train_step

    w = WORKLOADS["lstm"]
    knobs = {"vocab": 50, "hidden": 24, "layers": 2, "seq_len": 9}
    direct = _count(w, "S", 3, knobs, False)
    assert count_train_step(w, "S", 3, knobs) == direct  # the FLOPs and the calls counted
    assert direct.flops == lstm.analytic_train_flops(3, **w.resolve_knobs("S", knobs))


def test_backward_is_counted_not_assumed() -> None:
    """Backward of an MLP whose input needs no grad is < 2x forward (first layer skips dX)."""
    w = WORKLOADS["mlp"]
    fwd = count_forward_flops(w, "S")
    train = count_train_flops(w, "S")
    assert 2.5 * fwd < train < 3 * fwd


def test_cnn_count_is_plausible_and_layout_free() -> None:
    w = WORKLOADS["cnn"]
    fwd = count_forward_flops(w, "S", 2)
    # ResNet-8 at width 32 on 32x32: the 3x3 convs dominate (~97 MFLOP forward per image).
    assert 90e6 < fwd / 2 < 110e6
    assert count_train_flops(w, "S", 2, channels_last=True) == count_train_flops(w, "S", 2)
    assert 2.5 * fwd < count_train_flops(w, "S", 2) < 3.1 * fwd


def test_counting_large_sizes_is_fast_and_allocates_nothing() -> None:
    """L sizes hold GBs of weights and activations; on meta none of it is allocated."""
    rss_before = psutil.Process().memory_info().rss
    start = time.perf_counter()
    fresh = {"mlp": {"classes": 7}, "cnn": {"classes": 7}, "gpt": {"vocab": 999}, "lstm": {"vocab": 999}}
    for name, w in WORKLOADS.items():
        assert count_train_flops(w, "L", knobs=fresh[name]) > 1e11
    assert time.perf_counter() - start < 30
    assert psutil.Process().memory_info().rss - rss_before < 300 * 2**20


def test_counting_validates_knobs() -> None:
    with pytest.raises(WorkloadError, match="d_model"):
        count_train_flops(WORKLOADS["gpt"], "S", knobs={"nope": 1})


def test_counting_leaves_the_global_rng_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    count_forward_flops(WORKLOADS["mlp"], "S", 4)
    torch.testing.assert_close(torch.rand(3), expected)
