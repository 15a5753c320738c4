"""AMD GPU telemetry through ``amdsmi`` (the optional ``amd`` extra), one backend per GPU.

``amdsmi`` is imported lazily; without it the registry falls back to allocator memory. The torch
device is matched to its amdsmi handle by UUID or PCI address (BDF), or taken as the only GPU.
Readings: ``util_percent`` (GFX activity), VRAM (MB -> bytes), socket power (W), hotspot
temperature, energy counter (delta since open) and GFX/memory clocks. A field that raises
"not supported" or answers "N/A" is n/a for good. Called from the sampler thread; never raises.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import ModuleType
from typing import Any

from profiler.devices.telemetry import (
    Capabilities,
    DeviceNotFoundError,
    LibraryMissingError,
    TelemetryBackend,
    TelemetryError,
    none_reading,
)
from profiler.devices.vendor_session import VendorSession

log = logging.getLogger(__name__)

MIB = 1024 * 1024
NOT_SUPPORTED_CODE = 2  # AMDSMI_STATUS_NOT_SUPPORTED

FIELDS: dict[str, tuple[str, ...]] = {
    "util": ("util_percent",),
    "memory": ("mem_used_bytes", "mem_total_bytes"),
    "power": ("power_w",),
    "energy": ("energy_j",),
    "temp": ("temp_c",),
    "gfx_clock": ("sm_clock_mhz", "sm_clock_max_mhz"),
    "mem_clock": ("mem_clock_mhz", "mem_clock_max_mhz"),
}


class _FieldNotSupported(Exception):
    """amdsmi answered 'N/A' or a not-supported status."""


class AmdSmiSession(VendorSession):
    """Reference-counted ``amdsmi_init`` / ``amdsmi_shut_down``; thread-safe."""

    def _init(self) -> ModuleType:
        try:
            import amdsmi
        except ImportError as exc:
            raise LibraryMissingError("amdsmi is not installed (pip install 'horsepower[amd]')") from exc
        try:
            amdsmi.amdsmi_init()
        except Exception as exc:
            raise TelemetryError(f"AMD SMI could not start (is the amdgpu driver loaded?): {exc}") from exc
        return amdsmi

    def _shutdown(self, module: ModuleType) -> None:
        module.amdsmi_shut_down()


AMDSMI_SESSION = AmdSmiSession()


def _norm_uuid(value: Any) -> str:
    return str(value).strip().lower().removeprefix("gpu-")


def find_handle(amdsmi: ModuleType, uuid: str | None, bdf: str | None) -> Any:
    """The amdsmi handle whose UUID or BDF matches; the only GPU when neither is given."""
    handles = list(amdsmi.amdsmi_get_processor_handles())
    for handle in handles:
        try:
            if uuid and _norm_uuid(amdsmi.amdsmi_get_gpu_device_uuid(handle)) == _norm_uuid(uuid):
                return handle
            if bdf and str(amdsmi.amdsmi_get_gpu_device_bdf(handle)).lower() == bdf.lower():
                return handle
        except Exception as exc:
            log.debug("amdsmi id query failed: %s", exc)
    if not uuid and not bdf and len(handles) == 1:
        return handles[0]
    raise DeviceNotFoundError(f"amdsmi finds no GPU with UUID {uuid} / PCI address {bdf} among {len(handles)}")


def _number(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    raise _FieldNotSupported(f"amdsmi answered {value!r}")


class AmdSmiBackend(TelemetryBackend):
    """One AMD GPU through amdsmi."""

    backend = "amdsmi"

    def __init__(
        self,
        device_id: str,
        uuid: str | None = None,
        bdf: str | None = None,
        session: AmdSmiSession = AMDSMI_SESSION,
    ) -> None:
        super().__init__(device_id)
        self._session = session
        self._smi = session.acquire()
        try:
            self._handle = find_handle(self._smi, uuid, bdf)
        except TelemetryError:
            session.release()
            raise
        self._closed = False
        self._energy_base_j: float | None = None
        self._readers: dict[str, Callable[[], dict[str, Any]]] = {n: getattr(self, f"_read_{n}") for n in FIELDS}
        self._active: list[str] = []
        self._missing: dict[str, str] = {"throttle_reasons": "amdsmi throttle status is not read"}
        self._keys: set[str] = set()
        for name in FIELDS:
            self._keys.update(FIELDS[name])
            try:
                self._readers[name]()
            except Exception as exc:
                self._drop(name, exc)
                continue
            self._active.append(name)

    @property
    def capabilities(self) -> Capabilities:
        readings = frozenset(k for n in self._active for k in FIELDS[n])
        return Capabilities(readings, dict(self._missing))

    def read(self) -> dict[str, Any]:
        out = none_reading(self._keys)
        if self._closed or self.status != "ok":
            return out
        for name in list(self._active):
            try:
                out.update(self._readers[name]())
            except Exception as exc:
                if self._is_not_supported(exc):
                    self._active.remove(name)
                    self._drop(name, exc)
                else:
                    log.debug("%s: amdsmi %s failed this sample: %s", self.device_id, name, exc)
        return out

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._session.release()

    @staticmethod
    def _is_not_supported(exc: Exception) -> bool:
        if isinstance(exc, _FieldNotSupported):
            return True
        get_code = getattr(exc, "get_error_code", None)
        code = get_code() if callable(get_code) else getattr(exc, "err_code", None)
        return code == NOT_SUPPORTED_CODE or "NOT_SUPPORTED" in str(exc).upper()

    def _drop(self, name: str, exc: Exception) -> None:
        if self._is_not_supported(exc):
            reason = "not supported by this GPU or driver (amdsmi)"
        else:
            reason = f"amdsmi failed: {exc}"
        for key in FIELDS[name]:
            self._missing[key] = reason
        log.info("%s: %s n/a: %s", self.device_id, ", ".join(FIELDS[name]), reason)

    # -- field readers -----------------------------------------------------------------------

    def _read_util(self) -> dict[str, Any]:
        return {"util_percent": _number(self._smi.amdsmi_get_gpu_activity(self._handle)["gfx_activity"])}

    def _read_memory(self) -> dict[str, Any]:
        vram = self._smi.amdsmi_get_gpu_vram_usage(self._handle)
        return {
            "mem_used_bytes": int(_number(vram["vram_used"]) * MIB),
            "mem_total_bytes": int(_number(vram["vram_total"]) * MIB),
        }

    def _read_power(self) -> dict[str, Any]:
        info = self._smi.amdsmi_get_power_info(self._handle)
        for key in ("current_socket_power", "average_socket_power"):
            if isinstance(info.get(key), (int, float)):
                return {"power_w": float(info[key])}
        raise _FieldNotSupported("no socket power in amdsmi_get_power_info")

    def _read_energy(self) -> dict[str, Any]:
        info = self._smi.amdsmi_get_energy_count(self._handle)
        counter = info.get("energy_accumulator", info.get("power"))
        total_j = _number(counter) * _number(info["counter_resolution"]) / 1e6  # resolution in uJ
        if self._energy_base_j is None:
            self._energy_base_j = total_j
        return {"energy_j": total_j - self._energy_base_j}

    def _read_temp(self) -> dict[str, Any]:
        kinds, metric = self._smi.AmdSmiTemperatureType, self._smi.AmdSmiTemperatureMetric
        return {"temp_c": _number(self._smi.amdsmi_get_temp_metric(self._handle, kinds.HOTSPOT, metric.CURRENT))}

    def _clock(self, kind: str, cur: str, top: str) -> dict[str, Any]:
        info = self._smi.amdsmi_get_clock_info(self._handle, getattr(self._smi.AmdSmiClkType, kind))
        return {cur: _number(info["clk"]), top: _number(info["max_clk"])}

    def _read_gfx_clock(self) -> dict[str, Any]:
        return self._clock("GFX", "sm_clock_mhz", "sm_clock_max_mhz")

    def _read_mem_clock(self) -> dict[str, Any]:
        return self._clock("MEM", "mem_clock_mhz", "mem_clock_max_mhz")
