"""TPUs (and other XLA devices) through ``torch_xla``, which ``torch.accelerator`` does not see.

XLA executes lazily: operations on an ``xla`` tensor are traced into a graph that runs only
when a step is marked. Marking a step (``torch_xla.sync()``, formerly ``xm.mark_step()``)
alone returns once the graph is *launched*, so a clock around it measures tracing; the
device's work is finished only after ``xm.wait_device_ops()``
(https://docs.pytorch.org/xla/release/r2.8/learn/trace-vs-execution-time.html,
https://github.com/pytorch/xla/issues/8858). ``synchronize`` therefore does both.

XLA has no torch device events; a step is timed by a host clock around a full sync.
Memory comes from ``xm.get_memory_info(device)``: ``bytes_used``/``bytes_limit`` in current
torch_xla, ``kb_free``/``kb_total`` in old releases (torch_xla/core/xla_model.py).
"""

from __future__ import annotations

import logging
from typing import Any

import torch

from profiler.accelerator.runtime import load_plugin

log = logging.getLogger(__name__)


def xla_model() -> tuple[Any, str]:
    """(``torch_xla.core.xla_model``, "") or (None, why torch_xla is unusable)."""
    module, reason = load_plugin("xla")
    if module is None:
        return None, reason
    try:
        import torch_xla.core.xla_model as xm
    except Exception as exc:
        return None, f"torch_xla.core.xla_model failed to import: {exc}"
    return xm, ""


def synchronize(device: Any = None) -> None:
    """Run the traced graph and wait until the device has finished it."""
    torch_xla, reason = load_plugin("xla")
    xm, _ = xla_model()
    if torch_xla is None or xm is None:
        raise RuntimeError(f"cannot synchronize an XLA device: {reason}")
    if hasattr(torch_xla, "sync"):
        torch_xla.sync()
    else:
        xm.mark_step()
    xm.wait_device_ops()


def device_count() -> tuple[int, str]:
    """(addressable XLA devices, "") or (0, why none)."""
    torch_xla, reason = load_plugin("xla")
    if torch_xla is None:
        return 0, reason
    try:
        import torch_xla.runtime as xr

        count = getattr(xr, "addressable_device_count", None) or getattr(xr, "global_runtime_device_count", None)
        if count is not None:
            return int(count()), ""
        xm, why = xla_model()
        return (len(xm.get_xla_supported_devices()), "") if xm is not None else (0, why)
    except Exception as exc:
        return 0, f"torch_xla found no device: {type(exc).__name__}: {exc}"


def hardware(device: Any = None) -> str:
    """'TPU', 'GPU', 'CPU', ... for the XLA device (best effort, '' when unknown)."""
    xm, _ = xla_model()
    try:
        return str(xm.xla_device_hw(device if device is not None else xm.xla_device())) if xm is not None else ""
    except Exception:
        return ""


def memory_info(device: Any) -> tuple[int, int] | None:
    """(used bytes, total bytes) of an XLA device, or None when torch_xla cannot tell."""
    xm, _ = xla_model()
    if xm is None:
        return None
    try:
        info = dict(xm.get_memory_info(torch.device(device) if isinstance(device, str) else device))
    except Exception as exc:
        log.debug("xm.get_memory_info failed: %s", exc)
        return None
    if "bytes_used" in info and "bytes_limit" in info:
        return int(info["bytes_used"]), int(info["bytes_limit"])
    if "kb_free" in info and "kb_total" in info:
        total = int(info["kb_total"]) * 1024
        return total - int(info["kb_free"]) * 1024, total
    return None
