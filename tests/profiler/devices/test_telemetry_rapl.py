"""RAPL CPU energy over a fake powercap sysfs tree, including counter wraparound."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from profiler.devices.rapl import POWERCAP_ROOT, RaplBackend, find_package_zones


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def zone(root: Path, name: str, energy_uj: int, max_uj: int = 262_143_328_850) -> Path:
    z = root / name
    z.mkdir(parents=True)
    (z / "energy_uj").write_text(f"{energy_uj}\n")
    (z / "max_energy_range_uj").write_text(f"{max_uj}\n")
    (z / "name").write_text("package-0\n")
    return z


def set_energy(z: Path, energy_uj: int) -> None:
    (z / "energy_uj").write_text(f"{energy_uj}\n")


def test_energy_and_power_sum_packages_skip_subzones(tmp_path):
    p0 = zone(tmp_path, "intel-rapl:0", 1_000_000)
    p1 = zone(tmp_path, "intel-rapl:1", 5_000_000)
    core = zone(tmp_path, "intel-rapl:0:0", 0)  # a sub-zone of package 0: must not be counted
    clock = Clock()
    backend = RaplBackend(root=tmp_path, clock=clock)
    assert backend.zone_names == ["intel-rapl:0", "intel-rapl:1"]
    assert backend.capabilities.readings == {"energy_j", "power_w"}
    set_energy(p0, 1_000_000 + 30_000_000)  # +30 J
    set_energy(p1, 5_000_000 + 20_000_000)  # +20 J
    set_energy(core, 99_000_000)
    clock.t += 0.5
    reading = backend.read()
    assert reading["energy_j"] == pytest.approx(50.0)
    assert reading["power_w"] == pytest.approx(100.0)


def test_wraparound_adds_the_counter_range(tmp_path):
    max_uj = 1_000_000_000
    p0 = zone(tmp_path, "intel-rapl:0", max_uj - 2_000_000, max_uj=max_uj)
    clock = Clock()
    backend = RaplBackend(root=tmp_path, clock=clock)
    set_energy(p0, 3_000_000)  # wrapped: 2 J to the top + 3 J after
    clock.t += 1.0
    reading = backend.read()
    assert reading["energy_j"] == pytest.approx(5.0)
    assert reading["power_w"] == pytest.approx(5.0)
    set_energy(p0, 4_000_000)
    clock.t += 1.0
    assert backend.read()["energy_j"] == pytest.approx(6.0)


def test_missing_tree_is_na_with_reason(tmp_path):
    backend = RaplBackend(root=tmp_path / "absent")
    assert backend.read() == {"energy_j": None, "power_w": None}
    assert "does not exist" in (backend.capabilities.why_missing("energy_j") or "")
    empty = tmp_path / "powercap"
    empty.mkdir()
    assert "no RAPL package zone" in (find_package_zones(empty)[1] or "")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_root_only_counter_is_na_with_reason(tmp_path):
    p0 = zone(tmp_path, "intel-rapl:0", 1)
    (p0 / "energy_uj").chmod(0o000)
    reason = RaplBackend(root=tmp_path).capabilities.why_missing("energy_j")
    assert reason and "root only" in reason


def test_counter_vanishing_mid_run_stops_cleanly(tmp_path):
    p0 = zone(tmp_path, "intel-rapl:0", 1)
    backend = RaplBackend(root=tmp_path, clock=Clock())
    (p0 / "energy_uj").unlink()
    assert backend.read() == {"energy_j": None, "power_w": None}
    assert not backend.capabilities.readings


def test_this_machine_reports_a_reason_or_readings():
    backend = RaplBackend(root=POWERCAP_ROOT)
    reading = backend.read()
    caps = backend.capabilities
    if caps.readings:
        assert reading["energy_j"] is not None
    else:
        assert reading == {"energy_j": None, "power_w": None} and caps.why_missing("energy_j")
