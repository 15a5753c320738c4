"""Check a RunSpec before anything runs: every bad input gets one clear line."""

from __future__ import annotations

from profiler.devices.discovery import DeviceInfo, describe_device
from profiler.results.spec import MAX_DURATION_S, MAX_NAME_CHARS, PRECISIONS, SIZES, RunSpec, SpecError
from profiler.runner.precision import check_precision
from profiler.workloads import WorkloadError, get_workload

ADAM_STATE_FACTOR = 4  # weights + grads + two Adam moments, fp32


def validate_spec(spec: RunSpec) -> DeviceInfo:
    """Raise SpecError for a spec that cannot run; return the device's description."""
    try:
        workload = get_workload(spec.workload)
        device = describe_device(spec.device)
        if spec.size not in SIZES:
            raise SpecError(f"unknown size {spec.size!r}; choose from {', '.join(SIZES)}")
        if spec.batch_size is not None and spec.batch_size <= 0:
            raise SpecError(f"batch size must be a positive integer, got {spec.batch_size}")
        if spec.precision not in PRECISIONS:
            raise SpecError(f"unknown precision {spec.precision!r}; choose from {', '.join(PRECISIONS)}")
        check_precision(spec.device, spec.precision)
        workload.resolve_knobs(spec.size, spec.knobs)
    except SpecError:
        raise
    except (ValueError, WorkloadError) as exc:
        raise SpecError(str(exc)) from None
    if spec.duration_s is not None and not 0 < spec.duration_s <= MAX_DURATION_S:
        raise SpecError(f"duration must be a positive number of seconds up to {MAX_DURATION_S:.0f} (30 days), "
                        f"got {spec.duration_s}")
    if not 0 <= spec.warmup_max_s <= MAX_DURATION_S or spec.warmup_max_steps < 0:
        raise SpecError(f"warm-up limits must be 0 or more and finite, got {spec.warmup_max_steps} steps, "
                        f"{spec.warmup_max_s} s")
    if len(spec.name) > MAX_NAME_CHARS:
        raise SpecError(f"a run name is at most {MAX_NAME_CHARS} characters, got {len(spec.name)}")
    if spec.steps is not None and spec.steps <= 0:
        raise SpecError(f"steps must be a positive integer, got {spec.steps}")
    if spec.duration_s is None and spec.steps is None:
        raise SpecError("give a duration or a step count, or the run never ends")
    if spec.threads is not None and spec.threads <= 0:
        raise SpecError(f"threads must be a positive integer, got {spec.threads}")
    if spec.input_pipeline and spec.loader_workers < 0:
        raise SpecError(f"loader workers must be 0 or more, got {spec.loader_workers}")
    if isinstance(spec.phase_every, bool) or not isinstance(spec.phase_every, int) or spec.phase_every < 0:
        raise SpecError(f"phase sampling interval must be 0 (off) or a positive number of steps, "
                        f"got {spec.phase_every!r}")
    if spec.world_size != 1:
        raise SpecError(f"a run of {spec.world_size} ranks runs through `horsepower scale` or the distributed "
                        "worker (profiler.distributed), not as one process")
    if not spec.sample_hz > 0 or spec.sample_hz > 100:
        raise SpecError(f"sample rate must be in (0, 100] Hz, got {spec.sample_hz}")
    _check_fits(spec, device)
    return device


def _check_fits(spec: RunSpec, device: DeviceInfo) -> None:
    """Reject a model that cannot be built, or whose weights and optimizer state alone exceed
    the device's memory (built on the meta device: nothing is allocated)."""
    import torch

    workload = get_workload(spec.workload)
    try:
        with torch.device("meta"):  # count parameters without allocating them
            built = workload.build("meta", spec.size, spec.batch_size, spec.knobs)
    except (RuntimeError, ValueError, OverflowError) as exc:  # e.g. "Storage size calculation overflowed"
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise SpecError(f"{spec.workload}-{spec.size} with these knobs cannot be built ({first}); "
                        "choose smaller knobs") from None
    if not device.memory_bytes:
        return
    need = built.params * 4 * ADAM_STATE_FACTOR
    if need > device.memory_bytes:
        raise SpecError(
            f"{spec.workload}-{spec.size} with these knobs needs {need / 2**30:.1f} GiB for weights and "
            f"optimizer state alone; {device.id} has {device.memory_bytes / 2**30:.1f} GiB. "
            "Choose a smaller size or knobs"
        )
