"""Numeric precision for a run: autocast context, grad scaler and TF32 switches.

fp32: plain float32. tf32: float32 storage with TF32 tensor-core matmuls (NVIDIA Ampere+;
nowhere else). bf16 / fp16: autocast mixed precision; fp16 adds a grad scaler so small
gradients do not underflow.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

import torch

from profiler.results.spec import PRECISIONS


class PrecisionError(ValueError):
    """The device cannot run the requested precision."""


@dataclass(frozen=True)
class PrecisionPlan:
    precision: str
    autocast: Callable[[], AbstractContextManager[None]]
    scaler: torch.amp.GradScaler | None
    dtype: torch.dtype  # the dtype matmuls run in (for the peak probe)


def supported_precisions(device: str) -> dict[str, str]:
    """precision -> "" when supported on ``device``, else the reason it is not."""
    kind = torch.device(device).type
    reasons = {p: "" for p in PRECISIONS}
    if kind != "cuda" or getattr(torch.version, "hip", None):
        reasons["tf32"] = "TF32 exists only on NVIDIA GPUs (Ampere or newer)"
    elif torch.cuda.get_device_capability(torch.device(device))[0] < 8:
        reasons["tf32"] = "TF32 needs an NVIDIA Ampere (compute capability 8.0) or newer GPU"
    if kind == "cuda" and not getattr(torch.version, "hip", None) and not torch.cuda.is_bf16_supported():
        reasons["bf16"] = "this GPU has no bfloat16 support (needs compute capability 8.0+)"
    if kind == "cpu":
        reasons["fp16"] = "fp16 autocast on CPU is emulated and not a meaningful measurement; use bf16"
    if kind == "xla":
        reasons["fp16"] = "TPUs compute in bf16; fp16 autocast is not supported on XLA TPUs: use bf16"
    return reasons


def check_precision(device: str, precision: str) -> None:
    if precision not in PRECISIONS:
        raise PrecisionError(f"unknown precision {precision!r}; choose from {', '.join(PRECISIONS)}")
    reason = supported_precisions(device)[precision]
    if reason:
        valid = [p for p, r in supported_precisions(device).items() if not r]
        raise PrecisionError(
            f"{device} cannot run {precision}: {reason}; valid precisions here: {', '.join(valid)}"
        )


def plan_precision(device: str, precision: str) -> PrecisionPlan:
    """Apply global switches (TF32) and return how to run each step in ``precision``."""
    check_precision(device, precision)
    kind = torch.device(device).type
    if kind == "cuda" and not getattr(torch.version, "hip", None):
        # One API family only: mixing fp32_precision with allow_tf32 raises in torch 2.13.
        torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
        torch.backends.cudnn.allow_tf32 = precision == "tf32"
    if precision in ("fp32", "tf32"):
        return PrecisionPlan(precision, contextlib.nullcontext, None, torch.float32)
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    scaler = torch.amp.GradScaler(kind) if precision == "fp16" else None

    def autocast() -> AbstractContextManager[None]:
        return torch.autocast(device_type=kind, dtype=dtype)

    return PrecisionPlan(precision, autocast, scaler, dtype)
