"""Synchronise, time and read memory on any device torch can drive, through one set of calls.

Each call goes through ``torch.accelerator`` where it drives the device's kind (and, for
memory, where this torch has its memory API, 2.9+), else through the kind's own module
(``torch.cuda``, ``torch.xpu``, ``torch.hpu``, ``torch.npu``, a PrivateUse1 module), and
through ``torch_xla`` for ``xla``. Apple MPS memory always comes from ``torch.mps``: it also
gives the Metal driver's view, and ``torch.accelerator``'s memory calls assert on MPS in
older releases (https://github.com/pytorch/pytorch/issues/186430). The CPU has no device
queue, events or allocator statistics: readings are None there, never 0.

Thread-safety: as the underlying torch calls (safe from a sampler thread for memory reads).
"""

from __future__ import annotations

import logging
from typing import Any

import torch

from profiler.accelerator import xla
from profiler.accelerator.runtime import backend_module, has_memory_api, through_accelerator

log = logging.getLogger(__name__)

HOST_KINDS = ("cpu", "meta")
#: memory_stats keys (CUDA caching-allocator names, shared by xpu/hpu/npu and torch.accelerator)
STAT_KEYS = {"alloc_bytes": "allocated_bytes.all.current", "reserved_bytes": "reserved_bytes.all.current",
             "peak_alloc_bytes": "allocated_bytes.all.peak"}
#: fallback per-reading functions of a backend module without memory_stats
FALLBACK_FNS = {"alloc_bytes": "memory_allocated", "reserved_bytes": "memory_reserved",
                "peak_alloc_bytes": "max_memory_allocated"}


class _Dev:
    """A device's kind and index, parsed without torch (a PrivateUse1 name is a device type
    only once its plugin renamed the backend)."""

    __slots__ = ("index", "type")
    type: str
    index: int | None

    def __init__(self, device: torch.device | str | _Dev) -> None:
        if isinstance(device, (torch.device, _Dev)):
            self.type, self.index = device.type, device.index
            return
        kind, _, index = str(device).partition(":")
        self.type, self.index = kind, (int(index) if index.isdigit() else None)

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def torch(self) -> torch.device:
        return torch.device(str(self))


def _device(device: torch.device | str) -> _Dev:
    return _Dev(device)


def _index(dev: _Dev) -> int:
    return dev.index if dev.index is not None else 0


def synchronize(device: torch.device | str) -> None:
    """Block until all work queued on ``device`` has finished (no-op on CPU)."""
    dev = _device(device)
    if dev.type in HOST_KINDS:
        return
    if dev.type == "xla":
        xla.synchronize(dev.torch())
        return
    if dev.type == "hpu":
        _hpu_mark_step()
    if through_accelerator(dev.type):
        torch.accelerator.synchronize(_index(dev))
        return
    module = backend_module(dev.type)
    sync = getattr(module, "synchronize", None)
    if not callable(sync):
        raise RuntimeError(f"torch has no way to synchronize {dev.type} devices here")
    if dev.type == "mps":
        sync()
    else:
        sync(_index(dev))


def _hpu_mark_step() -> None:
    """In Gaudi's lazy mode ops accumulate until ``htcore.mark_step()`` runs them
    (https://docs.habana.ai/en/latest/PyTorch/Getting_Started_with_PyTorch_and_Gaudi/Getting_Started_with_PyTorch.html);
    in eager mode it is a no-op. Called before waiting, so a wait covers the step's work."""
    try:
        import habana_frameworks.torch.core as htcore  # type: ignore[import-not-found]
    except ImportError:
        return
    mark = getattr(htcore, "mark_step", None)
    if callable(mark):
        mark()


def set_device(device: torch.device | str) -> None:
    """Make ``device`` current for its kind (events, streams and queries use it)."""
    dev = _device(device)
    if dev.type in HOST_KINDS or dev.type in ("xla", "mps") or dev.index is None:
        return
    if through_accelerator(dev.type):
        torch.accelerator.set_device_index(dev.index)
        return
    module = backend_module(dev.type)
    if module is not None and hasattr(module, "set_device"):
        module.set_device(dev.index)


def events_supported(device: torch.device | str) -> bool:
    """True when ``torch.Event`` with timing works on ``device`` (never on cpu or xla)."""
    dev = _device(device)
    if dev.type in HOST_KINDS or dev.type == "xla" or not hasattr(torch, "Event"):
        return False
    try:
        torch.Event(device=dev.torch(), enable_timing=True)
        return True
    except Exception:
        return False


def current_stream(device: torch.device | str) -> Any:
    """The current stream of ``device`` (for recording an event on it)."""
    dev = _device(device)
    if through_accelerator(dev.type):
        return torch.accelerator.current_stream(_index(dev))
    module = backend_module(dev.type)
    if dev.type == "mps":
        return None
    return module.current_stream(_index(dev))


