"""Check a RunSpec before anything runs: every bad input gets one clear line.

A user's own model (``spec.workload == "user"``) is checked in two steps. Here, in the
caller's process, only what needs none of their code: the reference parses, the file exists
and still has the recorded hash, the library is installed. Then ``model_check`` imports and
builds it in a short-lived child process (their code may crash, hang or leak) and runs one
batch through it; its failure is a ``SpecError`` whose ``details`` hold their traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from profiler.devices.discovery import DeviceInfo, describe_device
from profiler.error_text import first_line
from profiler.metrics.naming import ORIGINS
from profiler.results.model_ref import (
    FILE,
    PROTOCOL_DOC,
    ModelRefError,
    check_reference,
    model_file,
    model_hash,
    parse_model_ref,
)
from profiler.results.spec import (
    MAX_DURATION_S,
    MAX_LOADER_DELAY_MS,
    MAX_NAME_CHARS,
    PRECISIONS,
    SIZES,
    RunSpec,
    SpecError,
)
from profiler.runner.allocator import ALLOCATORS
from profiler.runner.fit import DoesNotFit, activations_matter, check_fit, footprint_from_dict
from profiler.runner.precision import check_precision
from profiler.workloads import WorkloadError, get_workload

if TYPE_CHECKING:
    from profiler.workloads.base import BuiltWorkload

__all__ = ["DoesNotFit", "SpecError", "validate_spec", "validate_specs"]


def validate_spec(spec: RunSpec) -> DeviceInfo:
    """Raise SpecError for a spec that cannot run; return the device's description."""
    device = _check_settings(spec)
    if spec.is_user_model:
        _check_user_model(spec, device)
    else:
        _check_fits(spec, device)
    return device


def validate_specs(specs: Sequence[RunSpec]) -> list[DeviceInfo]:
    """``validate_spec`` of each spec, checking every distinct user model in one child
    process first (a sweep: one check process, not one per point)."""
    from profiler.runner.model_check import check_models

    for spec in specs:
        _check_settings(spec)  # the cheap checks first: a bad point fails before any child starts
    users = [spec for spec in specs if spec.is_user_model]
    for check in check_models(users) if users else []:
        if not check.ok:
            raise (DoesNotFit if check.does_not_fit else SpecError)(check.error, check.details)
    return [validate_spec(spec) for spec in specs]  # the checks are cached now: no second child


def _check_settings(spec: RunSpec) -> DeviceInfo:
    """Everything but building the model: workload or model reference, device, sizes, window."""
    try:
        if spec.is_user_model:
            _check_reference(spec)
        else:
            workload = get_workload(spec.workload)
            if spec.model:
                raise SpecError(f"spec.model ({spec.model!r}) names a user model: its workload must be 'user'")
        device = describe_device(spec.device)
        if spec.size not in SIZES:
            raise SpecError(f"unknown size {spec.size!r}; choose from {', '.join(SIZES)}")
        if spec.batch_size is not None and spec.batch_size <= 0:
            raise SpecError(f"batch size must be a positive integer, got {spec.batch_size}")
        if spec.precision not in PRECISIONS:
            raise SpecError(f"unknown precision {spec.precision!r}; choose from {', '.join(PRECISIONS)}")
        check_precision(spec.device, spec.precision)
        if not spec.is_user_model:
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
    delay = spec.loader_delay_ms
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= MAX_LOADER_DELAY_MS:
        raise SpecError(f"loader delay must be 0 to {MAX_LOADER_DELAY_MS:.0f} ms per sample, got {delay!r}")
    if spec.allocator not in ALLOCATORS:
        raise SpecError(f"unknown allocator {spec.allocator!r}; choose from "
                        f"{', '.join(repr(a) for a in ALLOCATORS)}")
    if delay and not spec.input_pipeline:
        raise SpecError("a loader delay slows the DataLoader: it needs the input pipeline (--input-pipeline)")
    if spec.origin not in ORIGINS:
        raise SpecError(f"unknown run origin {spec.origin!r}; choose from {', '.join(repr(o) for o in ORIGINS)}")
    if isinstance(spec.phase_every, bool) or not isinstance(spec.phase_every, int) or spec.phase_every < 0:
        raise SpecError(f"phase sampling interval must be 0 (off) or a positive number of steps, "
                        f"got {spec.phase_every!r}")
    if spec.world_size != 1:
        raise SpecError(f"a run of {spec.world_size} ranks runs through `horsepower scale` or `horsepower node` "
                        "(profiler.distributed), not as one process")
    if not spec.sample_hz > 0 or spec.sample_hz > 100:
        raise SpecError(f"sample rate must be in (0, 100] Hz, got {spec.sample_hz}")
    if not spec.build_timeout_s > 0:
        raise SpecError(f"build timeout must be a positive number of seconds, got {spec.build_timeout_s}")
    return device


