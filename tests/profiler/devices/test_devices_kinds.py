"""``horsepower devices`` names every kind of device, says why each absent one is absent and
what it needs, and states every capability of each usable device (n/a with its reason)."""

from __future__ import annotations

import json
import types

import pytest
import torch

from profiler.accelerator import runtime
from profiler.cli import main
from profiler.devices.kinds import CAPABILITIES, KINDS
from profiler.devices.support import kind_support


@pytest.fixture(autouse=True)
def _fresh_plugins():
    runtime.forget_plugins()
    yield
    runtime.forget_plugins()


def test_every_kind_is_listed_with_a_reason(capsys):
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    kinds_part = out.split("Device kinds:")[1].split("Telemetry:")[0]
    lines = [line.strip() for line in kinds_part.strip().splitlines()]
    assert len(lines) == len(KINDS)
    for row, line in zip(KINDS, lines, strict=True):
        assert line.startswith(row.title + ":"), line
        if "device(s)" not in line:
            assert ("absent: " in line and "; needs " in line) or "not a training target" in line, line
    assert any("FPGA: not a training target: FPGAs have no PyTorch training path" in line for line in lines)
    assert any(line.startswith("Google TPU (xla): absent: torch_xla") for line in lines)
    assert any(line.startswith("Intel Gaudi (hpu): absent: habana_frameworks.torch") for line in lines)


def test_cpu_states_every_capability(capsys):
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    cpu_part = out.split("\ncuda")[0] if "\ncuda" in out else out.split("Device kinds:")[0]
    for name in CAPABILITIES:
        assert f"          {name}: " in cpu_part, name
    assert "events: n/a (the CPU has no device events" in cpu_part


def test_json_has_kinds_and_capabilities(capsys):
    assert main(["devices", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [k["key"] for k in data["kinds"]] == [row.key for row in KINDS]
    assert all(k["present"] or k["reason"] or not k["trainable"] for k in data["kinds"])
    [cpu] = [d for d in data["devices"] if d["id"] == "cpu"]
    assert [c["name"] for c in cpu["capabilities"]] == list(CAPABILITIES)
    assert all(c["supported"] or c["detail"] for c in cpu["capabilities"])


def test_a_gaudi_machine_lists_its_devices_and_their_capabilities(monkeypatch, capsys):
    hpu = types.SimpleNamespace(
        is_available=lambda: True, device_count=lambda: 2, synchronize=lambda i=None: None,
        memory_stats=lambda i: {"allocated_bytes.all.current": 5, "reserved_bytes.all.current": 9,
                                "allocated_bytes.all.peak": 7},
        reset_peak_memory_stats=lambda i: None, get_device_name=lambda i: "Intel Gaudi 2",
        get_device_properties=lambda i: types.SimpleNamespace(total_memory=96 * 2**30),
    )
    monkeypatch.setattr(torch, "hpu", hpu, raising=False)
    runtime._plugins["hpu"] = (types.ModuleType("habana_frameworks.torch"), "")
    [row] = [k for k in kind_support() if k.key == "hpu"]
    assert row.present and row.devices == ("hpu:0", "hpu:1")
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert "hpu:1    Intel Gaudi 2 (Intel, 96 GiB)" in out
    assert "Intel Gaudi (hpu): 2 device(s): hpu:0, hpu:1" in out
    hpu_part = out.split("hpu:1    Intel Gaudi 2")[1].split("Device kinds:")[0]
    assert "memory: torch.hpu allocator statistics" in hpu_part
    assert "power: n/a (Gaudi telemetry lives in hl-smi / pyhlml" in hpu_part
