"""A fake ``pynvml`` module built per test, with named scenarios.

Each scenario returns a ``FakeNvml``: a real ``types.ModuleType`` to inject with
``monkeypatch.setitem(sys.modules, "pynvml", fake.module)``. Error classes and ``NVML_ERROR_*``
codes mirror nvidia-ml-py (``NVMLError(value)`` maps to the subclass, e.g. NVMLError_GpuIsLost).
A GPU is a ``FakeGpu``; its object doubles as the NVML handle. ``calls`` counts each function.
"""

from __future__ import annotations

import types
from collections import Counter
from dataclasses import dataclass, field
from typing import ClassVar

NVML_ERROR_CODES = {
    "Uninitialized": 1,
    "InvalidArgument": 2,
    "NotSupported": 3,
    "NoPermission": 4,
    "AlreadyInitialized": 5,
    "NotFound": 6,
    "DriverNotLoaded": 9,
    "Timeout": 10,
    "LibraryNotFound": 12,
    "FunctionNotFound": 13,
    "GpuIsLost": 15,
    "LibRmVersionMismatch": 18,
    "Unknown": 999,
}
CONST_NAMES = {
    "Uninitialized": "UNINITIALIZED",
    "InvalidArgument": "INVALID_ARGUMENT",
    "NotSupported": "NOT_SUPPORTED",
    "NoPermission": "NO_PERMISSION",
    "AlreadyInitialized": "ALREADY_INITIALIZED",
    "NotFound": "NOT_FOUND",
    "DriverNotLoaded": "DRIVER_NOT_LOADED",
    "Timeout": "TIMEOUT",
    "LibraryNotFound": "LIBRARY_NOT_FOUND",
    "FunctionNotFound": "FUNCTION_NOT_FOUND",
    "GpuIsLost": "GPU_IS_LOST",
    "LibRmVersionMismatch": "LIB_RM_VERSION_MISMATCH",
    "Unknown": "UNKNOWN",
}


class NVMLError(Exception):
    """Mirrors pynvml.NVMLError: constructing with a code gives the matching subclass."""

    _by_code: ClassVar[dict[int, type]] = {}

    def __new__(cls, value: int):
        if cls is NVMLError:
            cls = NVMLError._by_code.get(value, cls)
        obj = Exception.__new__(cls)
        obj.value = value
        return obj

    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.value = value

    def __str__(self) -> str:
        names = {v: k for k, v in NVML_ERROR_CODES.items()}
        return f"NVML error {self.value} ({names.get(self.value, '?')})"


ERROR_CLASSES: dict[str, type] = {}
for _name, _code in NVML_ERROR_CODES.items():
    _cls = type(f"NVMLError_{_name}", (NVMLError,), {})
    NVMLError._by_code[_code] = _cls
    ERROR_CLASSES[_name] = _cls


def err(name: str) -> NVMLError:
    return NVMLError(NVML_ERROR_CODES[name])


@dataclass
class FakeGpu:
    """One fake GPU; values in NVML's units (mW, mJ, MHz, bytes). Also the NVML handle."""

    uuid: str
    name: str = "NVIDIA H100 80GB HBM3"
    util: int = 87
    mem_used: int = 30 * 2**30
    mem_total: int = 80 * 2**30
    power_mw: int = 650_000
    limit_mw: int = 700_000
    energy_mj: int = 5_000_000
    energy_step_mj: int = 65_000  # added per energy query (0.1 s at 650 W)
    temp: int = 71
    sm_clock: int = 1980
    sm_max: int = 1980
    mem_clock: int = 2619
    mem_max: int = 2619
    reasons: int = 0
    is_mig: bool = False
    unsupported: set[str] = field(default_factory=set)  # function names raising NotSupported
    missing: set[str] = field(default_factory=set)  # function names raising FunctionNotFound
    lost_after: int | None = None  # queries answered before the GPU falls off the bus
    queries: int = 0


