"""Wait for a device's queued work to finish, so a host clock measures what it ran.

CPU work is synchronous, so ``synchronize("cpu")`` is a no-op. Accelerators queue kernels
asynchronously: call this at the boundaries of a timed window (not inside it). Every kind
torch can drive (cuda, mps, xpu, hpu, npu, PrivateUse1, xla) goes through ``profiler.accelerator``.
Thread-safe as far as the backend's own synchronize is.
"""

from __future__ import annotations

import torch

from profiler import accelerator


def device_kind(device: torch.device | str) -> str:
    """``"cpu"``, ``"cuda"``, ``"mps"``, ``"xpu"``, ... for a device or device string."""
    return torch.device(device).type


def synchronize(device: torch.device | str) -> None:
    """Block until all work queued on ``device`` has finished (no-op on CPU; on XLA this runs
    the traced graph and waits for it: ``profiler.accelerator.ops``)."""
    accelerator.synchronize(device)


def is_accelerator(device: torch.device | str) -> bool:
    """True for devices that run asynchronously from the host (anything but cpu/meta)."""
    return device_kind(device) not in ("cpu", "meta")
