"""A small fake ``amdsmi`` module: two MI300X GPUs, one field unsupported, values in amdsmi's units."""

from __future__ import annotations

import enum
import types
from dataclasses import dataclass, field


class AmdSmiException(Exception):
    pass


class AmdSmiLibraryException(AmdSmiException):
    def __init__(self, err_code: int) -> None:
        super().__init__(f"AMDSMI error {err_code}")
        self.err_code = err_code

    def get_error_code(self) -> int:
        return self.err_code


NOT_SUPPORTED = 2


@dataclass
class FakeAmdGpu:
    uuid: str
    bdf: str
    gfx_activity: object = 93
    vram_used_mb: int = 40_000
    vram_total_mb: int = 196_592
    socket_power_w: object = 610
    energy_counter: int = 1_000_000
    counter_resolution_uj: float = 15.3
    counter_step: int = 10_000
    hotspot_c: int = 68
    unsupported: set[str] = field(default_factory=set)


def build(gpus: list[FakeAmdGpu], init_fails: bool = False) -> types.ModuleType:
    m = types.ModuleType("amdsmi")
    m.AmdSmiException = AmdSmiException
    m.AmdSmiLibraryException = AmdSmiLibraryException
    m.AmdSmiTemperatureType = enum.IntEnum("AmdSmiTemperatureType", {"EDGE": 0, "HOTSPOT": 1, "VRAM": 2})
    m.AmdSmiTemperatureMetric = enum.IntEnum("AmdSmiTemperatureMetric", {"CURRENT": 0})
    m.AmdSmiClkType = enum.IntEnum("AmdSmiClkType", {"GFX": 0, "MEM": 1})
    m.state = {"init": 0}

    def amdsmi_init(*flags):
        if init_fails:
            raise AmdSmiLibraryException(8)
        m.state["init"] += 1

    def amdsmi_shut_down():
        m.state["init"] -= 1

    def guard(name, fn):
        def wrapped(h, *args):
            if name in h.unsupported:
                raise AmdSmiLibraryException(NOT_SUPPORTED)
            return fn(h, *args)

        setattr(m, name, wrapped)

    def energy(h):
        h.energy_counter += h.counter_step
        return {
            "energy_accumulator": h.energy_counter,
            "counter_resolution": h.counter_resolution_uj,
            "timestamp": 0,
        }

    m.amdsmi_init, m.amdsmi_shut_down = amdsmi_init, amdsmi_shut_down
    m.amdsmi_get_processor_handles = lambda: list(gpus)
    guard("amdsmi_get_gpu_device_uuid", lambda h: h.uuid)
    guard("amdsmi_get_gpu_device_bdf", lambda h: h.bdf)
    guard(
        "amdsmi_get_gpu_activity",
        lambda h: {"gfx_activity": h.gfx_activity, "umc_activity": 30, "mm_activity": "N/A"},
    )
    guard("amdsmi_get_gpu_vram_usage", lambda h: {"vram_used": h.vram_used_mb, "vram_total": h.vram_total_mb})
    guard("amdsmi_get_power_info", lambda h: {"current_socket_power": h.socket_power_w, "average_socket_power": "N/A"})
    guard("amdsmi_get_energy_count", energy)
    guard("amdsmi_get_temp_metric", lambda h, kind, metric: h.hotspot_c)
    guard(
        "amdsmi_get_clock_info",
        lambda h, kind: {"clk": 2100 if kind == 0 else 1300, "max_clk": 2100 if kind == 0 else 1300, "min_clk": 100},
    )
    return m


def two_mi300x() -> tuple[types.ModuleType, list[FakeAmdGpu]]:
    gpus = [
        FakeAmdGpu("aaaa0000-0000-0000-0000-000000000001", "0000:05:00.0", gfx_activity=10),
        FakeAmdGpu(
            "bbbb0000-0000-0000-0000-000000000002",
            "0000:c1:00.0",
            unsupported={"amdsmi_get_clock_info"},
            socket_power_w="N/A",
        ),
    ]
    return build(gpus), gpus
