"""NVIDIA telemetry through NVML (nvidia-ml-py), one backend per GPU.

Opening maps the torch device to its NVML handle by UUID and probes every field once: a field
that raises NotSupported is n/a for good (never queried again), with the reason kept in
``capabilities``. A GPU that falls off the bus (GpuIsLost, or Unknown on its handle) marks this
backend ``status == "lost"``; its readings are None from then on while other GPUs keep sampling.
``read`` is called from the sampler thread and never raises.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from profiler.devices.nvml_session import (
    ERR_FUNCTION_NOT_FOUND,
    ERR_GPU_IS_LOST,
    ERR_NO_PERMISSION,
    ERR_NOT_SUPPORTED,
    ERR_UNKNOWN,
    NVML_SESSION,
    NvmlSession,
    handle_for_uuid,
    nvml_error_code,
)
from profiler.devices.telemetry import Capabilities, TelemetryBackend, TelemetryError, none_reading
from profiler.devices.throttle import decode_clock_event_reasons

log = logging.getLogger(__name__)


class MissingBindingError(RuntimeError):
    """The installed nvidia-ml-py lacks the call for a field: the field is dropped as n/a."""

#: NVML query groups and the readings each one yields
FIELDS: dict[str, tuple[str, ...]] = {
    "util": ("util_percent",),
    "memory": ("mem_used_bytes", "mem_total_bytes"),
    "power": ("power_w",),
    "power_limit": ("power_limit_w",),
    "energy": ("energy_j",),
    "temp": ("temp_c",),
    "sm_clock": ("sm_clock_mhz",),
    "sm_clock_max": ("sm_clock_max_mhz",),
    "mem_clock": ("mem_clock_mhz",),
    "mem_clock_max": ("mem_clock_max_mhz",),
    "throttle": ("throttle_reasons",),
}
STATIC_FIELDS = frozenset({"sm_clock_max", "mem_clock_max"})
MIG_UTIL_REASON = "NVML does not report utilization for a MIG instance"


class NvmlBackend(TelemetryBackend):
    """One NVIDIA GPU. ``uuid`` is torch's ``get_device_properties(i).uuid`` (prefix optional)."""

    backend = "nvml"

    def __init__(self, device_id: str, uuid: str | None, session: NvmlSession = NVML_SESSION) -> None:
        super().__init__(device_id)
        self._session = session
        self._nvml = session.acquire()
        try:
            self._handle = handle_for_uuid(self._nvml, uuid)
        except TelemetryError:
            session.release()
            raise
        self._closed = False
        self._is_mig = self._query_is_mig()
        self._energy_base_mj: int | None = None
        self._static: dict[str, Any] = {}
        self._throttle_fn = getattr(self._nvml, "nvmlDeviceGetCurrentClocksEventReasons", None) or getattr(
            self._nvml, "nvmlDeviceGetCurrentClocksThrottleReasons", None
        )
        self._readers: dict[str, Callable[[], dict[str, Any]]] = {
            name: getattr(self, f"_read_{name}") for name in FIELDS
        }
        self._active: list[str] = []
        self._missing: dict[str, str] = {}
        self._keys: set[str] = set()
        self._probe()

    # -- public API ---------------------------------------------------------------------------

    @property
    def capabilities(self) -> Capabilities:
        readings = {key for name in self._active for key in FIELDS[name]}
        if self.status == "lost":
            return Capabilities(frozenset(), {k: "the GPU was lost (fell off the bus)" for k in self._keys})
        return Capabilities(frozenset(readings), dict(self._missing))

    def read(self) -> dict[str, Any]:
        out = none_reading(self._keys)
        if self.status != "ok" or self._closed:
            return out
        for name in list(self._active):
            if name in STATIC_FIELDS:
                out.update(self._static[name])
                continue
            try:
                out.update(self._readers[name]())
            except Exception as exc:
                self._on_error(name, exc)
                if self.status == "lost":
                    return none_reading(self._keys)
        return out

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._session.release()

    # -- probing and errors -------------------------------------------------------------------

    def _probe(self) -> None:
        for name in FIELDS:
            try:
                value = self._readers[name]()
            except Exception as exc:
                self._active.append(name)  # so _on_error can drop it with its reason
                self._keys.update(FIELDS[name])
                self._on_error(name, exc)
                if self.status == "lost":
                    return
                continue
            self._active.append(name)
            self._keys.update(FIELDS[name])
            if name in STATIC_FIELDS:
                self._static[name] = value

    def _on_error(self, name: str, exc: Exception) -> None:
        code = nvml_error_code(exc)
        if code in (ERR_GPU_IS_LOST, ERR_UNKNOWN):
            if self.status != "lost":
                log.warning("%s: GPU lost (%s); its telemetry stops, other devices continue", self.device_id, exc)
            self.status = "lost"
            return
        if code == ERR_FUNCTION_NOT_FOUND and name == "throttle" and self._use_old_throttle_api():
            return
        if code in (ERR_NOT_SUPPORTED, ERR_FUNCTION_NOT_FOUND, ERR_NO_PERMISSION) or code is None:
            reason = self._reason_for(name, code, exc)
            self._drop(name, reason)
            return
        log.debug("%s: NVML %s failed this sample: %s", self.device_id, name, exc)

    def _reason_for(self, name: str, code: int | None, exc: Exception) -> str:
        if name == "util" and self._is_mig:
            return MIG_UTIL_REASON
        if code == ERR_NOT_SUPPORTED:
            return "not supported by this GPU or driver (NVML)"
        if code == ERR_FUNCTION_NOT_FOUND:
            return "this NVIDIA driver is too old to report it"
        if code == ERR_NO_PERMISSION:
            return "no permission to read it (NVML)"
        return f"NVML query failed: {exc}"

    def _drop(self, name: str, reason: str) -> None:
        if name in self._active:
            self._active.remove(name)
        for key in FIELDS[name]:
            self._missing[key] = reason
        log.info("%s: %s n/a: %s", self.device_id, ", ".join(FIELDS[name]), reason)

    def _use_old_throttle_api(self) -> bool:
        old = getattr(self._nvml, "nvmlDeviceGetCurrentClocksThrottleReasons", None)
        if old is None or self._throttle_fn is old:
            return False
        self._throttle_fn = old
        return True

    def _query_is_mig(self) -> bool:
        fn = getattr(self._nvml, "nvmlDeviceIsMigDeviceHandle", None)
        try:
            return bool(fn(self._handle)) if fn else False
        except Exception:
            return False

    # -- field readers (units converted here) -------------------------------------------------

    def _read_util(self) -> dict[str, Any]:
        return {"util_percent": float(self._nvml.nvmlDeviceGetUtilizationRates(self._handle).gpu)}

    def _read_memory(self) -> dict[str, Any]:
        info = self._nvml.nvmlDeviceGetMemoryInfo(self._handle)
        return {"mem_used_bytes": int(info.used), "mem_total_bytes": int(info.total)}

    def _read_power(self) -> dict[str, Any]:
        return {"power_w": self._nvml.nvmlDeviceGetPowerUsage(self._handle) / 1000.0}

    def _read_power_limit(self) -> dict[str, Any]:
        return {"power_limit_w": self._nvml.nvmlDeviceGetEnforcedPowerLimit(self._handle) / 1000.0}

    def _read_energy(self) -> dict[str, Any]:
        total_mj = int(self._nvml.nvmlDeviceGetTotalEnergyConsumption(self._handle))
        if self._energy_base_mj is None:
            self._energy_base_mj = total_mj
        return {"energy_j": (total_mj - self._energy_base_mj) / 1000.0}

    def _read_temp(self) -> dict[str, Any]:
        sensor = getattr(self._nvml, "NVML_TEMPERATURE_GPU", 0)
        return {"temp_c": float(self._nvml.nvmlDeviceGetTemperature(self._handle, sensor))}

    def _clock(self, fn_name: str, clock_name: str, default: int) -> float:
        clock = getattr(self._nvml, clock_name, default)
        return float(getattr(self._nvml, fn_name)(self._handle, clock))

    def _read_sm_clock(self) -> dict[str, Any]:
        return {"sm_clock_mhz": self._clock("nvmlDeviceGetClockInfo", "NVML_CLOCK_SM", 1)}

    def _read_sm_clock_max(self) -> dict[str, Any]:
        return {"sm_clock_max_mhz": self._clock("nvmlDeviceGetMaxClockInfo", "NVML_CLOCK_SM", 1)}

    def _read_mem_clock(self) -> dict[str, Any]:
        return {"mem_clock_mhz": self._clock("nvmlDeviceGetClockInfo", "NVML_CLOCK_MEM", 2)}

    def _read_mem_clock_max(self) -> dict[str, Any]:
        return {"mem_clock_max_mhz": self._clock("nvmlDeviceGetMaxClockInfo", "NVML_CLOCK_MEM", 2)}

    def _read_throttle(self) -> dict[str, Any]:
        if self._throttle_fn is None:
            raise MissingBindingError("this nvidia-ml-py has no clock-event reasons call")
        mask = int(self._throttle_fn(self._handle))
        return {"throttle_reasons": ",".join(decode_clock_event_reasons(mask))}
