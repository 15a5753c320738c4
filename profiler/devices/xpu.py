"""Intel GPU (XPU) telemetry: allocator memory plus utilization from a slow thread.

``torch.xpu.utilization()`` blocks ~100 ms per call, far too long for the 10 Hz sampler, so a
daemon thread calls it about once a second and ``read`` returns the last value. The thread is
joined in ``close``. If the call fails (no Level Zero sysman, old torch) utilization is n/a
with the error as its reason and the thread stops.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import torch

from profiler.devices.allocator import AllocatorBackend

log = logging.getLogger(__name__)


class XpuBackend(AllocatorBackend):
    """One Intel GPU. ``util_fn(index) -> percent`` defaults to ``torch.xpu.utilization``."""

    backend = "xpu"

    def __init__(self, device_id: str, util_fn: Callable[[int], float] | None = None, period_s: float = 1.0) -> None:
        fn = util_fn or getattr(getattr(torch, "xpu", None), "utilization", None)
        missing = {} if fn else {"util_percent": "this torch has no torch.xpu.utilization (torch 2.6+)"}
        missing.update(dict.fromkeys(("power_w", "energy_j", "temp_c"), "torch exposes no XPU power or temperature"))
        super().__init__(device_id, extra_missing=missing)
        self._util_fn = fn
        self._period_s = period_s
        self._util_percent: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if fn is not None and self._keys:
            self._keys = self._keys | {"util_percent"}
            self._thread = threading.Thread(target=self._poll, name=f"xpu-util-{device_id}", daemon=True)
            self._thread.start()
        elif fn is not None:
            self._extra_missing["util_percent"] = self._unusable

    def _poll(self) -> None:
        assert self._util_fn is not None
        while not self._stop.is_set():
            try:
                self._util_percent = float(self._util_fn(self.index))
            except Exception as exc:
                log.info("%s: utilization n/a: %s", self.device_id, exc)
                self._util_percent = None
                self._keys = self._keys - {"util_percent"}
                self._extra_missing["util_percent"] = f"torch.xpu.utilization() failed: {exc}"
                return
            self._stop.wait(self._period_s)

    def read(self) -> dict[str, Any]:
        out = super().read()
        out["util_percent"] = self._util_percent
        return out

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
