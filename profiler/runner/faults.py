"""Fault injection for tests: ``HORSEPOWER_FAULT=worker-exception|worker-abort|worker-sigkill|oom``.

The fault fires on the third timed step, so a run has warmed up and published data first.
"""

from __future__ import annotations

import os
import signal

import torch

FAULTS = ("worker-exception", "worker-abort", "worker-sigkill", "oom")
FAULT_STEP = 3


class InjectedFault(RuntimeError):
    """Raised by ``worker-exception``."""


def configured_fault() -> str | None:
    fault = os.environ.get("HORSEPOWER_FAULT", "").strip()
    if not fault:
        return None
    if fault not in FAULTS:
        raise ValueError(f"HORSEPOWER_FAULT={fault!r} is unknown; choose from {', '.join(FAULTS)}")
    return fault


def maybe_fire(fault: str | None, step: int) -> None:
    if fault is None or step != FAULT_STEP:
        return
    if fault == "worker-exception":
        raise InjectedFault("injected fault: worker-exception at timed step 3")
    if fault == "oom":
        raise torch.OutOfMemoryError("injected fault: out of memory. Tried to allocate 20.00 GiB")
    if fault == "worker-abort":
        os.abort()  # a native crash: SIGABRT, no Python cleanup
    if fault == "worker-sigkill":
        os.kill(os.getpid(), signal.SIGKILL)  # what the kernel's OOM killer does
