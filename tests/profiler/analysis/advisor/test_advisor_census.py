"""The step census on the meta device: activations, launches and traffic, checked by hand."""

from __future__ import annotations

import pytest

from profiler.analysis.advisor.census import (
    OPTIMIZER_BYTES_PER_PARAM,
    OPTIMIZER_KERNELS,
    WEIGHT_PASS_BYTES_PER_PARAM,
    replay_counts,
    step_facts,
)
from profiler.results.result import RunResult
from profiler.workloads import get_workload
from tests.helpers import run_result


def mlp_run(precision: str = "fp32", batch: int = 32) -> RunResult:
    """A measured run of the built-in MLP, 64 wide and 1 deep (its knobs), at ``batch``."""
    run = run_result("mlp", workload="mlp", batch=batch, precision=precision, flops_per_step=1e7)
    run.spec = run.spec.replace(size="S", knobs={"width": 64, "depth": 1})
    run.params = 784 * 64 + 64 + 64 * 10 + 10
    return run


def test_mlp_activations_and_launches_by_hand() -> None:
    kernels, moved, saved, recurrent = replay_counts(get_workload("mlp"), "S", 32, {"width": 64, "depth": 1})
    # saved for backward: the input (32x784 fp32, for dW of layer 1), the ReLU output (32x64),
    # log_softmax's output (32x10), the int64 targets (32) and nll_loss's scalar total weight
    assert saved == 32 * 784 * 4 + 32 * 64 * 4 + 32 * 10 * 4 + 32 * 8 + 4
    # forward: addmm, relu, addmm, _log_softmax, nll_loss; backward: 9 kernels
    assert kernels == 14 and recurrent == 0
    assert moved >= 2 * (784 * 64 + 64 * 10) * 4  # at least the weights, read forward and backward


def test_step_facts_bands_and_sources() -> None:
    run = mlp_run()
    facts = step_facts(run)
    params = run.params
    assert facts.state_bytes == 16 * params and facts.kernels == 14 + OPTIMIZER_KERNELS
    compulsory = (OPTIMIZER_BYTES_PER_PARAM + WEIGHT_PASS_BYTES_PER_PARAM) * params + 2 * 110084
    moved = facts.bytes_moved
    assert moved.low == min(compulsory, moved.high)  # a tiny model's census can be below the formula
    assert moved.nominal == pytest.approx((moved.low * moved.high) ** 0.5)
    big = step_facts(mlp_run(batch=4096)).bytes_moved
    assert big.high > big.nominal > big.low  # activations dominate: the two bounds part
    assert any("meta device" in how for how in facts.how)
    half = step_facts(mlp_run("bf16"))
    # activation memory under 16-bit autocast: the counted fp32 bytes times the corpus-bounded factors
    assert half.activation_bytes.low == pytest.approx(0.3 * 110084)
    assert half.activation_bytes.nominal == pytest.approx(0.45 * 110084)
    assert half.activation_bytes.high == pytest.approx(0.7 * 110084)


def test_recurrent_launches_do_not_grow_with_the_sequence() -> None:
    lstm = get_workload("lstm")
    short, long = (replay_counts(lstm, "S", 8, {"seq_len": n}) for n in (16, 64))
    assert short[0] == long[0]  # fused recurrent kernels: launches independent of seq_len
    assert long[1] > 3 * short[1] and long[2] > 3 * short[2]  # traffic and activations grow


def test_a_users_own_model_is_estimated_from_parameters_and_says_so() -> None:
    facts = step_facts(run_result("mine", batch=8, flops_per_step=1e9, model="pkg.mod:factory"))
    assert facts.activation_bytes is None and facts.kernels is None
    assert facts.bytes_moved.nominal == (OPTIMIZER_BYTES_PER_PARAM + WEIGHT_PASS_BYTES_PER_PARAM) * 1000
    assert any("activations unknown" in how for how in facts.how)
