"""Shared factories for tests: fabricated results, published runs, tiny specs, fake sweeps."""

from __future__ import annotations

from profiler.events import (
    EventBus,
    RunFinished,
    RunNotice,
    RunStateChanged,
    StepFinished,
    TelemetrySample,
)
from profiler.results.result import RunResult
from profiler.results.spec import RunSpec

#: a spawned worker imports torch: allow it this long to publish its first steps
WORKER_START_TIMEOUT_MS = 30_000


def fabricated(run_id: str, device: str = "cpu", step_s: float = 0.01, batch: int = 32,
               energy_j: float | None = None, name: str = "", workload: str = "mlp",
               **spec_fields: object) -> RunResult:
    """A completed result of 20 identical timed steps, as if measured."""
    spec = RunSpec(workload=workload, device=device, batch_size=batch, name=name, **spec_fields)  # type: ignore[arg-type]
    result = RunResult(spec=spec, run_id=run_id, status="completed", batch_size=batch,
                       samples_per_step=batch, flops_per_step=1e9, peak_flops_per_s=1e12)
    result.step_times_s = [step_s] * 20
    result.losses = [2.0 - 0.05 * i for i in range(20)]
    result.energy_j = energy_j
    return result


def publish_run(bus: EventBus, run_id: str, n_steps: int = 5) -> RunResult:
    """Publish a short run's events (steps, host and cuda:0 telemetry, a notice, the result)."""
    bus.publish(RunStateChanged(run_id, "preparing"))
    bus.publish(RunStateChanged(run_id, "measuring"))
    for i in range(n_steps):
        bus.publish(StepFinished(run_id, i, "timed", 0.1 * (i + 1), 0.1, 32, 1.0 / (i + 1)))
        bus.publish(TelemetrySample(run_id, "host", 0.1 * i, {"cpu_util_percent": 50.0 + i,
                                                              "note": "text", "gone": None}))
        bus.publish(TelemetrySample(run_id, "cuda:0", 0.1 * i, {"power_w": 100.0}))
    bus.publish(RunNotice(run_id, "warning", "noisy <b>", 0.3))
    result = fabricated(run_id)
    bus.publish(RunFinished(run_id, result.to_dict()))
    return result


def tiny(duration_s: float = 1.0) -> RunSpec:
    """A CPU MLP small enough for a spawned worker to train in about a second."""
    return RunSpec(
        workload="mlp", device="cpu", batch_size=32, knobs={"width": 64, "depth": 1},
        duration_s=duration_s, warmup_max_steps=10, warmup_max_s=0.5, threads=1,
    )


def fake_sweep_point(spec: RunSpec) -> RunResult:
    """A sweep ``run_fn``: the CPU does 1000 samples/s, an accelerator 2 x width."""
    result = RunResult(spec=spec, status="completed", samples_per_step=100)
    rate = 1000.0 if spec.device == "cpu" else spec.knobs["width"] * 2.0
    result.step_times_s = [100.0 / rate] * 3
    return result
