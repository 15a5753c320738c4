"""One NVML session per process, NVML errors in a user's words, and UUID-based handle lookup.

``pynvml`` (nvidia-ml-py) is imported lazily inside functions so the engine imports without it.
``NVML_SESSION`` is shared by every NVIDIA backend: ``acquire`` initialises NVML on first use,
``release`` shuts it down when the last user lets go. Both are thread-safe.
"""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any

from profiler.devices.telemetry import (
    DeviceNotFoundError,
    DriverMismatchError,
    DriverNotLoadedError,
    LibraryMissingError,
    TelemetryError,
    TelemetryPermissionError,
)
from profiler.devices.vendor_session import VendorSession

log = logging.getLogger(__name__)

# NVML_ERROR_* codes (stable across nvidia-ml-py releases); compared by value so any
# NVMLError subclass, real or fake, is classified the same way.
ERR_UNINITIALIZED = 1
ERR_NOT_SUPPORTED = 3
ERR_NO_PERMISSION = 4
ERR_NOT_FOUND = 6
ERR_DRIVER_NOT_LOADED = 9
ERR_LIBRARY_NOT_FOUND = 12
ERR_FUNCTION_NOT_FOUND = 13
ERR_GPU_IS_LOST = 15
ERR_LIB_RM_VERSION_MISMATCH = 18
ERR_UNKNOWN = 999


def nvml_error_code(exc: BaseException) -> int | None:
    """The NVML_ERROR_* code of an NVMLError, or None for any other exception."""
    value = getattr(exc, "value", None)
    return value if isinstance(value, int) else None


def classify_init_error(exc: BaseException) -> TelemetryError:
    """Translate a failure of ``nvmlInit`` into a TelemetryError whose message a user can act on."""
    code = nvml_error_code(exc)
    if code == ERR_LIBRARY_NOT_FOUND:
        return LibraryMissingError("no NVIDIA driver found (libnvidia-ml is missing)")
    if code == ERR_DRIVER_NOT_LOADED:
        return DriverNotLoadedError("NVIDIA driver is not loaded")
    if code == ERR_LIB_RM_VERSION_MISMATCH:
        return DriverMismatchError("NVIDIA driver/library version mismatch: reboot or reinstall the driver")
    if code == ERR_NO_PERMISSION:
        return TelemetryPermissionError(
            "no permission to query the NVIDIA driver (check /dev/nvidia* access for this user)"
        )
    if code == ERR_UNKNOWN:
        return TelemetryError(f"NVIDIA driver reported an unknown error during NVML init ({exc})")
    return TelemetryError(f"NVML could not start: {exc}")


def nvml_uuid(uuid: Any) -> str:
    """NVML's spelling of a device UUID: torch gives 'xxxxxxxx-...', NVML wants 'GPU-xxxxxxxx-...'."""
    text = str(uuid).strip()
    if not text:
        raise ValueError("empty GPU UUID")
    if text.upper().startswith(("GPU-", "MIG-")):
        return text
    return f"GPU-{text}"


class NvmlSession(VendorSession):
    """Reference-counted NVML initialisation shared by all NVIDIA backends in this process."""

    def _init(self) -> ModuleType:
        """The initialised ``pynvml`` module; raises TelemetryError with a user message."""
        try:
            import pynvml
        except ImportError as exc:
            raise LibraryMissingError("nvidia-ml-py is not installed (pip install 'horsepower[nvidia]')") from exc
        try:
            pynvml.nvmlInit()
        except Exception as exc:
            raise classify_init_error(exc) from exc
        return pynvml

    def _shutdown(self, module: ModuleType) -> None:
        module.nvmlShutdown()


NVML_SESSION = NvmlSession()


def handle_for_uuid(pynvml: ModuleType, uuid: str | None) -> Any:
    """The NVML handle of the GPU with this UUID (the reliable torch -> NVML mapping).

    Without a UUID the index is ambiguous (CUDA orders GPUs fastest-first, NVML by PCI bus),
    so only a machine with exactly one GPU is accepted.
    """
    if uuid:
        try:
            return pynvml.nvmlDeviceGetHandleByUUID(nvml_uuid(uuid))
        except Exception as exc:
            code = nvml_error_code(exc)
            if code in (ERR_NOT_FOUND, 2):  # 2 = INVALID_ARGUMENT (malformed UUID)
                raise DeviceNotFoundError(f"NVML has no GPU with UUID {nvml_uuid(uuid)}") from exc
            raise TelemetryError(f"NVML could not open GPU {nvml_uuid(uuid)}: {exc}") from exc
    try:
        count = int(pynvml.nvmlDeviceGetCount())
    except Exception as exc:
        raise TelemetryError(f"NVML could not count GPUs: {exc}") from exc
    if count != 1:
        raise DeviceNotFoundError(f"no GPU UUID given and NVML sees {count} GPUs: cannot tell which one torch uses")
    return pynvml.nvmlDeviceGetHandleByIndex(0)
