"""Which torch API drives a device kind: ``torch.accelerator``, a backend module, or a plugin.

- ``torch.accelerator`` (torch 2.6+) drives the one accelerator this torch was built or
  extended for (cuda, xpu, mps, hpu, a PrivateUse1 backend such as Ascend's ``npu``); its
  memory API exists from torch 2.9 (https://docs.pytorch.org/docs/stable/accelerator.html).
  On a CPU-only build ``current_accelerator()`` is None and its calls raise (FIELD_NOTES).
- Out-of-tree backends register a ``torch.<name>`` module when their plugin is imported:
  Intel Gaudi ``hpu`` after ``import habana_frameworks.torch``, Huawei Ascend ``npu`` after
  ``import torch_npu``; any other PrivateUse1 backend under
  ``torch._C._get_privateuse1_backend_name()``.
- TPUs come through ``torch_xla`` (device type ``xla``), which ``torch.accelerator`` does not see.

Plugin imports are tried once per process and cached with the reason they failed.
"""

from __future__ import annotations

import importlib
import logging
import threading
from types import ModuleType
from typing import Any

import torch

log = logging.getLogger(__name__)

#: device kind -> the module whose import makes torch see it
PLUGINS = {"hpu": "habana_frameworks.torch", "npu": "torch_npu", "xla": "torch_xla"}
DEFAULT_PRIVATEUSE1 = "privateuseone"

_plugins: dict[str, tuple[ModuleType | None, str]] = {}
_lock = threading.Lock()


def load_plugin(kind: str) -> tuple[ModuleType | None, str]:
    """(the plugin module, "") once ``PLUGINS[kind]`` imports, else (None, why not)."""
    name = PLUGINS.get(kind)
    if name is None:
        return None, f"no plugin is needed or known for {kind!r}"
    with _lock:
        if kind not in _plugins:
            try:
                _plugins[kind] = (importlib.import_module(name), "")
            except ImportError as exc:
                _plugins[kind] = (None, f"{name} is not installed ({exc})")
            except Exception as exc:  # a plugin that is installed but broken (driver, version)
                log.warning("importing %s failed: %s", name, exc)
                _plugins[kind] = (None, f"{name} failed to import: {type(exc).__name__}: {exc}")
        return _plugins[kind]


def forget_plugins() -> None:
    """Forget cached plugin imports (tests)."""
    with _lock:
        _plugins.clear()


def privateuse1_name() -> str | None:
    """The name a PrivateUse1 backend registered (``npu``, ...), None when none is registered."""
    try:
        name = str(torch._C._get_privateuse1_backend_name())
    except Exception:
        return None
    return None if name == DEFAULT_PRIVATEUSE1 else name


def has_accelerator_api() -> bool:
    """torch.accelerator exists (torch 2.6+)."""
    return hasattr(torch, "accelerator") and hasattr(torch.accelerator, "current_accelerator")


def has_memory_api() -> bool:
    """torch.accelerator's memory functions exist (torch 2.9+)."""
    return has_accelerator_api() and hasattr(torch.accelerator, "memory_stats")


def current_accelerator_type() -> str | None:
    """The device type torch.accelerator drives here, or None (CPU-only build, old torch)."""
    if not has_accelerator_api():
        return None
    try:
        acc = torch.accelerator.current_accelerator()
    except Exception as exc:
        log.debug("torch.accelerator.current_accelerator() raised: %s", exc)
        return None
    return None if acc is None else str(acc.type)


def through_accelerator(kind: str) -> bool:
    """True when ``torch.accelerator`` drives ``kind`` (never for cpu or xla)."""
    return kind not in ("cpu", "meta", "xla") and current_accelerator_type() == kind


def backend_module(kind: str) -> Any:
    """``torch.<kind>`` (cuda, xpu, mps, hpu, npu, a PrivateUse1 name), importing its plugin
    first where one is needed; None when torch has no such module."""
    if kind in PLUGINS and kind != "xla":
        load_plugin(kind)
    return getattr(torch, kind, None)
