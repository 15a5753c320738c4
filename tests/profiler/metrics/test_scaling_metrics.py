"""Scaling arithmetic: efficiency, nccl-tests bus bandwidth, the time split, stragglers, sweep points."""

from __future__ import annotations

import math

import pytest

from profiler.metrics.scaling import (
    allreduce_bandwidth,
    allreduce_bus_factor,
    scaling_efficiency,
    scaling_points,
    straggler,
    time_split,
    world_size_of,
)


def test_efficiency_is_throughput_over_n_times_one_rank():
    assert scaling_efficiency(180.0, 2, 100.0) == pytest.approx(0.9)
    assert scaling_efficiency(400.0, 4, 100.0) == pytest.approx(1.0)
    assert scaling_efficiency(250.0, 4, 100.0) == pytest.approx(0.625)
    # base of 2 ranks: (X_8 / 8) / (X_2 / 2)
    assert scaling_efficiency(600.0, 8, 200.0, 2) == pytest.approx(0.75)
    assert scaling_efficiency(None, 2, 100.0) is None
    assert scaling_efficiency(100.0, 2, 0.0) is None


def test_bus_bandwidth_follows_nccl_tests():
    # doc/PERFORMANCE.md: busbw = algbw * 2(n-1)/n for all-reduce
    assert allreduce_bus_factor(2) == pytest.approx(1.0)
    assert allreduce_bus_factor(8) == pytest.approx(1.75)
    algbw, busbw = allreduce_bandwidth(1_000_000_000, 0.01, 8)
    assert algbw == pytest.approx(1e11)
    assert busbw == pytest.approx(1.75e11)
    assert allreduce_bandwidth(1000, 0.01, 1) == (pytest.approx(1e5), None)
    assert allreduce_bandwidth(0, 0.01, 4) == (None, None)
    with pytest.raises(ValueError):
        allreduce_bus_factor(0)


def test_split_adds_up_to_the_step():
    split = time_split(step_s=0.050, input_s=0.002, compute_total_s=0.040, compute_input_s=0.002)
    assert split.compute_s == pytest.approx(0.038)
    assert split.comm_s == pytest.approx(0.010)
    assert split.input_s + split.compute_s + split.comm_s == pytest.approx(split.step_s)
    assert split.comm_fraction == pytest.approx(0.2)
    assert not split.noisy
    noisy = time_split(step_s=0.030, input_s=0.0, compute_total_s=0.040)
    assert noisy.comm_s == pytest.approx(-0.010) and noisy.noisy
    assert math.isclose(noisy.input_s + noisy.compute_s + noisy.comm_s, noisy.step_s)


def test_straggler_is_the_slowest_rank_against_the_median():
    slow = straggler({0: 0.010, 1: 0.011, 2: 0.010, 3: 0.020})
    assert slow is not None and slow.rank == 3
    assert slow.ratio_to_median == pytest.approx(0.020 / 0.0105)
    assert straggler({}) is None
    tie = straggler({0: 0.01, 1: 0.01})
    assert tie is not None and tie.rank == 0 and tie.ratio_to_median == pytest.approx(1.0)


def _run(run_id: str, world: int, sps: float | None, comm: float = 0.0, status: str = "completed") -> dict:
    ranks = [{"rank": r, "split": {"step_s": 1.0, "input_s": 0.0, "compute_s": 1.0 - comm, "comm_s": comm}}
             for r in range(world)]
    return {"run_id": run_id, "status": status, "samples_per_s": sps, "spec": {"world_size": world},
            "distributed": {"world_size": world, "nodes": 1, "ranks": ranks,
                            "straggler": {"ratio_to_median": 1.1}, "allreduce": {"busbw_bytes_per_s": 5e9}}}


def test_points_of_a_sweep():
    runs = [_run("c", 4, 300.0, 0.25), _run("a", 1, 100.0), _run("b", 2, 190.0, 0.05)]
    points = scaling_points(runs)
    assert [p.world_size for p in points] == [1, 2, 4]
    assert [p.efficiency for p in points] == pytest.approx([1.0, 0.95, 0.75])
    assert points[2].per_rank_samples_per_s == pytest.approx(75.0)
    assert points[2].comm_fraction == pytest.approx(0.25)
    assert points[1].busbw_bytes_per_s == 5e9 and points[1].straggler_ratio == 1.1


def test_points_without_one_rank_use_the_smallest_world_size_and_skip_failures():
    runs = [_run("a", 2, None, status="failed"), _run("b", 4, 400.0), _run("c", 8, 600.0)]
    points = scaling_points(runs)
    assert points[0].efficiency is None
    assert points[1].efficiency == pytest.approx(1.0)
    assert points[2].efficiency == pytest.approx(0.75)


def test_world_size_of_single_process_runs_is_one():
    assert world_size_of({"spec": {}}) == 1
    assert world_size_of({"spec": {"world_size": 4}}) == 4
