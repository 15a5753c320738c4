"""The measured training loop on the CPU: results, keys, cancel, bad input, failures."""

from __future__ import annotations

import json
import threading

import pytest

from profiler.events import EventBus, RunFinished, RunStateChanged, StepFinished, TelemetrySample
from profiler.results.result import RunState
from profiler.results.spec import RunSpec
from profiler.runner import SpecError, run_training

TINY_MLP = {"width": 64, "depth": 1}
REQUIRED_KEYS = {
    "status", "device", "workload", "batch_size", "params", "flops_per_step", "samples_per_s",
    "achieved_flops_per_s", "peak_flops_per_s", "mfu", "step_time_s", "warnings", "name", "telemetry",
}


def tiny(**changes: object) -> RunSpec:
    base = RunSpec(workload="mlp", knobs=dict(TINY_MLP), batch_size=32, duration_s=0.6, threads=1,
                   warmup_max_steps=20, warmup_max_s=2.0)
    return base.replace(**changes)


def test_completed_run_has_measured_numbers_and_json_keys() -> None:
    events: list[object] = []
    bus = EventBus()
    bus.subscribe(events.append)
    result = run_training(tiny(), bus=bus)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert REQUIRED_KEYS <= set(data)
    assert data["status"] == RunState.COMPLETED
    assert data["samples_per_s"] > 0 and data["achieved_flops_per_s"] > 0
    assert data["peak_flops_per_s"] > 0 and 0 < data["mfu"] < 2
    assert set(data["step_time_s"]) >= {"median", "p5", "p95"}
    assert data["step_time_s"]["p5"] <= data["step_time_s"]["median"] <= data["step_time_s"]["p95"]
    assert data["warmup_steps"] >= 3
    assert data["telemetry"]["host.cpu_util_percent"]["mean"] is not None
    assert data["telemetry"]["host.process_rss_bytes"]["max"] > 10 * 2**20
    # samples/s is batch * steps / summed step time: check the arithmetic on the raw data
    steps = data["step_times_s"]
    assert data["samples_per_s"] == pytest.approx(32 * len(steps) / sum(steps))
    states = [e.state for e in events if isinstance(e, RunStateChanged)]
    changes = [s for i, s in enumerate(states) if i == 0 or s != states[i - 1]]  # preparing repeats with its progress
    assert changes[:3] == [RunState.PREPARING, RunState.WARMING, RunState.MEASURING]
    timed = [e for e in events if isinstance(e, StepFinished) and e.stage == "timed"]
    assert len(timed) == len(steps)
    assert any(isinstance(e, TelemetrySample) and e.source == "host" for e in events)
    assert isinstance(events[-1], RunFinished)


def test_step_count_bounds_the_window() -> None:
    result = run_training(tiny(duration_s=None, steps=7))
    assert len(result.step_times_s) == 7
    assert result.status == RunState.COMPLETED


def test_cancel_stops_within_one_step_and_keeps_data() -> None:
    """Cancel from another thread, as Stop does: the run ends after the step in flight (counted
    in steps, not seconds: a busy machine makes steps slow, not more of them)."""
    bus = EventBus()
    cancel = threading.Event()
    timed: list[StepFinished] = []
    at_cancel: list[int] = []

    def stop() -> None:
        at_cancel.append(len(timed))
        cancel.set()

    def on_event(event: object) -> None:
        if isinstance(event, StepFinished) and event.stage == "timed":
            timed.append(event)
            if len(timed) == 1:
                threading.Timer(0.3, stop).start()

    bus.subscribe(on_event)
    result = run_training(tiny(duration_s=30.0), bus=bus, cancel=cancel)
    assert result.status == RunState.STOPPED
    assert result.step_times_s and len(result.step_times_s) == len(timed), "steps measured before the stop are kept"
    assert len(timed) <= at_cancel[0] + 2, f"{len(timed) - at_cancel[0]} steps after the stop"


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"device": "cuda:7"}, "valid devices: cpu"),
        ({"device": "tpu"}, "unknown device"),
        ({"workload": "resnet9000"}, "choose from mlp"),
        ({"batch_size": 0}, "batch size must be a positive integer"),
        ({"batch_size": -4}, "batch size must be a positive integer"),
        ({"precision": "fp8"}, "choose from fp32"),
        ({"precision": "tf32"}, "TF32 exists only on NVIDIA"),
        ({"precision": "fp16"}, "use bf16"),
        ({"knobs": {"width": 2_000_000, "depth": 8}}, "for weights, gradients and AdamW state at fp32"),
        ({"knobs": {"colour": 3}}, "unknown knob"),
        ({"knobs": {"width": 2.5}}, "width must be a positive integer, got 2.5"),  # not truncated to 2
        ({"knobs": {"width": "wide"}}, "width must be a positive integer, got 'wide'"),
        ({"size": "XL"}, "choose from S"),
        ({"duration_s": 0.0}, "duration must be a positive number"),
        ({"duration_s": None, "steps": None}, "never ends"),
        ({"threads": 0}, "threads must be a positive integer"),
    ],
)
def test_bad_input_is_rejected_before_anything_runs(changes: dict[str, object], fragment: str) -> None:
    events: list[object] = []
    bus = EventBus()
    bus.subscribe(events.append)
    with pytest.raises(SpecError) as info:
        run_training(tiny(**changes), bus=bus)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)
    assert events == [], "nothing starts for a bad spec"


def test_injected_oom_ends_with_status_oom_and_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HORSEPOWER_FAULT", "oom")
    result = run_training(tiny())
    assert result.status == RunState.OOM
    assert result.advice and "largest batch that fit was 16" in result.advice
    assert result.to_dict()["status"] == "oom"


def test_exception_in_a_step_ends_failed_with_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HORSEPOWER_FAULT", "worker-exception")
    result = run_training(tiny())
    assert result.status == RunState.FAILED
    assert "injected fault" in (result.error or "")


def test_input_pipeline_mode_measures_input_wait() -> None:
    result = run_training(tiny(input_pipeline=True, loader_workers=0, duration_s=0.5))
    assert result.status == RunState.COMPLETED
    data = result.to_dict()
    assert data["input_wait_s"] is not None and data["input_wait_s"] > 0
    assert 0 < data["input_wait_fraction"] < 1


def test_compile_failure_falls_back_to_eager_with_a_notice(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    def broken_compile(model: torch.nn.Module) -> object:
        def call(*args: object) -> object:
            raise RuntimeError("InvalidCxxCompiler: No working C++ compiler found")

        return call

    monkeypatch.setattr(torch, "compile", broken_compile)
    result = run_training(tiny(compile=True, duration_s=0.3))
    assert result.status == RunState.COMPLETED
    assert result.compile_s is None
    assert any("torch.compile failed" in w and "ran eager" in w for w in result.warnings)
    assert result.step_times_s


@pytest.mark.slow
def test_real_compile_time_is_reported_apart_from_steady_state() -> None:
    result = run_training(tiny(compile=True, duration_s=0.3))
    assert result.status == RunState.COMPLETED
    if result.compile_s is None:  # no working C++ compiler here: the fallback must say so
        assert any("torch.compile failed" in w for w in result.warnings)
    else:
        assert result.compile_s > 10 * (result.summary.median if result.summary else 0)


def test_a_failure_mid_window_keeps_every_timed_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HORSEPOWER_FAULT", "worker-exception")  # fires on timed step 3
    result = run_training(tiny())
    assert result.status == RunState.FAILED
    assert len(result.step_times_s) == 2 and len(result.losses) == 2
    assert result.to_dict()["samples_per_s"] > 0
