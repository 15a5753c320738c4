"""Out-of-memory handling: recognise it, free memory, find the largest batch that fits."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable

import torch

from profiler import accelerator
from profiler.workloads.memory_limits import is_out_of_memory

log = logging.getLogger(__name__)

MAX_TRIES = 6


def is_oom(exc: BaseException) -> bool:
    """Whether ``exc`` says memory ran out (see ``memory_limits.is_out_of_memory``)."""
    return is_out_of_memory(exc)


def free_device_memory(device: torch.device) -> None:
    """Collect garbage and return the allocator's cached blocks to ``device`` (any kind)."""
    gc.collect()
    accelerator.empty_cache(device)


def largest_fitting_batch(
    batch_size: int, try_batch: Callable[[int], None], device: torch.device
) -> int | None:
    """Halve ``batch_size`` until ``try_batch(b)`` (one training step) no longer runs out of memory."""
    candidate = batch_size // 2
    for _ in range(MAX_TRIES):
        if candidate < 1:
            return None
        free_device_memory(device)
        try:
            try_batch(candidate)
            return candidate
        except Exception as exc:
            if not is_oom(exc):
                log.info("batch %d failed for another reason: %s", candidate, exc)
                return None
        candidate //= 2
    return None


def oom_advice(batch_size: int, fitting: int | None, while_building: bool = False) -> str:
    """What to try after an OOM at ``batch_size`` (0: unknown); ``fitting`` is the largest
    smaller batch that trained a step (None: none did, or none was tried). It never offers
    bf16: under autocast the weights, gradients and AdamW state stay fp32."""
    when = " while building the model" if while_building else ""
    if fitting:
        return (
            f"batch size {batch_size} ran out of memory{when}; the largest batch that fit was {fitting}. "
            f"Try --batch-size {fitting}"
        )
    if batch_size < 1:
        return f"the run ran out of memory{when}; try a smaller size preset or knobs"
    if batch_size >= 2:
        smallest = max(1, batch_size >> MAX_TRIES)
        return (f"batch size {batch_size} ran out of memory{when}, and no smaller batch down to {smallest} "
                "trained a step: the model itself may be too large here; try a smaller size preset or knobs")
    return f"batch size {batch_size} ran out of memory{when}; try a smaller size preset or knobs"
