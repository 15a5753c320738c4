"""Crossover on synthetic curves; sweeps through a fake run_fn."""

from __future__ import annotations

import math
import threading

import pytest

from profiler.analysis.crossover import ALWAYS, CROSSES, NEVER, UNKNOWN, find_crossover
from profiler.analysis.sweep import spec_for, sweep
from profiler.results.result import RunResult
from profiler.results.spec import RunSpec

CPU = {64: 1000.0, 256: 1000.0, 1024: 1000.0, 4096: 1000.0}


def test_crossover_interpolates_in_log_space():
    # ratio 0.5 at 256, 2.0 at 1024: log ratio crosses zero halfway in log2 -> 512
    gpu = {64: 100.0, 256: 500.0, 1024: 2000.0, 4096: 8000.0}
    found = find_crossover(CPU, gpu, "width", "cuda:0")
    assert found.kind == CROSSES
    assert found.knob_value == pytest.approx(512.0)
    assert found.stays_ahead and "width ~ 512" in found.message


def test_crossover_uneven_ratio():
    gpu = {64: 500.0, 256: 4000.0}  # log ratio -ln2 at 64, +ln4 at 256: 1/3 of the way
    found = find_crossover({64: 1000.0, 256: 1000.0}, gpu)
    assert found.knob_value == pytest.approx(math.exp(math.log(64) + math.log(4) / 3))


def test_never_always_unknown_and_falling_behind():
    slow = {k: 10.0 for k in CPU}
    assert find_crossover(CPU, slow).kind == NEVER
    assert "never overtakes" in find_crossover(CPU, slow).message
    fast = {k: 5000.0 for k in CPU}
    assert find_crossover(CPU, fast).kind == ALWAYS
    assert find_crossover(CPU, {8: 1.0}).kind == UNKNOWN
    hump = {64: 500.0, 256: 2000.0, 1024: 500.0, 4096: None}
    found = find_crossover(CPU, hump)
    assert found.kind == CROSSES and not found.stays_ahead
    assert "falls behind again" in found.message


def fake_run_fn(calls):
    def run(spec: RunSpec) -> RunResult:
        calls.append(spec)
        width = spec.knobs.get("width", 1)
        if spec.device == "cuda:0" and width == 64:
            raise RuntimeError("simulated launch failure")
        rate = 1000.0 if spec.device == "cpu" else width * 2.0  # gpu scales with width
        result = RunResult(spec=spec, status="completed", samples_per_step=100)
        result.step_times_s = [100.0 / rate] * 5
        return result
    return run


def test_sweep_with_fake_run_fn():
    calls: list[RunSpec] = []
    seen = []
    result = sweep("mlp", "width", [1024, 64, 256, 4096], ["cpu", "cuda:0"],
                   run_fn=fake_run_fn(calls), on_point=seen.append)
    assert result.values == (64, 256, 1024, 4096)
    assert [(s.knobs["width"], s.device) for s in calls][:3] == [(64, "cpu"), (64, "cuda:0"),
                                                                   (256, "cpu")]
    assert len(seen) == 8
    failed = [p for p in result.points if p.status == "failed"]
    assert len(failed) == 1 and "simulated" in failed[0].error
    assert result.curve("cpu")[256] == pytest.approx(1000.0)
    cross = result.crossovers["cuda:0"]
    assert result.baseline == "cpu" and cross.kind == CROSSES
    assert cross.knob_value == pytest.approx(500.0, rel=1e-6)  # 2*w = 1000 at w = 500
    assert result.to_dict()["crossovers"]["cuda:0"]["kind"] == CROSSES


def test_sweep_batch_size_knob_and_cancel():
    assert spec_for("mlp", "batch_size", 128, "cpu", None).batch_size == 128
    base = RunSpec(workload="mlp", knobs={"depth": 2}, duration_s=1.0)
    spec = spec_for("mlp", "width", 64, "cuda:0", base)
    assert spec.knobs == {"depth": 2, "width": 64} and spec.duration_s == 1.0
    cancel = threading.Event()
    calls: list[RunSpec] = []

    def run(spec):
        cancel.set()
        return fake_run_fn(calls)(spec)

    result = sweep("mlp", "width", [64, 128], ["cpu"], run_fn=run, cancel=cancel)
    assert len(result.points) == 1
    with pytest.raises(ValueError):
        sweep("mlp", "width", [], ["cpu"], run_fn=run)
