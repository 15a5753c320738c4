"""The accelerator layer (profiler.accelerator) with fakes for each kind torch can drive:
a torch.accelerator backend with and without its memory API (torch 2.9+), an old torch with
no torch.accelerator, Gaudi (hpu), Ascend (npu) and other PrivateUse1 backends, TPUs through
torch_xla, MPS, and the CPU-only build this machine has."""

from __future__ import annotations

import sys
import types

import pytest
import torch

from profiler import accelerator
from profiler.accelerator import runtime, xla
from profiler.devices.allocator import AllocatorBackend
from profiler.runner.clock import StepClock


@pytest.fixture(autouse=True)
def _fresh_plugins():
    runtime.forget_plugins()
    yield
    runtime.forget_plugins()


class Calls(list):
    def record(self, name):
        return lambda *a, **k: self.append((name, a))


STATS = {"allocated_bytes.all.current": 1000, "reserved_bytes.all.current": 4096, "allocated_bytes.all.peak": 2000}


def fake_accelerator(monkeypatch, kind: str, calls: Calls, memory_api: bool = True) -> None:
    """torch.accelerator driving ``kind``, as a torch built or extended for it would."""
    acc = torch.accelerator
    monkeypatch.setattr(acc, "current_accelerator", lambda *a, **k: torch.device(kind))
    monkeypatch.setattr(acc, "is_available", lambda: True)
    monkeypatch.setattr(acc, "device_count", lambda: 2)
    monkeypatch.setattr(acc, "synchronize", calls.record("acc.synchronize"))
    monkeypatch.setattr(acc, "set_device_index", calls.record("acc.set_device_index"))
    if memory_api:
        monkeypatch.setattr(acc, "memory_stats", lambda index=None: (calls.append(("acc.memory_stats", (index,)))
                                                                     or dict(STATS)))
        monkeypatch.setattr(acc, "empty_cache", calls.record("acc.empty_cache"))
        monkeypatch.setattr(acc, "reset_peak_memory_stats", calls.record("acc.reset_peak"))
    else:  # torch 2.6-2.8: torch.accelerator without its memory functions
        for name in ("memory_stats", "empty_cache", "reset_peak_memory_stats"):
            monkeypatch.delattr(acc, name, raising=False)


def fake_module(calls: Calls, prefix: str, with_stats: bool = True) -> types.SimpleNamespace:
    """A torch.<kind> module of an out-of-tree backend."""
    module = types.SimpleNamespace(
        is_available=lambda: True, device_count=lambda: 2,
        synchronize=calls.record(f"{prefix}.synchronize"), set_device=calls.record(f"{prefix}.set_device"),
        empty_cache=calls.record(f"{prefix}.empty_cache"),
        reset_peak_memory_stats=calls.record(f"{prefix}.reset_peak"),
        memory_allocated=lambda i: 10, memory_reserved=lambda i: 40, max_memory_allocated=lambda i: 20,
        get_device_name=lambda i: f"{prefix} board {i}",
        get_device_properties=lambda i: types.SimpleNamespace(total_memory=96 * 2**30),
    )
    if with_stats:
        module.memory_stats = lambda i: dict(STATS)
    return module


# ---- this machine: a CPU-only build ------------------------------------------------------

def test_cpu_only_build_reads_nothing_and_raises_nothing():
    accelerator.synchronize("cpu")
    assert accelerator.memory_readings("cpu") == dict.fromkeys(("alloc_bytes", "reserved_bytes", "peak_alloc_bytes"))
    assert not accelerator.events_supported("cpu")
    assert accelerator.memory_readable("cpu").startswith("CPU tensors live in the process heap")
    if torch.version.cuda is None and getattr(torch.version, "hip", None) is None:
        assert runtime.current_accelerator_type() is None
        assert accelerator.device_count("cuda") == 0 and not accelerator.kind_available("cuda")


