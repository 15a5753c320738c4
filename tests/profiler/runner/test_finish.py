"""One way to finish a result: the loop's, a dead worker's rebuild and a distributed run agree."""

from __future__ import annotations

import dataclasses
import math
import pickle

import pytest

from profiler.events import RunDescribed, RunNotice, RunStateChanged, StepFinished, TelemetrySample
from profiler.results.description import RunDescription
from profiler.results.result import RunResult, RunState
from profiler.results.spec import RunSpec
from profiler.runner.finish import NAN_LOSS, finish
from profiler.worker.partial import PartialRun

DESCRIPTION = RunDescription(batch_size=32, samples_per_step=32, params=1000, flops_per_step=1e9,
                             peak_flops_per_s=1e12, peak_source="ISA table", peak_inputs={"cores": 2},
                             device_info={"name": "Test GPU"}, sample_unit="images", model="mlp-S",
                             environment={"torch_threads": 1, "logical_cpus": 2})


def test_a_description_is_frozen_and_crosses_a_pipe() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DESCRIPTION.batch_size = 64  # type: ignore[misc]
    with pytest.raises(TypeError):
        DESCRIPTION.peak_inputs["cores"] = 4  # type: ignore[index]
    copy = pickle.loads(pickle.dumps(RunDescribed("r", DESCRIPTION)))
    assert copy.description == DESCRIPTION and copy.description.peak_inputs["cores"] == 2


def test_a_description_is_taken_from_and_written_back_into_a_result() -> None:
    result = RunResult(spec=RunSpec(workload="mlp"), batch_size=8, samples_per_step=8, params=5,
                       flops_per_step=2.0, sample_unit="rows", device_info={"name": "cpu here"})
    described = RunDescription.of(result, "mlp-S")
    assert described.device_name == "cpu here" and described.model == "mlp-S"
    rebuilt = RunResult(spec=result.spec)
    described.fill(rebuilt)
    assert (rebuilt.batch_size, rebuilt.params, rebuilt.flops_per_step, rebuilt.sample_unit) == (8, 5, 2.0, "rows")


def test_a_dead_workers_result_is_finished_like_the_loops() -> None:
    """Energy over the timed window, throttling, a NaN loss and the threads used: none of it is lost
    because the worker died before it could finish its own result."""
    spec = RunSpec(workload="mlp", device="cuda:0")
    partial = PartialRun(spec, "r")
    partial.observe(RunDescribed("r", DESCRIPTION))
    partial.observe(TelemetrySample("r", "cuda:0", 0.9, {"energy_j": 98.0, "power_w": 200.0}))  # warm-up
    partial.observe(RunStateChanged("r", RunState.MEASURING))
    for i in range(12):
        t = 1.0 + 0.1 * (i + 1)
        partial.observe(StepFinished("r", i, "timed", t, 0.1, 32, float("nan") if i == 11 else 1.0))
        partial.observe(TelemetrySample("r", "cuda:0", t, {"energy_j": 100.0 + 20.0 * (t - 1.0), "power_w": 200.0}))
    partial.observe(TelemetrySample("r", "cuda:0", 2.5, {"energy_j": 130.0, "power_w": 200.0}))
    partial.observe(RunNotice("r", "throttle", "cuda:0 throttled: power cap", 1.5))
    result = partial.to_result(RunState.FAILED, "worker process died (SIGKILL)")
    assert result.energy_j == pytest.approx(20.0 * 1.2, rel=1e-6)  # the 1.2 s of 12 timed steps, 20 J/s
    assert "cuda:0 throttled: power cap" in result.warnings and NAN_LOSS in result.warnings
    assert result.telemetry["cuda:0.power_w"]["mean"] == pytest.approx(200.0)
    assert result.flops_per_step == 1e9 and result.sample_unit == "images" and result.ended_at is not None
    assert result.environment["logical_cpus"] == 2


def test_finish_notes_the_threads_of_a_one_process_cpu_run_only() -> None:
    def finished(distributed: dict[str, int] | None) -> RunResult:
        result = RunResult(spec=RunSpec(workload="mlp"), status=RunState.COMPLETED, samples_per_step=1,
                           step_times_s=[0.01] * 12, losses=[1.0] * 12, distributed=distributed,
                           environment={"torch_threads": 1, "logical_cpus": 4})
        return finish(result)

    assert "used 1 of 4 CPU threads" in finished(None).notices
    assert not any("CPU threads" in n for n in finished({"world_size": 2}).notices)
    assert not any(math.isnan(x) for x in finished(None).losses)