def _check_reference(spec: RunSpec) -> None:
    """The user model's reference, without running any of its code."""
    try:
        ref = parse_model_ref(spec.model)
        check_reference(ref)
    except ModelRefError as exc:
        raise SpecError(str(exc)) from None
    if ref.text != spec.model:
        raise SpecError(f"spec.model must be a canonical reference ({ref.text!r}, not {spec.model!r}): build the "
                        "spec with profiler.results.model_ref.model_spec_fields")
    path = model_file(ref)
    if ref.kind == FILE and not spec.model_hash:
        raise SpecError("spec.model_hash is empty: build a file model's spec with "
                        "profiler.results.model_ref.model_spec_fields, which records the file's sha256")
    if spec.model_hash and path and model_hash(ref) != spec.model_hash:
        raise SpecError(f"{path} or a local module it imports changed since this run was set up (its sha256 "
                        "differs): set the run up again, so the result names the model that really ran")


def _check_user_model(spec: RunSpec, device: DeviceInfo) -> None:
    """Build the user's model in a check process; one line (plus details) if it fails."""
    from profiler.runner.model_check import check_model

    check = check_model(spec)
    if not check.ok:
        raise (DoesNotFit if check.does_not_fit else SpecError)(check.error, check.details)
    if spec.input_pipeline and not check.host_dataset:
        raise SpecError(f"{check.label} has no host_dataset(n), which --input-pipeline needs (the workload "
                        f"protocol: {PROTOCOL_DOC})")
    footprint = footprint_from_dict(check.footprint)
    if footprint is not None:  # the check process measured it against its own limits; the device's here
        check_fit(check.label, footprint, spec.device, device)


def _check_fits(spec: RunSpec, device: DeviceInfo) -> None:
    """Reject a model that cannot be built, or that cannot train here at any batch size
    (``DoesNotFit``): its footprint is counted on the meta device, nothing is allocated."""
    from profiler.workloads.footprint import measure_footprint, parameter_footprint

    workload = get_workload(spec.workload)
    label = f"{spec.workload}-{spec.size} with these knobs" if spec.knobs else f"{spec.workload}-{spec.size}"

    def build(batch: int) -> BuiltWorkload:
        return workload.build("meta", spec.size, batch, spec.knobs, spec.channels_last)  # nothing allocated

    try:
        built = build(1)
        footprint = parameter_footprint(built.model)
        check_fit(label, footprint, spec.device, device)  # before any forward
        if activations_matter(footprint, spec.device, device):
            footprint = measure_footprint(built.model, built.loss_fn,
                                          lambda n: built.make_batch() if n == 1 else build(n).make_batch())
    except SpecError:
        raise
    except (RuntimeError, ValueError, OverflowError) as exc:  # e.g. "Storage size calculation overflowed"
        raise SpecError(f"{spec.workload}-{spec.size} with these knobs cannot be built "
                        f"({first_line(exc, 160, named=False)}); "
                        "choose smaller knobs") from None
    check_fit(label, footprint, spec.device, device)
