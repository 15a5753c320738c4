"""NVIDIA backend against named fake-pynvml scenarios: messages, n/a caching, lost GPUs, UUID mapping."""

from __future__ import annotations

import sys

import pytest

from profiler.devices import nvml_session
from profiler.devices.nvml import MIG_UTIL_REASON, NvmlBackend
from profiler.devices.nvml_session import NvmlSession, nvml_uuid
from profiler.devices.telemetry import (
    READINGS,
    DeviceNotFoundError,
    DriverMismatchError,
    DriverNotLoadedError,
    LibraryMissingError,
    TelemetryError,
    TelemetryPermissionError,
)

try:
    from fakes import fake_pynvml
except ImportError:  # tests/ is a package: rootdir on sys.path instead
    from tests.fakes import fake_pynvml


@pytest.fixture
def session() -> NvmlSession:
    return NvmlSession()


def install(monkeypatch: pytest.MonkeyPatch, fake: fake_pynvml.FakeNvml) -> fake_pynvml.FakeNvml:
    monkeypatch.setitem(sys.modules, "pynvml", fake.module)
    return fake


@pytest.mark.parametrize(
    ("scenario", "error", "message"),
    [
        ("no_driver", LibraryMissingError, "no NVIDIA driver found (libnvidia-ml is missing)"),
        ("driver_not_loaded", DriverNotLoadedError, "NVIDIA driver is not loaded"),
        (
            "version_mismatch",
            DriverMismatchError,
            "NVIDIA driver/library version mismatch: reboot or reinstall the driver",
        ),
        ("no_permission", TelemetryPermissionError, "no permission to query the NVIDIA driver"),
    ],
)
def test_init_failures_become_user_messages(monkeypatch, session, scenario, error, message):
    install(monkeypatch, fake_pynvml.SCENARIOS[scenario]())
    with pytest.raises(error) as info:
        NvmlBackend("cuda:0", fake_pynvml.UUID_A, session=session)
    assert str(info.value).startswith(message)
    assert not session.active


def test_missing_binding_is_library_missing(monkeypatch, session):
    monkeypatch.setitem(sys.modules, "pynvml", None)  # makes `import pynvml` raise ImportError
    with pytest.raises(LibraryMissingError, match="nvidia-ml-py is not installed"):
        NvmlBackend("cuda:0", None, session=session)


def test_healthy_gpu_reads_every_field_in_units(monkeypatch, session):
    fake = install(monkeypatch, fake_pynvml.healthy_h100())
    fake.gpus[0].reasons = 0x1
    backend = NvmlBackend("cuda:0", fake_pynvml.UUID_A.removeprefix("GPU-"), session=session)
    first = backend.read()
    second = backend.read()
    assert set(first) <= set(READINGS)
    assert backend.capabilities.readings == frozenset(first)
    assert first["util_percent"] == 87.0
    assert first["power_w"] == 650.0
    assert first["power_limit_w"] == 700.0
    assert first["mem_used_bytes"] == 30 * 2**30 and first["mem_total_bytes"] == 80 * 2**30
    assert first["temp_c"] == 71.0
    assert first["sm_clock_mhz"] == 1980.0 and first["sm_clock_max_mhz"] == 1980.0
    assert first["mem_clock_mhz"] == 2619.0 and first["mem_clock_max_mhz"] == 2619.0
    assert first["throttle_reasons"] == "idle"
    # energy is the delta since open: probe took the baseline, each query adds 65 J
    assert first["energy_j"] == pytest.approx(65.0)
    assert second["energy_j"] == pytest.approx(130.0)
    # max clocks are static: queried once at open, not per sample
    assert fake.calls["nvmlDeviceGetMaxClockInfo"] == 2
    backend.close()
    backend.close()
    assert fake.initialised == 0 and not session.active


def test_init_once_per_process_refcounted(monkeypatch, session):
    fake = install(monkeypatch, fake_pynvml.gpu_lost_mid_run(after_queries=10_000))
    a = NvmlBackend("cuda:0", fake_pynvml.UUID_A, session=session)
    b = NvmlBackend("cuda:1", fake_pynvml.UUID_B, session=session)
    assert fake.calls["nvmlInit"] == 1
    a.close()
    assert fake.calls["nvmlShutdown"] == 0
    b.close()
    assert fake.calls["nvmlShutdown"] == 1


def test_unsupported_fields_are_cached_as_na(monkeypatch, session):
    fake = install(monkeypatch, fake_pynvml.unsupported_fields())
    backend = NvmlBackend("cuda:0", fake_pynvml.UUID_A, session=session)
    for _ in range(5):
        reading = backend.read()
    assert reading["energy_j"] is None and reading["power_limit_w"] is None
    assert reading["power_w"] == 650.0
    assert fake.calls["nvmlDeviceGetTotalEnergyConsumption"] == 1  # the probe only
    assert fake.calls["nvmlDeviceGetEnforcedPowerLimit"] == 1
    caps = backend.capabilities
    assert not caps.supports("energy_j")
    assert "not supported" in (caps.why_missing("energy_j") or "")
    # the new clock-event call is missing on this driver: the old throttle-reasons call is used
    assert reading["throttle_reasons"] == "sw_power_cap,sw_thermal"
    assert fake.calls["nvmlDeviceGetCurrentClocksEventReasons"] == 1
    assert fake.calls["nvmlDeviceGetCurrentClocksThrottleReasons"] == 5
    backend.close()


