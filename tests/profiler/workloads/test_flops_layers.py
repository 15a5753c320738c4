"""FLOPs of layers FlopCounterMode gets wrong or ignores, against analytic counts (within 2%):
depthwise-separable CNN, ConvNeXt blocks, mixture of experts (grouped_mm and a loop), and the
notice naming ops with no formula."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from profiler.workloads.flop_coverage import StepFlops, counting, is_matrix_op
from profiler.workloads.flops import count_step
from tests.models import layer_cases as lc


def _ratio(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor], analytic: int) -> tuple[float, StepFlops]:
    step = count_step(model, F.cross_entropy, batch)
    return step.flops / analytic, step


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_depthwise_separable_cnn_matches_analytic(device: str) -> None:
    analytic = lc.analytic_cnn_train_flops(lc.mobilenet(), lc.image_batch(2, 64, "cpu")[0])
    ratio, step = _ratio(lc.mobilenet().to(device), lc.image_batch(2, 64, device), analytic)
    assert ratio == pytest.approx(1.0, rel=0.02)  # torch's own counter: 5.3x
    assert not step.uncounted and step.counted_calls > 0


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_convnext_block_matches_analytic(device: str) -> None:
    analytic = lc.analytic_cnn_train_flops(lc.convnext(), lc.image_batch(2, 64, "cpu")[0])
    ratio, step = _ratio(lc.convnext().to(device), lc.image_batch(2, 64, device), analytic)
    assert ratio == pytest.approx(1.0, rel=0.02)  # torch's own counter: 2.7x
    assert not step.uncounted


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_moe_through_grouped_mm_matches_analytic(device: str) -> None:
    assert hasattr(torch, "_grouped_mm"), "torch 2.13 has torch._grouped_mm"
    tokens = 48
    with counting() as state:
        model = lc.moe(grouped=True).to(device)
        x, y = lc.moe_batch(tokens, device)
        F.cross_entropy(model(x), y).backward()
    step = state.result()
    assert "aten._grouped_mm" in state.by_op()  # forward and backward both went through it
    assert step.flops / lc.analytic_moe_train_flops(tokens) == pytest.approx(1.0, rel=0.02)
    assert not step.uncounted


def test_moe_loop_over_experts_matches_analytic() -> None:
    tokens = 48  # the loop reads which tokens chose which expert: real tensors only
    ratio, step = _ratio(lc.moe(grouped=False), lc.moe_batch(tokens, "cpu"), lc.analytic_moe_train_flops(tokens))
    assert ratio == pytest.approx(1.0, rel=0.02)
    assert not step.uncounted


def test_transformers_grouped_mm_fallback_op_is_counted() -> None:
    pytest.importorskip("transformers.integrations.moe")
    x = torch.randn(12, 8, requires_grad=True)
    w = torch.randn(3, 8, 5, requires_grad=True)
    offs = torch.tensor([4, 8, 12], dtype=torch.int32)
    with counting() as state:
        torch.ops.transformers.grouped_mm_fallback(x, w, offs=offs).pow(2).sum().backward()
    step = state.result()
    assert step.flops == 3 * 2 * 12 * 8 * 5 and not step.uncounted


def test_cpu_flash_attention_counts_like_the_math_path() -> None:
    q = torch.randn(2, 4, 16, 8, requires_grad=True)
    meta = q.detach().to("meta").requires_grad_()
    with counting() as on_cpu:
        F.scaled_dot_product_attention(q, q, q, is_causal=True).pow(2).sum().backward()
    with counting() as on_meta:
        F.scaled_dot_product_attention(meta, meta, meta, is_causal=True).pow(2).sum().backward()
    assert "aten._scaled_dot_product_flash_attention_for_cpu" in on_cpu.by_op()
    assert on_cpu.result().flops == on_meta.result().flops == 3 * 2 * (2 * 2 * 4 * 16 * 16 * 8)


def test_ops_with_no_formula_are_named_with_their_share() -> None:
    model = nn.Bilinear(6, 4, 5)  # aten._trilinear: no formula anywhere
    head = nn.Linear(5, 3)
    x1, x2 = torch.randn(7, 6), torch.randn(7, 4)
    with counting() as state:
        F.cross_entropy(head(model(x1, x2)), torch.randint(0, 3, (7,))).backward()
    step = state.result()
    assert step.uncounted == {"aten._trilinear": 2}  # forward and the weight's gradient (inputs need none)
    assert step.counted_calls == 3  # head: addmm forward, mm for its weight and input gradients
    sentence = step.sentence()
    assert sentence.startswith("40% of the step's matrix-op calls (2 of 5) have no FLOP formula: aten._trilinear (2")
    assert "MFU leave them out" in sentence
    assert step.to_dict()["basis"] == "calls of matrix-type ops in one training step"


def test_matrix_op_names() -> None:
    for name in ("aten.mm", "aten._grouped_mm", "aten.mkldnn_rnn_layer", "aten._slow_conv2d_forward",
                 "aten.cudnn_convolution", "aten._trilinear", "mylib.fused_mlp"):
        assert is_matrix_op(name), name
    for name in ("aten.add", "aten.cummax", "aten._convert_indices_from_coo_to_csr", "aten.native_layer_norm",
                 "aten._softmax", "profiler._record_function_enter_new", "prim.device"):
        assert not is_matrix_op(name), name


def test_extrapolated_coverage_is_affine() -> None:
    at2 = StepFlops(100, 10, {"aten.x": 2})
    at3 = StepFlops(150, 14, {"aten.x": 3, "aten.y": 1})
    assert StepFlops.extrapolate(at2, at3, 10) == StepFlops(500, 42, {"aten.x": 10, "aten.y": 8})


def test_a_run_says_what_its_flops_leave_out() -> None:
    from profiler.cli.summary import render_summary
    from profiler.devices.discovery import describe_device
    from profiler.results.model_ref import model_spec_fields
    from profiler.results.result import RunResult
    from profiler.results.spec import RunSpec
    from profiler.runner import run_training

    spec = RunSpec(**model_spec_fields("tests.models.bilinear:build"), batch_size=4,  # type: ignore[arg-type]
                   steps=2, threads=1, warmup_max_steps=2, warmup_max_s=0.5)
    result = run_training(spec, device_info=describe_device("cpu"))
    assert result.status == "completed", result.error
    assert result.flop_coverage is not None and result.flop_coverage.uncounted == {"aten._trilinear": 4}
    [warning] = [w for w in result.warnings if "have no FLOP formula" in w]
    assert warning.startswith("44% of the step's matrix-op calls (4 of 9) have no FLOP formula: aten._trilinear")
    data = result.to_dict()
    assert data["flop_coverage"]["uncounted_calls"] == {"aten._trilinear": 4}
    assert data["flop_coverage"]["basis"] == "calls of matrix-type ops in one training step"
    assert RunResult.from_dict(data).flop_coverage == result.flop_coverage
    assert "have no FLOP formula: aten._trilinear" in render_summary(data)


def test_dense_runs_report_full_coverage() -> None:
    from profiler.workloads import WORKLOADS
    from profiler.workloads.flops import count_train_step

    for name in WORKLOADS:
        step = count_train_step(WORKLOADS[name], "S", 2)
        assert step.counted_calls > 0 and not step.uncounted, (name, step.uncounted)
