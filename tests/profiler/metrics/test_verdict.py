"""The input-bound verdict and "which utilization is true?": plain data from a phase split and a result."""

from __future__ import annotations

from typing import Any

import pytest

from profiler.metrics.figures import figures
from profiler.metrics.phases import PhaseRecord, phase_summary
from profiler.metrics.utilization import (
    GPU_UTIL,
    HOST_CPU,
    MFU,
    PROCESS_CPU,
    SAMPLES_PER_S,
    TASK_MANAGER_NOTE,
    live_utilization,
    result_utilization,
)
from profiler.metrics.verdict import (
    COMPUTE_BOUND,
    INPUT_BOUND,
    INPUT_BOUND_FRACTION,
    LAUNCH_BOUND,
    verdict,
)


def summary(**phases: float) -> dict[str, Any]:
    out = phase_summary(PhaseRecord(10, 0.25, 14, [dict(phases)] * 14), [sum(phases.values())] * 140)
    assert out is not None
    return out


def test_cpu_run_waiting_for_data_is_input_bound_with_loader_advice() -> None:
    got = verdict(summary(data_wait=0.061, forward=0.01, backward=0.02, optimizer=0.009), "cpu",
                  input_pipeline=True, loader_workers=2)
    assert got is not None and got.kind == INPUT_BOUND
    assert got.message.startswith("input-bound (from 14 sampled steps): 61% of each step waits for data; "
                                  "try more loader workers (you have 2)")
    assert "pinned" not in got.message  # pinning buys nothing for a CPU model
    assert got.input_fraction == pytest.approx(0.61)


def test_gpu_input_bound_advice_names_pinned_memory_and_the_device() -> None:
    got = verdict(summary(data_wait=0.05, h2d_copy=0.01, forward=0.01, backward=0.02, optimizer=0.01,
                          device_wait=0.0), "cuda:0", input_pipeline=True, loader_workers=2, pin_memory=False)
    assert got is not None and got.kind == INPUT_BOUND
    assert "more loader workers (you have 2), pinned memory, or the dataset on the device" in got.message


def test_gpu_copy_bound_says_the_copy_is_the_problem() -> None:
    got = verdict(summary(data_wait=0.001, h2d_copy=0.05, forward=0.01, backward=0.02, optimizer=0.01,
                          device_wait=0.01), "cuda:0", input_pipeline=True, loader_workers=4, pin_memory=False)
    assert got is not None and got.kind == INPUT_BOUND
    assert "copy to the device" in got.message and "pin_memory=True" in got.message


def test_just_below_the_input_threshold_is_not_input_bound() -> None:
    below = INPUT_BOUND_FRACTION - 0.01
    got = verdict(summary(data_wait=below, forward=1.0 - below), "cpu", input_pipeline=True, loader_workers=2)
    assert got is not None and got.kind == COMPUTE_BOUND
    assert got.message.startswith("compute-bound (from 14 sampled steps): ")
    assert "CPU cores" in got.message


def test_gpu_whose_host_waits_on_the_device_is_compute_bound() -> None:
    got = verdict(summary(data_wait=0.0005, forward=0.001, backward=0.001, optimizer=0.0005,
                          device_wait=0.05), "cuda:0")
    assert got is not None and got.kind == COMPUTE_BOUND
    assert got.device_wait_share is not None and got.device_wait_share > 0.9
    assert "on the device" in got.message


def test_gpu_whose_host_hardly_waits_is_launch_bound() -> None:
    got = verdict(summary(data_wait=0.0001, forward=0.004, backward=0.006, optimizer=0.003,
                          device_wait=0.0005), "cuda:0")
    assert got is not None and got.kind == LAUNCH_BOUND
    assert got.message.startswith("launch-bound (from 14 sampled steps): ")
    assert "many small kernels; try a larger batch or torch.compile" in got.message


def test_cpu_is_never_launch_bound_and_no_split_has_no_verdict() -> None:
    got = verdict(summary(data_wait=0.0001, forward=0.004, backward=0.006, optimizer=0.003), "cpu")
    assert got is not None and got.kind == COMPUTE_BOUND and got.device_wait_share is None
    assert verdict(None, "cpu") is None
    assert set(got.to_dict()) == {"kind", "message", "input_fraction", "device_wait_share", "samples"}


# ---- which utilization is true? -----------------------------------------------------------


def result_dict(device: str = "cuda:0", **telemetry: float | None) -> dict[str, Any]:
    return {
        "device": device,
        "mfu": 0.31,
        "samples_per_s": 12_345.0,
        "environment": {"logical_cpus": 16},
        "telemetry": {key: {"mean": value, "max": value} for key, value in telemetry.items()},
    }


def test_result_rows_side_by_side_with_a_sentence_each() -> None:
    rows = result_utilization(result_dict(**{"host.cpu_util_percent": 55.0, "host.process_cpu_percent": 100.0,
                                             "cuda:0.util_percent": 99.0}))
    by_key = {row.key: row for row in rows}
    assert [row.key for row in rows] == [HOST_CPU, PROCESS_CPU, GPU_UTIL, MFU, SAMPLES_PER_S]
    assert by_key[HOST_CPU].value == 55.0
    assert by_key[PROCESS_CPU].value == pytest.approx(100.0 / 16)  # one core of sixteen
    assert by_key[GPU_UTIL].value == 99.0 and "kernel" in by_key[GPU_UTIL].meaning
    assert "SM" in by_key[GPU_UTIL].meaning
    assert by_key[MFU].value == 0.31 and by_key[MFU].unit == "fraction"
    assert by_key[SAMPLES_PER_S].value == 12_345.0
    assert all(row.meaning.endswith(".") and row.label for row in rows)
    assert all(row.note == "" for row in rows)