def test_gpu_lost_mid_run_other_gpu_keeps_sampling(monkeypatch, session):
    install(monkeypatch, fake_pynvml.gpu_lost_mid_run(after_queries=30))
    lost = NvmlBackend("cuda:0", fake_pynvml.UUID_A, session=session)
    other = NvmlBackend("cuda:1", fake_pynvml.UUID_B, session=session)
    statuses, readings = [], []
    for _ in range(10):  # the sampler's loop: read() must never raise
        readings.append(lost.read())
        statuses.append(lost.status)
        assert other.read()["util_percent"] == 87.0
    assert statuses[0] == "ok" and statuses[-1] == "lost"
    assert readings[0]["power_w"] == 650.0
    assert all(v is None for v in readings[-1].values()) and "power_w" in readings[-1]
    assert lost.capabilities.readings == frozenset()
    assert other.status == "ok"
    lost.close()
    other.close()


def test_unknown_error_on_handle_marks_lost(monkeypatch, session):
    fake = install(monkeypatch, fake_pynvml.healthy_h100())
    backend = NvmlBackend("cuda:0", fake_pynvml.UUID_A, session=session)

    def broken(handle):
        raise fake_pynvml.err("Unknown")

    monkeypatch.setattr(fake.module, "nvmlDeviceGetUtilizationRates", broken)
    assert backend.read()["util_percent"] is None
    assert backend.status == "lost"
    backend.close()


def test_transient_error_is_one_none_not_a_drop(monkeypatch, session):
    fake = install(monkeypatch, fake_pynvml.healthy_h100())
    backend = NvmlBackend("cuda:0", fake_pynvml.UUID_A, session=session)
    real = fake.module.nvmlDeviceGetTemperature

    def timeout(handle, sensor):
        raise fake_pynvml.err("Timeout")

    monkeypatch.setattr(fake.module, "nvmlDeviceGetTemperature", timeout)
    assert backend.read()["temp_c"] is None
    monkeypatch.setattr(fake.module, "nvmlDeviceGetTemperature", real)
    assert backend.read()["temp_c"] == 71.0
    backend.close()


def test_uuid_mapping_picks_the_right_gpu_when_orders_differ(monkeypatch, session):
    fake, cuda_order_uuids = fake_pynvml.two_gpus_cuda_order_differs()
    install(monkeypatch, fake)
    cuda0 = NvmlBackend("cuda:0", cuda_order_uuids[0], session=session)
    cuda1 = NvmlBackend("cuda:1", cuda_order_uuids[1], session=session)
    assert cuda0.read()["util_percent"] == 95.0  # the H100, NVML index 1
    assert cuda1.read()["util_percent"] == 5.0  # the T4, NVML index 0
    cuda0.close()
    cuda1.close()


def test_no_uuid_is_refused_when_ambiguous(monkeypatch, session):
    fake, _ = fake_pynvml.two_gpus_cuda_order_differs()
    install(monkeypatch, fake)
    with pytest.raises(DeviceNotFoundError, match="NVML sees 2 GPUs"):
        NvmlBackend("cuda:0", None, session=session)
    assert not session.active


def test_unknown_uuid(monkeypatch, session):
    install(monkeypatch, fake_pynvml.healthy_h100())
    with pytest.raises(DeviceNotFoundError, match="no GPU with UUID GPU-deadbeef"):
        NvmlBackend("cuda:0", "deadbeef", session=session)
    assert not session.active


def test_mig_utilization_is_na_with_reason(monkeypatch, session):
    install(monkeypatch, fake_pynvml.mig())
    backend = NvmlBackend("cuda:0", "MIG-33333333-cccc-4ccc-8ccc-000000000003", session=session)
    reading = backend.read()
    assert reading["util_percent"] is None
    assert reading["mem_total_bytes"] == 10 * 2**30
    assert backend.capabilities.why_missing("util_percent") == MIG_UTIL_REASON
    assert backend.status == "ok"
    backend.close()


def test_nvml_uuid_spelling():
    assert nvml_uuid("abc-1") == "GPU-abc-1"
    assert nvml_uuid("GPU-abc-1") == "GPU-abc-1"
    assert nvml_uuid("MIG-abc") == "MIG-abc"
    with pytest.raises(ValueError):
        nvml_uuid("  ")


def test_shared_session_is_module_level():
    assert isinstance(nvml_session.NVML_SESSION, NvmlSession)
    assert issubclass(DriverMismatchError, TelemetryError)
