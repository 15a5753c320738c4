"""Apple GPU (MPS) telemetry: allocator and Metal driver memory only.

macOS gives GPU utilization, power and temperature only to privileged tools (``powermetrics``)
or private APIs, so those readings are n/a with that reason. ``apple_gpu_name`` builds the name
the peak table matches ("Apple M2 Max (38-core GPU)"), since torch calls every Apple GPU "mps".
"""

from __future__ import annotations

import logging
import platform
import re
import subprocess
from collections.abc import Callable

from profiler.devices.allocator import AllocatorBackend

log = logging.getLogger(__name__)

PRIVILEGED_REASON = "macOS exposes GPU utilization and power only to privileged tools (powermetrics)"
PRIVILEGED_KEYS = ("util_percent", "power_w", "energy_j", "temp_c", "sm_clock_mhz", "throttle_reasons")


class MpsBackend(AllocatorBackend):
    """The Apple GPU: ``alloc_bytes``/``peak_alloc_bytes`` (tensors) and ``mem_used_bytes``
    (everything Metal holds for this process, in unified memory)."""

    backend = "mps"

    def __init__(self, device_id: str = "mps") -> None:
        super().__init__(device_id, extra_missing=dict.fromkeys(PRIVILEGED_KEYS, PRIVILEGED_REASON))


def _run(cmd: list[str]) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=5, check=True).stdout


def apple_gpu_name(run: Callable[[list[str]], str] = _run, system: str | None = None) -> str | None:
    """'Apple M2 Max (38-core GPU)' on Apple silicon; None elsewhere or when it cannot be told.

    The core count matters: an M3 Max has 30 or 40 GPU cores, and its peak differs by a third.
    """
    if (system or platform.system()) != "Darwin":
        return None
    try:
        chip = run(["sysctl", "-n", "machdep.cpu.brand_string"]).strip()
        ioreg = run(["ioreg", "-rc", "AGXAccelerator", "-d", "1"])
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("cannot read the Apple GPU name: %s", exc)
        return None
    if not chip.startswith("Apple M"):
        return None
    match = re.search(r'"gpu-core-count"\s*=\s*(\d+)', ioreg)
    if not match:
        return chip
    return f"{chip} ({match.group(1)}-core GPU)"