class FakeNvml:
    """The fake library's state plus the module object that exposes it as ``pynvml``."""

    def __init__(self, gpus: list[FakeGpu], init_error: str | None = None) -> None:
        self.gpus = gpus
        self.init_error = init_error
        self.calls: Counter[str] = Counter()
        self.initialised = 0
        self.module = self._build()

    def _query(self, fn: str, handle: FakeGpu):
        self.calls[fn] += 1
        if handle.lost_after is not None and handle.queries >= handle.lost_after:
            raise err("GpuIsLost")
        handle.queries += 1
        if fn in handle.unsupported:
            raise err("NotSupported")
        if fn in handle.missing:
            raise err("FunctionNotFound")

    def _build(self) -> types.ModuleType:
        m = types.ModuleType("pynvml")
        m.NVMLError = NVMLError
        for name, cls in ERROR_CLASSES.items():
            setattr(m, f"NVMLError_{name}", cls)
            setattr(m, f"NVML_ERROR_{CONST_NAMES[name]}", NVML_ERROR_CODES[name])
        m.NVML_CLOCK_SM, m.NVML_CLOCK_MEM, m.NVML_TEMPERATURE_GPU = 1, 2, 0
        fake = self

        def nvmlInit() -> None:
            fake.calls["nvmlInit"] += 1
            if fake.init_error:
                raise err(fake.init_error)
            fake.initialised += 1

        def nvmlShutdown() -> None:
            fake.calls["nvmlShutdown"] += 1
            fake.initialised -= 1

        def nvmlDeviceGetCount() -> int:
            return len(fake.gpus)

        def nvmlDeviceGetHandleByIndex(i: int) -> FakeGpu:
            return fake.gpus[i]

        def nvmlDeviceGetHandleByUUID(uuid: str) -> FakeGpu:
            fake.calls["nvmlDeviceGetHandleByUUID"] += 1
            for gpu in fake.gpus:
                if gpu.uuid == uuid:
                    return gpu
            raise err("NotFound")

        def q(fn_name, result):
            def fn(handle, *args):
                fake._query(fn_name, handle)
                return result(handle, *args)

            fn.__name__ = fn_name
            setattr(m, fn_name, fn)

        q("nvmlDeviceGetName", lambda h: h.name)
        q("nvmlDeviceIsMigDeviceHandle", lambda h: h.is_mig)
        q("nvmlDeviceGetUtilizationRates", lambda h: types.SimpleNamespace(gpu=h.util, memory=40))
        q(
            "nvmlDeviceGetMemoryInfo",
            lambda h: types.SimpleNamespace(used=h.mem_used, total=h.mem_total, free=h.mem_total - h.mem_used),
        )
        q("nvmlDeviceGetPowerUsage", lambda h: h.power_mw)
        q("nvmlDeviceGetEnforcedPowerLimit", lambda h: h.limit_mw)
        q("nvmlDeviceGetTemperature", lambda h, sensor: h.temp)
        q("nvmlDeviceGetClockInfo", lambda h, clock: h.sm_clock if clock == 1 else h.mem_clock)
        q("nvmlDeviceGetMaxClockInfo", lambda h, clock: h.sm_max if clock == 1 else h.mem_max)
        q("nvmlDeviceGetCurrentClocksEventReasons", lambda h: h.reasons)
        q("nvmlDeviceGetCurrentClocksThrottleReasons", lambda h: h.reasons)

        def energy(h: FakeGpu) -> int:
            h.energy_mj += h.energy_step_mj
            return h.energy_mj

        q("nvmlDeviceGetTotalEnergyConsumption", energy)
        for fn in (nvmlInit, nvmlShutdown, nvmlDeviceGetCount, nvmlDeviceGetHandleByIndex, nvmlDeviceGetHandleByUUID):
            setattr(m, fn.__name__, fn)
        return m


UUID_A = "GPU-11111111-aaaa-4aaa-8aaa-000000000001"
UUID_B = "GPU-22222222-bbbb-4bbb-8bbb-000000000002"


# -- named scenarios ------------------------------------------------------------------------------


def no_driver() -> FakeNvml:
    """nvidia-ml-py installed, libnvidia-ml.so absent (a CPU machine or a container without GPUs)."""
    return FakeNvml([], init_error="LibraryNotFound")


def driver_not_loaded() -> FakeNvml:
    return FakeNvml([], init_error="DriverNotLoaded")


def version_mismatch() -> FakeNvml:
    """The driver was upgraded and the machine not rebooted."""
    return FakeNvml([], init_error="LibRmVersionMismatch")


def no_permission() -> FakeNvml:
    return FakeNvml([], init_error="NoPermission")


def healthy_h100() -> FakeNvml:
    return FakeNvml([FakeGpu(UUID_A)])


def unsupported_fields() -> FakeNvml:
    """A consumer card on an old driver: no energy counter, no power limit, old throttle API only."""
    gpu = FakeGpu(
        UUID_A,
        name="NVIDIA GeForce RTX 3090",
        unsupported={"nvmlDeviceGetTotalEnergyConsumption", "nvmlDeviceGetEnforcedPowerLimit"},
        missing={"nvmlDeviceGetCurrentClocksEventReasons"},
        reasons=0x20 | 0x4,
    )
    return FakeNvml([gpu])


def gpu_lost_mid_run(after_queries: int = 30) -> FakeNvml:
    """Two GPUs; the first falls off the bus after ``after_queries`` NVML queries."""
    return FakeNvml([FakeGpu(UUID_A, lost_after=after_queries), FakeGpu(UUID_B)])


def two_gpus_cuda_order_differs() -> tuple[FakeNvml, list[str]]:
    """NVML (PCI order) lists A then B; CUDA (fastest first) calls B cuda:0. Returns the CUDA-order UUIDs
    as torch spells them (without the GPU- prefix)."""
    slow = FakeGpu(UUID_A, name="NVIDIA T4", util=5, power_mw=30_000, limit_mw=70_000)
    fast = FakeGpu(UUID_B, name="NVIDIA H100 80GB HBM3", util=95)
    return FakeNvml([slow, fast]), [UUID_B.removeprefix("GPU-"), UUID_A.removeprefix("GPU-")]


def mig() -> FakeNvml:
    """A MIG instance: utilization (and power/energy on the instance handle) are not supported."""
    gpu = FakeGpu(
        "MIG-33333333-cccc-4ccc-8ccc-000000000003",
        name="NVIDIA A100-SXM4-80GB MIG 1g.10gb",
        is_mig=True,
        mem_total=10 * 2**30,
        unsupported={
            "nvmlDeviceGetUtilizationRates",
            "nvmlDeviceGetPowerUsage",
            "nvmlDeviceGetTotalEnergyConsumption",
            "nvmlDeviceGetEnforcedPowerLimit",
        },
    )
    return FakeNvml([gpu])


SCENARIOS = {
    "no_driver": no_driver,
    "driver_not_loaded": driver_not_loaded,
    "version_mismatch": version_mismatch,
    "no_permission": no_permission,
    "healthy_h100": healthy_h100,
    "unsupported_fields": unsupported_fields,
    "gpu_lost_mid_run": gpu_lost_mid_run,
    "mig": mig,
}
