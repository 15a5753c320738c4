"""FLOPs of one training step, counted by torch rather than assumed.

``count_train_flops`` builds the workload on the ``meta`` device (shapes only: instant even
for L sizes, nothing allocated) and runs one forward + backward under
``torch.utils.flop_counter.FlopCounterMode`` with our formulas for the ops it gets wrong or
does not know (``flop_formulas``: grouped and depthwise convolution backward, ``_grouped_mm``
and other mixture-of-experts paths, CPU attention kernels) and a record of matrix-type ops
that still have no formula (``flop_coverage.StepFlops``: the run result says what was not
counted). On ``meta`` attention dispatches to the math path and LSTM to its per-step
matmuls; on a real CPU oneDNN's fused LSTM has no formula (see FIELD_NOTES). The optimizer
step is not counted; a workload's own ``train_step`` is counted whole
(``BuiltWorkload.counted_step``).

Recurrent workloads unroll into thousands of small ops, each slow under a Python dispatch
mode; a workload whose step cost is exactly affine in one knob (LSTM: ``seq_len``) names it
in ``flops_affine_knob`` and is counted at two short lengths, then extrapolated.

A model that cannot run on ``meta`` (one whose forward reads a tensor's values, such as
Hugging Face's mask helpers calling ``.all()``) is counted on its real device by
``count_on_device``, with SDPA on its MATH backend and oneDNN off so the counter sees
attention and LSTM matmuls; the run's optimizer state is untouched.

Results are cached per (workload, size, batch, knobs, channels_last); thread-safe as far as
that cache goes (worst case: counted twice).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from contextlib import ExitStack

import torch
from torch import nn

from profiler.workloads.base import BuiltWorkload, Workload
from profiler.workloads.batching import Batch, LossFn, forward_loss
from profiler.workloads.flop_coverage import Counting, StepFlops, counting
from profiler.workloads.pipeline import model_device

log = logging.getLogger(__name__)

_CACHE: dict[tuple[object, ...], StepFlops] = {}


def count_train_flops(
    workload: Workload,
    size: str,
    batch_size: int | None = None,
    knobs: Mapping[str, int] | None = None,
    channels_last: bool = False,
) -> int:
    """FLOPs (multiply-add = 2) of one training step: forward + backward, optimizer excluded.

    Raises ``WorkloadError`` for bad knobs, as ``Workload.build`` does.
    """
    return count_train_step(workload, size, batch_size, knobs, channels_last).flops


def count_train_step(
    workload: Workload,
    size: str,
    batch_size: int | None = None,
    knobs: Mapping[str, int] | None = None,
    channels_last: bool = False,
) -> StepFlops:
    """``count_train_flops`` with what was not counted (cached)."""
    key = (
        *workload.cache_key,
        size,
        batch_size,
        tuple(sorted((knobs or {}).items())),
        channels_last,
    )
    if key not in _CACHE:
        _CACHE[key] = _count_extrapolated(workload, size, batch_size, knobs, channels_last)
    return _CACHE[key]


def _count_extrapolated(
    workload: Workload,
    size: str,
    batch_size: int | None,
    knobs: Mapping[str, int] | None,
    channels_last: bool,
) -> StepFlops:
    """Count directly, or at two values of ``flops_affine_knob`` and extrapolate exactly."""
    affine = getattr(workload, "flops_affine_knob", None)
    resolved = workload.resolve_knobs(size, knobs)
    if affine is None or resolved[affine] <= 3:
        return _count(workload, size, batch_size, knobs, channels_last)
    at2, at3 = (
        _count(workload, size, batch_size, {**resolved, affine: n}, channels_last) for n in (2, 3)
    )
    return StepFlops.extrapolate(at2, at3, resolved[affine])


def count_forward_flops(
    workload: Workload,
    size: str,
    batch_size: int | None = None,
    knobs: Mapping[str, int] | None = None,
) -> int:
    """FLOPs of one forward pass (training mode), counted on ``meta`` like ``count_train_flops``."""
    return _count(workload, size, batch_size, knobs, False, backward=False).flops


def flops_by_op(
    workload: Workload,
    size: str,
    batch_size: int | None = None,
    knobs: Mapping[str, int] | None = None,
) -> dict[str, int]:
    """Training-step FLOPs per aten op name (e.g. ``{"aten.mm": ..., "aten.bmm": ...}``)."""
    return _run(workload, size, batch_size, knobs, False, backward=True).by_op()


def _count(
    workload: Workload,
    size: str,
    batch_size: int | None,
    knobs: Mapping[str, int] | None,
    channels_last: bool,
    backward: bool = True,
) -> StepFlops:
    step = _run(workload, size, batch_size, knobs, channels_last, backward).result()
    log.debug("%s-%s bs=%s: %d FLOPs per step (backward=%s)", workload.name, size, batch_size, step.flops, backward)
    return step


def _run(
    workload: Workload,
    size: str,
    batch_size: int | None,
    knobs: Mapping[str, int] | None,
    channels_last: bool,
    backward: bool,
) -> Counting:
    with torch.random.fork_rng(devices=[]), torch.device("meta"):
        built = workload.build("meta", size, batch_size, knobs, channels_last)
    built.model.train()
    batch = built.make_batch()
    with counting() as state:
        built.counted_step(built.model, batch, backward)
    return state


def count_step(model: nn.Module, loss_fn: LossFn, batch: Batch, backward: bool = True) -> StepFlops:
    """FLOPs of one forward, loss (and backward) of ``model`` on ``batch`` wherever it lives
    (meta: nothing allocated); gradients are left on the model."""
    with counting() as state:
        loss = forward_loss(model, loss_fn, batch)
        if backward:
            loss.backward()
    return state.result()


def count_on_device(built: BuiltWorkload) -> int:
    """``count_on_device_step(built).flops``."""
    return count_on_device_step(built).flops


def count_on_device_step(built: BuiltWorkload) -> StepFlops:
    """FLOPs of one training step of ``built`` on its own device (forward + backward).

    For models that cannot run on ``meta``. Runs one real forward and backward of the next
    pool batch under the MATH SDPA backend with oneDNN (CPU) or cuDNN (CUDA) off: the fused
    SDPA and RNN kernels are invisible to FlopCounterMode (FIELD_NOTES). Then drops the
    gradients. Thread: the run's own.
    """
    from torch.nn.attention import SDPBackend, sdpa_kernel

    model = built.model
    model.train()
    with ExitStack() as stack:
        stack.enter_context(torch.random.fork_rng(devices=[]))
        stack.enter_context(sdpa_kernel(SDPBackend.MATH))
        _plain_kernels(stack, model_device(built))
        state = stack.enter_context(counting())
        built.counted_step(model, built.make_batch())
    model.zero_grad(set_to_none=True)
    return state.result()


def _plain_kernels(stack: ExitStack, device: torch.device) -> None:
    """Switch off the fused RNN libraries for the count; skipped where torch refuses (the
    flags also touch TF32 settings, which raise when another TF32 API was used first)."""
    backend = {"cpu": torch.backends.mkldnn, "cuda": torch.backends.cudnn}.get(device.type)
    if backend is None:
        return
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*TF32 acceleration on top of oneDNN.*")
            stack.enter_context(backend.flags(enabled=False))  # type: ignore[attr-defined]
    except (RuntimeError, TypeError) as exc:
        log.info("could not switch off %s for FLOP counting: %s", backend.__name__, exc)