def test_cpu_never_calls_torch_accelerator_whose_calls_raise_on_a_cpu_build(monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("torch.accelerator has no current accelerator")

    for name in ("synchronize", "memory_stats", "empty_cache", "reset_peak_memory_stats"):
        monkeypatch.setattr(torch.accelerator, name, boom)
    accelerator.synchronize("cpu")
    accelerator.empty_cache("cpu")
    accelerator.reset_peak("cpu")
    assert set(accelerator.memory_readings("cpu").values()) == {None}


# ---- torch.accelerator with and without its memory API ------------------------------------

def test_gaudi_through_torch_accelerator_with_the_memory_api(monkeypatch):
    calls = Calls()
    fake_accelerator(monkeypatch, "hpu", calls)
    marks = Calls()
    core = types.ModuleType("habana_frameworks.torch.core")
    core.mark_step = marks.record("mark_step")  # type: ignore[attr-defined]
    for name, module in (("habana_frameworks", types.ModuleType("habana_frameworks")),
                         ("habana_frameworks.torch", types.ModuleType("habana_frameworks.torch")),
                         ("habana_frameworks.torch.core", core)):
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(torch, "hpu", fake_module(calls, "hpu"), raising=False)
    accelerator.synchronize("hpu:1")
    assert marks == [("mark_step", ())]  # lazy mode: the step's graph runs before the wait
    assert calls[0][0] == "acc.synchronize"
    accelerator.set_device("hpu:1")
    assert calls[-1] == ("acc.set_device_index", (1,))
    assert accelerator.memory_readings("hpu:1") == {"alloc_bytes": 1000, "reserved_bytes": 4096,
                                                    "peak_alloc_bytes": 2000}
    assert ("acc.memory_stats", (1,)) in calls
    accelerator.empty_cache("hpu:1")
    assert calls[-1][0] == "acc.empty_cache"
    assert accelerator.device_count("hpu") == 2 and accelerator.kind_available("hpu")


def test_without_the_memory_api_memory_comes_from_the_backend_module(monkeypatch):
    calls = Calls()
    fake_accelerator(monkeypatch, "hpu", calls, memory_api=False)
    monkeypatch.setattr(torch, "hpu", fake_module(calls, "hpu", with_stats=False), raising=False)
    assert not runtime.has_memory_api()
    assert accelerator.memory_readings("hpu:0") == {"alloc_bytes": 10, "reserved_bytes": 40, "peak_alloc_bytes": 20}
    accelerator.empty_cache("hpu:0")
    accelerator.reset_peak("hpu:0")
    assert [c[0] for c in calls[-2:]] == ["hpu.empty_cache", "hpu.reset_peak"]
    assert accelerator.memory_readable("hpu:0") == ""


def test_missing_stat_keys_are_none_not_zero(monkeypatch):
    calls = Calls()
    fake_accelerator(monkeypatch, "hpu", calls)
    monkeypatch.setattr(torch.accelerator, "memory_stats", lambda index=None: {"allocated_bytes.all.current": 7})
    assert accelerator.memory_readings("hpu:0") == {"alloc_bytes": 7, "reserved_bytes": None,
                                                    "peak_alloc_bytes": None}


def test_old_torch_without_torch_accelerator_uses_the_module(monkeypatch):
    calls = Calls()
    monkeypatch.setattr(runtime, "has_accelerator_api", lambda: False)
    monkeypatch.setattr(torch, "hpu", fake_module(calls, "hpu"), raising=False)
    accelerator.synchronize("hpu:0")
    accelerator.set_device("hpu:1")
    assert [c[0] for c in calls] == ["hpu.synchronize", "hpu.set_device"]
    assert accelerator.memory_readings("hpu:0")["alloc_bytes"] == 1000


def test_the_allocator_backend_reads_any_kind_through_the_layer(monkeypatch):
    calls = Calls()
    fake_accelerator(monkeypatch, "hpu", calls)
    monkeypatch.setattr(torch, "hpu", fake_module(calls, "hpu"), raising=False)
    backend = AllocatorBackend("hpu:0", extra_missing={"power_w": "no Gaudi telemetry"})
    assert ("acc.reset_peak", (0,)) in calls  # opening resets the peak
    assert backend.read() == {"alloc_bytes": 1000, "peak_alloc_bytes": 2000, "reserved_bytes": 4096}
    assert backend.capabilities.why_missing("power_w") == "no Gaudi telemetry"


# ---- MPS ------------------------------------------------------------------------------------

def test_mps_memory_comes_from_torch_mps_never_the_asserting_accelerator_calls(monkeypatch):
    calls = Calls()
    fake_accelerator(monkeypatch, "mps", calls)

    def asserts(*a, **k):
        raise RuntimeError("device_allocator INTERNAL ASSERT FAILED: Allocator for mps is not a DeviceAllocator")

    monkeypatch.setattr(torch.accelerator, "memory_stats", asserts)
    monkeypatch.setattr(torch.accelerator, "empty_cache", asserts)
    monkeypatch.setattr(torch.mps, "current_allocated_memory", lambda: 123)
    monkeypatch.setattr(torch.mps, "driver_allocated_memory", lambda: 456)
    monkeypatch.setattr(torch.mps, "empty_cache", calls.record("mps.empty_cache"))
    assert accelerator.memory_readings("mps") == {"alloc_bytes": 123, "reserved_bytes": 456, "peak_alloc_bytes": None}
    accelerator.empty_cache("mps")
    assert calls[-1][0] == "mps.empty_cache"


# ---- PrivateUse1: Ascend npu and any other ---------------------------------------------------

def install_privateuse1(monkeypatch, name: str, calls: Calls) -> None:
    monkeypatch.setattr(torch._C, "_get_privateuse1_backend_name", lambda: name)
    monkeypatch.setattr(torch, name, fake_module(calls, name), raising=False)


def test_ascend_npu_is_discovered_read_and_explained(monkeypatch):
    from profiler.devices.plugin_devices import plugin_devices
    from profiler.devices.registry import open_backends

    calls = Calls()
    install_privateuse1(monkeypatch, "npu", calls)
    runtime._plugins["npu"] = (types.ModuleType("torch_npu"), "")
    devices = [d for d in plugin_devices() if d.kind == "npu"]
    assert [(d.id, d.name, d.vendor, d.memory_bytes) for d in devices] == [
        ("npu:0", "npu board 0", "Huawei", 96 * 2**30), ("npu:1", "npu board 1", "Huawei", 96 * 2**30)]
    [backend] = open_backends("npu:1")
    assert backend.read()["alloc_bytes"] == 1000
    assert "npu-smi" in (backend.capabilities.why_missing("power_w") or "")
    accelerator.synchronize("npu:1")
    assert calls[-1][0] == "npu.synchronize"


def test_any_other_privateuse1_backend(monkeypatch):
    from profiler.devices.plugin_devices import plugin_devices
    from profiler.devices.support import kind_support

    calls = Calls()
    install_privateuse1(monkeypatch, "acme", calls)
    assert runtime.privateuse1_name() == "acme"
    devices = [d for d in plugin_devices() if d.kind == "acme"]
    assert [d.id for d in devices] == ["acme:0", "acme:1"]
    [row] = [k for k in kind_support(devices) if k.key == "privateuse1"]
    assert row.present and row.devices == ("acme:0", "acme:1")


def test_a_broken_plugin_is_a_reason_not_a_crash(monkeypatch):
    import importlib

    real = importlib.import_module

    def fake_import(name, *a, **k):
        if name == "habana_frameworks.torch":
            raise OSError("libSynapse.so: cannot open shared object file")
        return real(name, *a, **k)

    monkeypatch.setattr(importlib, "import_module", fake_import)
    module, why = runtime.load_plugin("hpu")
    assert module is None and "failed to import" in why and "libSynapse" in why


# ---- TPUs through torch_xla -------------------------------------------------------------------

def install_torch_xla(monkeypatch, calls: Calls, memory: dict) -> None:
    top = types.ModuleType("torch_xla")
    top.sync = calls.record("torch_xla.sync")  # type: ignore[attr-defined]
    core = types.ModuleType("torch_xla.core")
    xm = types.ModuleType("torch_xla.core.xla_model")
    xm.mark_step = calls.record("xm.mark_step")  # type: ignore[attr-defined]
    xm.wait_device_ops = calls.record("xm.wait_device_ops")  # type: ignore[attr-defined]
    xm.get_memory_info = lambda device=None: dict(memory)  # type: ignore[attr-defined]
    xm.xla_device_hw = lambda device: "TPU"  # type: ignore[attr-defined]
    xm.xla_device = lambda: "xla:0"  # type: ignore[attr-defined]
    xr = types.ModuleType("torch_xla.runtime")
    xr.addressable_device_count = lambda: 4  # type: ignore[attr-defined]
    top.core, core.xla_model, top.runtime = core, xm, xr  # type: ignore[attr-defined]
    for name, module in (("torch_xla", top), ("torch_xla.core", core), ("torch_xla.core.xla_model", xm),
                         ("torch_xla.runtime", xr)):
        monkeypatch.setitem(sys.modules, name, module)


def test_xla_sync_waits_for_the_device_not_just_the_trace(monkeypatch):
    calls = Calls()
    install_torch_xla(monkeypatch, calls, {"bytes_used": 3 * 2**30, "bytes_limit": 16 * 2**30})
    accelerator.synchronize("xla:0")
    assert [c[0] for c in calls] == ["torch_xla.sync", "xm.wait_device_ops"]
    assert not accelerator.events_supported("xla:0")
    assert accelerator.memory_readings("xla:0")["alloc_bytes"] == 3 * 2**30
    assert xla.memory_info("xla:0") == (3 * 2**30, 16 * 2**30)
    assert accelerator.device_count("xla") == 4


def test_xla_without_torch_xla_sync_marks_a_step_then_waits(monkeypatch):
    calls = Calls()
    install_torch_xla(monkeypatch, calls, {"kb_free": 1024, "kb_total": 4096})
    del sys.modules["torch_xla"].sync
    accelerator.synchronize("xla:0")
    assert [c[0] for c in calls] == ["xm.mark_step", "xm.wait_device_ops"]
    assert xla.memory_info("xla:0") == (3 * 2**20, 4 * 2**20)  # old torch_xla: kB free / total


def test_a_step_on_xla_is_timed_around_a_full_sync(monkeypatch):
    calls = Calls()
    install_torch_xla(monkeypatch, calls, {})
    clock = StepClock(torch.device("xla:0"))
    clock.start()
    calls.clear()
    assert clock.step_done() and clock.step_done()
    assert [c[0] for c in calls] == ["torch_xla.sync", "xm.wait_device_ops"] * 2
    assert len(clock.finish()) == 2


def test_tpus_are_discovered(monkeypatch):
    from profiler.devices.plugin_devices import xla_devices

    install_torch_xla(monkeypatch, Calls(), {"bytes_used": 0, "bytes_limit": 16 * 2**30})
    devices = xla_devices()
    assert [d.id for d in devices] == ["xla:0", "xla:1", "xla:2", "xla:3"]
    assert devices[0].name == "Google TPU 0" and devices[0].memory_bytes == 16 * 2**30
