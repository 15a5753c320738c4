"""Projection arithmetic against hand-worked examples: bands, roofline, launch floor, memory fit."""

from __future__ import annotations

import math

import pytest

from profiler import units
from profiler.analysis.advisor.bands import Band, band_max, divide
from profiler.analysis.advisor.pareto import front
from profiler.analysis.advisor.roofline import MAYBE, NO_FIT, NoFigure, memory_fit, roof, step_time
from tests.helpers import cpu, facts, gpu


def test_band_arithmetic_by_hand() -> None:
    time = divide(Band.exact(0.01), Band(0.25, 0.5, 1.0))  # a time over an efficiency: low from high
    assert (time.low, time.nominal, time.high) == pytest.approx((0.01, 0.02, 0.04))
    rate = time.inverse_times(100.0)  # samples per step / step time
    assert (rate.low, rate.nominal, rate.high) == pytest.approx((2500.0, 5000.0, 10000.0))
    assert band_max(Band(1, 2, 3), Band(0, 5, 6)) == Band(1, 5, 6)
    assert Band(1, 2, 3).times(Band(2, 2, 2)) == Band(2, 4, 6)
    assert Band.around(10.0, 0.5, 2.0) == Band(5.0, 10.0, 20.0)
    assert Band(1, 1.2, 1.5).confidence == "high" and Band(1, 2, 2.9).confidence == "medium"
    assert Band(1, 2, 10).confidence == "low" and math.isinf(Band(0, 1, 2).width)
    assert Band(150.0, 240.0, 366.0).span(units.duration) == "2.5 min-6.1 min"  # low to high, one format


@pytest.mark.parametrize("bad", [(2, 1, 3), (1, 3, 2), (-1, 0, 1), (0, 0, math.inf)])
def test_band_rejects_disorder_and_non_finite(bad: tuple[float, float, float]) -> None:
    with pytest.raises(ValueError):
        Band(*bad)


def test_compute_bound_step() -> None:
    # 1 TFLOP on a 100 TFLOP/s bf16 peak = 10 ms; 1-4 GB at 1 TB/s = 1-4 ms: compute-bound.
    step, bound = step_time(facts(flops=1e12), gpu(), "bf16", Band(0.25, 0.5, 1.0), None)
    assert bound == "compute"
    assert (step.low, step.nominal, step.high) == pytest.approx((0.01, 0.02, 0.04))


def test_memory_bound_step() -> None:
    # 1 GFLOP = 10 us of compute; 1, 2, 4 GB at 1 TB/s = 1, 2, 4 ms; efficiency 0.5-1.0 (nominal 0.8)
    step, bound = step_time(facts(flops=1e9), gpu(), "bf16", Band(0.5, 0.8, 1.0), None)
    assert bound == "memory"
    assert (step.low, step.nominal, step.high) == pytest.approx((1e-3, 2.5e-3, 8e-3))


def test_launch_floor_on_accelerators_only() -> None:
    # 100 launches x 5-20 us (nominal 10) = 0.5-2 ms, above a 10 us compute / 1-4 us memory roof
    small = facts(flops=1e9, moved=Band(1e6, 2e6, 4e6), kernels=100)
    step, bound = step_time(small, gpu(), "bf16", Band(0.5, 0.8, 1.0), Band(5e-6, 1e-5, 2e-5))
    assert bound == "launch"
    assert (step.low, step.nominal, step.high) == pytest.approx((5e-4, 1e-3, 2e-3))
    cpu_step, cpu_bound = step_time(small, cpu(), "fp32", Band(0.5, 0.8, 1.0), Band(5e-6, 1e-5, 2e-5))
    assert cpu_bound != "launch" and cpu_step.nominal < 1e-3


def test_no_figure_for_the_precision_is_never_borrowed() -> None:
    no_bf16 = gpu(peak_bf16=1.0)
    no_bf16 = type(no_bf16)(**{**no_bf16.__dict__, "peaks": {"fp32": no_bf16.peaks["fp32"]}})
    with pytest.raises(NoFigure, match="n/a: no bf16 figure for this device"):
        roof(facts(), no_bf16, "bf16")


def test_cpu_step_in_cache_has_no_dram_roof() -> None:
    # 16 kB of state and no activations fit a 64 MB cache: memory roof dropped, compute only
    small = facts(flops=1e9, moved=Band(1e9, 2e9, 4e9), activations=Band.exact(0.0))
    assert roof(small, cpu(cache=64e6), "fp32").memory_s is None
    assert roof(small, cpu(), "fp32").memory_s is not None


def test_memory_fit_largest_batch_by_hand() -> None:
    # 1e9 params x 16 B = 16 GB of state; 8 GB of activations at batch 256 (31.25 MB per sample).
    # 24 GB GPU: usable 0.9 x 24e9 - 1 GiB = 20.526 GB; needs 24 GB; largest (20.526-16)/0.03125 = 144
    f = facts(params=10**9, activations=Band.exact(8e9), batch=256)
    fit = memory_fit(f, gpu(memory=24e9))
    assert fit.status == NO_FIT
    assert fit.largest_batch == 144
    assert "does not fit at batch 256" in fit.message and "largest batch about 144" in fit.message
    roomy = memory_fit(f, gpu(memory=80e9))
    assert roomy.status == "fits" and roomy.largest_batch is not None and roomy.largest_batch > 256


def test_memory_fit_edge_cases() -> None:
    assert memory_fit(facts(params=10**10), gpu(memory=24e9)).message.startswith("does not fit: weights")
    assert memory_fit(facts(), gpu()).status == "unknown"  # activations not known
    assert memory_fit(facts(activations=Band.exact(1e9)), cpu()).status == "unknown"  # no RAM figure
    between = facts(params=10**9, activations=Band(2e9, 4e9, 6e9), batch=64)
    assert memory_fit(between, gpu(memory=24e9)).status == MAYBE


def test_pareto_front_by_hand() -> None:
    #     time  cost: (1, 10) fast+dear, (5, 1) slow+cheap, (3, 3) middle, (4, 4) dominated by (3, 3),
    #     (1, 12) dominated by (1, 10)
    points = [(1, 10), (5, 1), (3, 3), (4, 4), (1, 12)]
    assert front(points) == [True, True, True, False, False]
    assert front([(2, 2), (2, 2)]) == [True, True]  # equal points do not dominate each other
