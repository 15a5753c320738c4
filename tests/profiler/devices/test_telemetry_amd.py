"""AMD backend with a fake amdsmi: mapping by UUID/BDF, units, n/a fields, missing library."""

from __future__ import annotations

import sys

import pytest

from profiler.devices.amd import AmdSmiBackend, AmdSmiSession
from profiler.devices.telemetry import DeviceNotFoundError, LibraryMissingError, TelemetryError

try:
    from fakes import fake_amdsmi
except ImportError:
    from tests.fakes import fake_amdsmi


def test_reads_in_units_and_maps_by_uuid(monkeypatch):
    module, _ = fake_amdsmi.two_mi300x()
    monkeypatch.setitem(sys.modules, "amdsmi", module)
    session = AmdSmiSession()
    backend = AmdSmiBackend("cuda:0", uuid="GPU-AAAA0000-0000-0000-0000-000000000001", session=session)
    first, second = backend.read(), backend.read()
    assert first["util_percent"] == 10.0
    assert first["mem_used_bytes"] == 40_000 * 2**20 and first["mem_total_bytes"] == 196_592 * 2**20
    assert first["power_w"] == 610.0
    assert first["temp_c"] == 68.0
    assert first["sm_clock_mhz"] == 2100.0 and first["mem_clock_max_mhz"] == 1300.0
    step_j = 10_000 * 15.3 / 1e6
    assert first["energy_j"] == pytest.approx(step_j)
    assert second["energy_j"] == pytest.approx(2 * step_j)
    assert backend.capabilities.why_missing("throttle_reasons")
    backend.close()
    assert module.state["init"] == 0


def test_bdf_mapping_and_unsupported_fields(monkeypatch):
    module, _ = fake_amdsmi.two_mi300x()
    monkeypatch.setitem(sys.modules, "amdsmi", module)
    backend = AmdSmiBackend("cuda:1", bdf="0000:C1:00.0", session=AmdSmiSession())
    reading = backend.read()
    assert reading["util_percent"] == 93.0
    assert reading["sm_clock_mhz"] is None and reading["power_w"] is None  # unsupported, "N/A"
    caps = backend.capabilities
    assert not caps.supports("power_w") and "not supported" in (caps.why_missing("sm_clock_mhz") or "")
    assert caps.supports("energy_j")
    backend.close()


def test_ambiguous_or_unknown_gpu_is_refused(monkeypatch):
    module, _ = fake_amdsmi.two_mi300x()
    monkeypatch.setitem(sys.modules, "amdsmi", module)
    session = AmdSmiSession()
    with pytest.raises(DeviceNotFoundError):
        AmdSmiBackend("cuda:0", session=session)
    with pytest.raises(DeviceNotFoundError):
        AmdSmiBackend("cuda:0", uuid="ffff", session=session)
    assert module.state["init"] == 0


def test_missing_library_and_failed_init(monkeypatch):
    monkeypatch.setitem(sys.modules, "amdsmi", None)
    with pytest.raises(LibraryMissingError, match="amdsmi is not installed"):
        AmdSmiBackend("cuda:0", session=AmdSmiSession())
    monkeypatch.setitem(sys.modules, "amdsmi", fake_amdsmi.build([], init_fails=True))
    with pytest.raises(TelemetryError, match="AMD SMI could not start"):
        AmdSmiBackend("cuda:0", session=AmdSmiSession())


def test_errors_mid_run_never_raise(monkeypatch):
    module, gpus = fake_amdsmi.two_mi300x()
    monkeypatch.setitem(sys.modules, "amdsmi", module)
    backend = AmdSmiBackend("cuda:0", uuid=gpus[0].uuid, session=AmdSmiSession())

    def flaky(handle):
        raise fake_amdsmi.AmdSmiLibraryException(11)

    monkeypatch.setattr(module, "amdsmi_get_gpu_activity", flaky)
    assert backend.read()["util_percent"] is None
    assert backend.capabilities.supports("util_percent")  # transient: still queried
    backend.close()
