"""Allocator-based backends: CPU is all n/a; cuda/mps/xpu read torch's counters (faked where absent)."""

from __future__ import annotations

import threading
import types

import pytest
import torch

from profiler.devices.allocator import ALLOC_KEYS, CPU_REASON, AllocatorBackend
from profiler.devices.mps import PRIVILEGED_REASON, MpsBackend, apple_gpu_name
from profiler.devices.xpu import XpuBackend
from tests.helpers import WAIT_S, wait_until


def test_cpu_allocator_is_all_none_with_reason():
    backend = AllocatorBackend("cpu")
    reading = backend.read()
    assert set(reading) == ALLOC_KEYS and all(v is None for v in reading.values())
    assert backend.capabilities.readings == frozenset()
    assert backend.capabilities.why_missing("alloc_bytes") == CPU_REASON


def test_unusable_cuda_reads_none_not_zero():
    if torch.cuda.is_available():
        pytest.skip("a usable GPU is present")
    backend = AllocatorBackend("cuda:0", extra_missing={"power_w": "NVIDIA telemetry unavailable: x"})
    assert all(v is None for v in backend.read().values())
    assert backend.capabilities.why_missing("power_w") == "NVIDIA telemetry unavailable: x"
    assert "cannot use" in (backend.capabilities.why_missing("alloc_bytes") or "")


def fake_xpu(monkeypatch):
    state = {"alloc": 1000, "peak_resets": 0}
    xpu = types.SimpleNamespace(
        is_available=lambda: True,
        memory_allocated=lambda i: state["alloc"],
        memory_reserved=lambda i: 4096,
        max_memory_allocated=lambda i: 2000,
        reset_peak_memory_stats=lambda i: state.__setitem__("peak_resets", state["peak_resets"] + 1),
    )
    monkeypatch.setattr(torch, "xpu", xpu)
    return state


def test_xpu_memory_and_slow_utilization_thread(monkeypatch):
    """torch.xpu.utilization blocks ~100 ms: it runs on the backend's own thread, and read()
    never waits for it (here it blocks until the test lets it go: a read that waited would hang)."""
    state = fake_xpu(monkeypatch)
    calls = []
    first_call = threading.Event()
    release = threading.Event()

    def slow_util(index):
        calls.append(index)
        first_call.set()
        release.wait(WAIT_S)
        return 42

    backend = XpuBackend("xpu:1", util_fn=slow_util, period_s=0.01)
    try:
        assert first_call.wait(WAIT_S)
        box = {}
        reader = threading.Thread(target=lambda: box.update(reading=backend.read()))
        reader.start()
        reader.join(WAIT_S)
        assert not reader.is_alive() and not release.is_set()  # read() returned while the call blocks
        reading = box["reading"]
        assert reading["alloc_bytes"] == 1000 and reading["reserved_bytes"] == 4096
        assert reading["peak_alloc_bytes"] == 2000 and state["peak_resets"] == 1
        release.set()
        wait_until(lambda: backend.read()["util_percent"] is not None, what="the utilization reading")
        assert backend.read()["util_percent"] == 42.0
        assert calls[0] == 1
    finally:
        release.set()
        backend.close()
    assert backend._thread is None


def test_xpu_utilization_failure_is_na_with_reason(monkeypatch):
    fake_xpu(monkeypatch)

    def broken(index):
        raise RuntimeError("ZE_RESULT_ERROR_UNSUPPORTED_FEATURE")

    backend = XpuBackend("xpu:0", util_fn=broken, period_s=0.01)
    try:
        wait_until(lambda: not backend.capabilities.supports("util_percent"), what="util_percent n/a")
        assert backend.read()["util_percent"] is None
        assert "UNSUPPORTED" in (backend.capabilities.why_missing("util_percent") or "")
    finally:
        backend.close()


def test_mps_reads_allocator_and_driver_memory(monkeypatch):
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    sizes = iter([300, 100])
    monkeypatch.setattr(torch.mps, "current_allocated_memory", lambda: next(sizes))
    monkeypatch.setattr(torch.mps, "driver_allocated_memory", lambda: 5000)
    backend = MpsBackend()
    first, second = backend.read(), backend.read()
    assert first["alloc_bytes"] == 300 and first["mem_used_bytes"] == 5000
    assert second["alloc_bytes"] == 100 and second["peak_alloc_bytes"] == 300
    assert backend.capabilities.why_missing("util_percent") == PRIVILEGED_REASON
    assert backend.capabilities.why_missing("power_w") == PRIVILEGED_REASON


def test_apple_gpu_name():
    outputs = {
        "sysctl": "Apple M2 Max\n",
        "ioreg": '+-o AGXAcceleratorG14X  <class AGXAcceleratorG14X>\n  "gpu-core-count" = 38\n',
    }
    name = apple_gpu_name(run=lambda cmd: outputs[cmd[0]], system="Darwin")
    assert name == "Apple M2 Max (38-core GPU)"
    assert apple_gpu_name(run=lambda cmd: outputs[cmd[0]], system="Linux") is None
