"""Shared factories for tests: fabricated results, published runs, tiny specs, fake sweeps."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


@contextmanager
def mounted_tmpfs(path: Path, size: str = "1m", readonly: bool = False) -> Iterator[Path]:
    """Mount a small tmpfs at ``path`` for the block (root only; the test is skipped where the
    machine cannot mount). ``readonly`` mounts it read-only: root's writes fail with EROFS."""
    import pytest

    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if readonly else "")
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def make_char_device(path: Path, major: int, minor: int) -> Path:
    """A character device node (1,3 is /dev/null, 1,7 is /dev/full); skips without root."""
    import pytest

    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(major, minor))
    except (OSError, AttributeError) as exc:
        pytest.skip(f"cannot make a device node here: {exc}")
    return path
