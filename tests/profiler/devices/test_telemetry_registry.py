"""Registry: which backends open per device kind, merging, fallbacks with reasons, the report."""

from __future__ import annotations

import sys

import pytest

from profiler.devices import registry
from profiler.devices.nvml_session import NVML_SESSION
from profiler.devices.registry import (
    accelerator_report,
    close_backends,
    device_status,
    merge_capabilities,
    merge_readings,
    open_backends,
)
from profiler.devices.telemetry import Capabilities, TelemetryBackend

try:
    from fakes import fake_pynvml
except ImportError:
    from tests.fakes import fake_pynvml


class Fixed(TelemetryBackend):
    backend = "fixed"

    def __init__(self, values, status="ok"):
        super().__init__("cuda:0")
        self.values = values
        self.status = status

    @property
    def capabilities(self):
        return Capabilities(frozenset(k for k, v in self.values.items() if v is not None), {"temp_c": "no sensor"})

    def read(self):
        return dict(self.values)


class Raising(Fixed):
    def read(self):
        raise RuntimeError("a broken backend")


def test_simulated_and_cpu_and_unknown_kinds():
    sim = open_backends("sim:0")
    assert [b.backend for b in sim] == ["simulated"]
    assert merge_readings(sim)["util_percent"] is not None
    cpu = open_backends("cpu")
    assert [b.backend for b in cpu] == ["rapl"]
    assert set(merge_readings(cpu)) == {"energy_j", "power_w"}
    assert open_backends("tpu:0") == []
    close_backends(sim + cpu)


def test_cuda_without_driver_falls_back_to_allocator_with_reason(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml.no_driver().module)
    backends = open_backends("cuda:0", device_uuid=fake_pynvml.UUID_A)
    assert [b.backend for b in backends] == ["torch-allocator"]
    caps = merge_capabilities(backends)
    assert caps.why_missing("power_w") == (
        "NVIDIA telemetry unavailable: no NVIDIA driver found (libnvidia-ml is missing)"
    )
    assert all(v is None for v in merge_readings(backends).values())
    assert not NVML_SESSION.active
    close_backends(backends)


def test_cuda_with_driver_opens_nvml_first(monkeypatch):
    fake = fake_pynvml.healthy_h100()
    monkeypatch.setitem(sys.modules, "pynvml", fake.module)
    monkeypatch.setattr(registry, "_is_rocm", lambda: False)
    backends = open_backends("cuda:0", device_uuid=fake_pynvml.UUID_A.removeprefix("GPU-"))
    try:
        assert [b.backend for b in backends] == ["nvml", "torch-allocator"]
        merged = merge_readings(backends)
        assert merged["power_w"] == 650.0 and merged["util_percent"] == 87.0
        assert "alloc_bytes" in merged
        assert merge_capabilities(backends).supports("energy_j")
        assert device_status(backends) == "ok"
    finally:
        close_backends(backends)
    assert fake.initialised == 0


def test_merge_first_non_none_wins_and_survives_a_raising_backend():
    a = Fixed({"power_w": None, "mem_used_bytes": 10})
    b = Fixed({"power_w": 5.0, "mem_used_bytes": 99, "alloc_bytes": 3})
    merged = merge_readings([Raising({}), a, b])
    assert merged == {"power_w": 5.0, "mem_used_bytes": 10, "alloc_bytes": 3}
    caps = merge_capabilities([a, b])
    assert caps.supports("power_w") and caps.why_missing("temp_c") == "no sensor"
    assert device_status([a, Fixed({}, status="lost")]) == "lost"


def test_accelerator_report_on_a_machine_without_gpu(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml.no_driver().module)
    lines = accelerator_report()
    text = "\n".join(lines)
    assert lines[0].startswith("torch ")
    assert any(line.startswith("NVIDIA:") and "no NVIDIA driver found" in line for line in lines)
    assert any(line.startswith("AMD:") for line in lines)
    assert any(line.startswith("CPU energy (RAPL):") for line in lines)
    assert "sim:0" not in text  # the simulated backend is a test double, not a device to train on
    assert not NVML_SESSION.active


def test_accelerator_report_lists_gpus_when_nvml_works(monkeypatch):
    fake, _ = fake_pynvml.two_gpus_cuda_order_differs()
    monkeypatch.setitem(sys.modules, "pynvml", fake.module)
    nvidia = next(line for line in accelerator_report() if line.startswith("NVIDIA:"))
    assert "NVML sees 2 GPU(s): NVIDIA T4, NVIDIA H100 80GB HBM3" in nvidia
    assert fake.initialised == 0


@pytest.mark.gpu
def test_real_cuda_device_opens_nvml():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available() or torch.version.cuda is None:
        pytest.skip("needs an NVIDIA GPU")
    backends = open_backends("cuda:0")
    try:
        assert backends[0].backend == "nvml"
        reading = merge_readings(backends)
        assert reading["mem_total_bytes"] and reading["mem_total_bytes"] > 0
    finally:
        close_backends(backends)