def test_na_stays_na() -> None:
    rows = result_utilization({"device": "cuda:0", "telemetry": {"cuda:0.util_percent": {"mean": None}},
                               "environment": {}, "mfu": None, "samples_per_s": None})
    assert all(row.value is None for row in rows)
    assert all(row.note for row in rows), "every n/a row says why"


def test_a_cpu_run_has_no_gpu_figure() -> None:
    rows = result_utilization(result_dict("cpu", **{"host.cpu_util_percent": 90.0}))
    gpu = next(row for row in rows if row.key == GPU_UTIL)
    assert gpu.value is None and gpu.note == "a CPU run has no GPU"


def test_live_rows_from_the_latest_readings() -> None:
    live = figures([0.01] * 10, 32, flops_per_step=1e9, peak_flops_per_s=1e12)
    rows = live_utilization({"host.cpu_util_percent": 40.0, "host.process_cpu_percent": 180.0,
                             "cuda:0.util_percent": True}, "cuda:0", 2, live)
    by_key = {row.key: row.value for row in rows}
    assert by_key[HOST_CPU] == 40.0 and by_key[PROCESS_CPU] == 90.0
    assert by_key[GPU_UTIL] is None  # not a number: n/a, never coerced
    assert by_key[MFU] == pytest.approx(0.1) and by_key[SAMPLES_PER_S] == pytest.approx(3200)
    assert all(row.value is None for row in live_utilization({}, "cuda:0", None, None))


def test_task_manager_note_explains_the_idle_graph() -> None:
    assert "3D" in TASK_MANAGER_NOTE and "Cuda" in TASK_MANAGER_NOTE and "Compute" in TASK_MANAGER_NOTE


# ---- the CLI summary --------------------------------------------------------------------


def test_summary_shows_the_split_its_cost_and_the_verdict() -> None:
    from profiler.cli.summary import render_summary
    from profiler.results.result import RunResult
    from profiler.results.spec import RunSpec

    result = RunResult(spec=RunSpec(workload="mlp", device="cuda:0"), status="completed",
                       step_times_s=[0.010] * 40, samples_per_step=32, batch_size=32)
    result.phase_record = PhaseRecord(10, 0.25, 6, [{"data_wait": 0.0001, "forward": 0.004, "backward": 0.006,
                                                     "optimizer": 0.002, "device_wait": 0.0005}] * 6)
    text = " ".join(render_summary(result.to_dict()).split())  # column widths follow the widest label
    assert "step phases data 1% | fwd 32% | bwd 48% | optim 16% | dev wait 4%" in text
    assert "6 steps sampled at random, 1 per 6.7 timed steps; synchronized between phases, a sampled step " \
           "took +26%; not in the figures" in text
    assert "verdict launch-bound (from 6 sampled steps): " in text
    cpu = RunResult(spec=RunSpec(workload="mlp"), status="completed", step_times_s=[0.010] * 40)
    cpu.phase_record = PhaseRecord(10, 0.25, 4, [{"data_wait": 0.006, "forward": 0.004}] * 4, in_timed_window=True)
    text = " ".join(render_summary(cpu.to_dict()).split())
    assert "no synchronization needed, so they stay timed steps" in text
    assert "verdict no verdict yet: 4 sampled steps of the 5 a verdict needs" in text
    plain = RunResult(spec=RunSpec(workload="mlp"), status="completed", step_times_s=[0.010] * 4)
    assert "step phases" not in render_summary(plain.to_dict())


def test_live_split_covers_the_latest_samples_for_a_stacked_bar() -> None:
    from profiler.metrics.phases import live_phase_split

    assert live_phase_split([]) is None
    old = [{"data_wait": 0.09, "forward": 0.01}] * 20
    new = [{"data_wait": 0.02, "forward": 0.03}] * 8
    split = live_phase_split(old + new)
    assert split is not None and split["order"] == ["data_wait", "forward"]
    assert split["fraction"] == pytest.approx({"data_wait": 0.4, "forward": 0.6})
    got = verdict(split, "cpu", input_pipeline=True, loader_workers=2)
    assert got is not None and got.kind == INPUT_BOUND


def test_no_verdict_below_the_minimum_sample_count() -> None:
    from profiler.metrics.verdict import MIN_VERDICT_SAMPLES, verdict_pending

    phases = {"data_wait": 0.061, "forward": 0.01, "backward": 0.02, "optimizer": 0.009}
    few = phase_summary(PhaseRecord(10, 0.25, 1, [phases]), [0.1] * 10)
    assert verdict(few, "cpu", input_pipeline=True) is None
    assert verdict_pending(few) == f"no verdict yet: 1 sampled step of the {MIN_VERDICT_SAMPLES} a verdict needs"
    enough = phase_summary(PhaseRecord(10, 0.25, 5, [phases] * 5), [0.1] * 50)
    got = verdict(enough, "cpu", input_pipeline=True)
    assert got is not None and got.samples == 5 and "(from 5 sampled steps)" in got.message