def empty_cache(device: torch.device | str) -> None:
    """Give the caching allocator's unused blocks back to the device (no-op on CPU)."""
    dev = _device(device)
    if dev.type in HOST_KINDS or dev.type == "xla":
        return
    try:
        if dev.type != "mps" and through_accelerator(dev.type) and has_memory_api():
            torch.accelerator.empty_cache()
            return
        module = backend_module(dev.type)
        if module is not None and hasattr(module, "empty_cache"):
            module.empty_cache()
    except Exception as exc:  # freeing memory is a courtesy: never a failure
        log.debug("empty_cache on %s failed: %s", dev, exc)


def _stats_from(stats: Any) -> dict[str, int | None]:
    if not isinstance(stats, dict) or not stats:
        return dict.fromkeys(STAT_KEYS)
    return {ours: (int(stats[theirs]) if theirs in stats else None) for ours, theirs in STAT_KEYS.items()}


def memory_readings(device: torch.device | str) -> dict[str, int | None]:
    """``alloc_bytes``, ``reserved_bytes``, ``peak_alloc_bytes`` of torch's allocator on
    ``device``; None for each one this torch or device cannot give. Raises nothing for a
    reading that is n/a, but lets a failing torch call raise (the caller logs it)."""
    dev = _device(device)
    if dev.type in HOST_KINDS:
        return dict.fromkeys(STAT_KEYS)
    if dev.type == "xla":
        info = xla.memory_info(dev.torch())
        return {"alloc_bytes": info[0] if info else None, "reserved_bytes": None, "peak_alloc_bytes": None}
    if dev.type == "mps":
        alloc = int(torch.mps.current_allocated_memory())
        return {"alloc_bytes": alloc, "reserved_bytes": int(torch.mps.driver_allocated_memory()),
                "peak_alloc_bytes": None}
    if through_accelerator(dev.type) and has_memory_api():
        return _stats_from(torch.accelerator.memory_stats(_index(dev)))
    module = backend_module(dev.type)
    if module is None:
        return dict.fromkeys(STAT_KEYS)
    if hasattr(module, "memory_stats"):
        readings = _stats_from(module.memory_stats(_index(dev)))
        if any(v is not None for v in readings.values()):
            return readings
    return {ours: (int(getattr(module, fn)(_index(dev))) if hasattr(module, fn) else None)
            for ours, fn in FALLBACK_FNS.items()}


def memory_readable(device: torch.device | str) -> str:
    """"" when ``memory_readings`` gives anything for this kind, else why not."""
    dev = _device(device)
    if dev.type in HOST_KINDS:
        return "CPU tensors live in the process heap; see the host's memory readings"
    if dev.type in ("xla", "mps"):
        return ""
    if through_accelerator(dev.type) and has_memory_api():
        return ""
    module = backend_module(dev.type)
    if module is None:
        return f"this torch has no {dev.type} module"
    if hasattr(module, "memory_stats") or all(hasattr(module, fn) for fn in FALLBACK_FNS.values()):
        return ""
    return f"this torch has no {dev.type} allocator statistics"


def reset_peak(device: torch.device | str) -> None:
    """Restart the peak-memory counter of ``device`` (where it has one)."""
    dev = _device(device)
    if dev.type in HOST_KINDS or dev.type in ("xla", "mps"):
        return
    try:
        if through_accelerator(dev.type) and has_memory_api():
            torch.accelerator.reset_peak_memory_stats(_index(dev))
            return
        module = backend_module(dev.type)
        if module is not None and hasattr(module, "reset_peak_memory_stats"):
            module.reset_peak_memory_stats(_index(dev))
    except Exception as exc:  # an uninitialised device: the peak is since process start
        log.debug("%s: reset_peak_memory_stats failed: %s", dev, exc)


def kind_available(kind: str) -> bool:
    """True when torch can use at least one device of ``kind`` here (never raises)."""
    if kind == "cpu":
        return True
    if kind == "xla":
        return xla.device_count()[0] > 0
    try:
        if through_accelerator(kind):
            return bool(torch.accelerator.is_available())
        module = backend_module(kind)
        return bool(module is not None and module.is_available())
    except Exception as exc:
        log.debug("%s.is_available() raised: %s", kind, exc)
        return False


def device_count(kind: str) -> int:
    """Devices of ``kind`` torch can use here (0 when none or when asking fails)."""
    if kind in HOST_KINDS:
        return 1 if kind == "cpu" else 0
    if kind == "xla":
        return xla.device_count()[0]
    try:
        if through_accelerator(kind):
            return int(torch.accelerator.device_count())
        module = backend_module(kind)
        if module is None or not module.is_available():
            return 0
        return 1 if kind == "mps" else int(module.device_count())
    except Exception as exc:
        log.debug("counting %s devices failed: %s", kind, exc)
        return 0
