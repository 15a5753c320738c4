"""Rank 0's one result from every rank's report: global figures, energy once per node,
stragglers, and a result that the import accepts."""

from __future__ import annotations

from typing import Any

import pytest

from profiler.devices.telemetry import Capabilities, TelemetryBackend
from profiler.distributed import energy
from profiler.distributed.assemble import assemble
from profiler.distributed.config import DistConfig
from profiler.distributed.energy import NodeEnergyMeter
from profiler.distributed.train import RankReport
from profiler.reports.validate import ImportRejected, check_result
from profiler.results.result import RunResult

CONFIG = DistConfig(workload="mlp", knobs={"width": 64, "depth": 1}, batch_size=64, steps=4, measure_peak=False)


def report(rank: int, node: int, step_s: float, compute_s: float, energy_j: float | None = None,
           leader: bool = False) -> dict[str, Any]:
    r = RankReport(rank=rank, local_rank=rank % 2, node=node, host=f"node{node}", device="cpu", batch_per_rank=16,
                   warmup_steps=3, warmup_s=0.5, step_times_s=[step_s] * 4, input_s=[0.001] * 4,
                   losses=[2.0, 1.8, 1.6, 1.4 + 0.01 * rank], reference_step_s=[compute_s + 0.001] * 3,
                   reference_input_s=[0.001] * 3, params=4810, threads=1,
                   peak_flops_per_s=1e10, peak_source="fp32 matmul n=2048")
    if leader:
        r.node_energy = {"devices": ["cpu"], "energy_j": energy_j, "reason": "" if energy_j else "no RAPL"}
    return r.to_dict()


def build(reports: list[dict[str, Any]]) -> RunResult:
    result = RunResult(spec=CONFIG.rank_spec(len(reports), "cpu", 256), run_id="r1", device_info={"name": "cpu"})
    return assemble(CONFIG, reports, result, "gloo", {"nbytes": 8, "busbw_bytes_per_s": 1e9}, {})


def four_ranks(energy0: float | None = 100.0, energy1: float | None = 50.0) -> list[dict[str, Any]]:
    return [report(0, 0, 0.010, 0.006, energy0, leader=True), report(1, 0, 0.011, 0.007),
            report(2, 1, 0.010, 0.006, energy1, leader=True), report(3, 1, 0.012, 0.006)]


def test_global_figures_from_four_ranks_on_two_nodes():
    result = build(four_ranks())
    d = result.to_dict()
    assert d["samples_per_step"] == 64 and d["batch_size"] == 64 and d["spec"]["world_size"] == 4
    assert d["step_times_s"] == [0.012] * 4  # the rank whose window was longest
    assert d["samples_per_s"] == pytest.approx(64 / 0.012)
    assert d["losses"][-1] == pytest.approx(1.4 + 0.01 * 1.5)  # mean over ranks
    assert d["ceiling_flops_per_s"] == pytest.approx(4e10)  # the ranks' GEMM probes, summed
    assert d["peak_inputs"]["ranks"] == 4 and d["peak_inputs"]["scale"] == 2  # two nodes like this one
    section = d["distributed"]
    assert section["world_size"] == 4 and section["nodes"] == 2
    assert [row["rank"] for row in section["ranks"]] == [0, 1, 2, 3]
    split = section["ranks"][3]["split"]
    assert split["step_s"] == pytest.approx(split["input_s"] + split["compute_s"] + split["comm_s"])
    assert section["straggler"]["rank"] == 1
    check_result(d)  # the import accepts it


def test_energy_is_the_sum_of_each_node_once():
    result = build(four_ranks(100.0, 50.0))
    assert result.energy_j == pytest.approx(150.0)
    assert [n["energy_j"] for n in result.distributed["energy_by_node"]] == [100.0, 50.0]  # type: ignore[index]


def test_a_node_without_a_counter_makes_energy_na_with_the_reason():
    result = build(four_ranks(100.0, None))
    assert result.energy_j is None
    assert any("no RAPL" in n for n in result.notices)


def test_a_straggler_is_named_in_a_warning():
    reports = [report(0, 0, 0.02, 0.005, 1.0, leader=True), report(1, 0, 0.02, 0.015)]
    result = build(reports)
    assert any(w.startswith("rank 1 is a straggler") for w in result.warnings)


def test_the_import_rejects_a_distributed_section_that_does_not_add_up():
    d = build(four_ranks()).to_dict()
    d["distributed"]["world_size"] = 3
    with pytest.raises(ImportRejected, match=r"differs from spec\.world_size"):
        check_result(d)
    d = build(four_ranks()).to_dict()
    d["distributed"]["ranks"][1]["rank"] = 0
    with pytest.raises(ImportRejected, match="distinct rank"):
        check_result(d)
    d = build(four_ranks()).to_dict()
    d["distributed"] = None
    with pytest.raises(ImportRejected, match="needs its distributed section"):
        check_result(d)


class FakeEnergy(TelemetryBackend):
    backend = "fake"

    def __init__(self, device_id: str, counts: list[float | None]) -> None:
        super().__init__(device_id)
        self.counts = counts

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(frozenset({"energy_j"}) if self.counts[0] is not None else frozenset(),
                            {} if self.counts[0] is not None else {"energy_j": "no counter on this board"})

    def read(self) -> dict[str, Any]:
        return {"energy_j": self.counts.pop(0) if len(self.counts) > 1 else self.counts[0]}


def test_the_node_meter_sums_the_node_devices(monkeypatch):
    counters = {"cuda:0": [10.0, 25.0], "cuda:1": [5.0, 9.0]}
    monkeypatch.setattr(energy, "open_backends", lambda device_id: [FakeEnergy(device_id, counters[device_id])])
    meter = NodeEnergyMeter(["cuda:0", "cuda:1"])
    meter.start()
    assert meter.stop() == pytest.approx(19.0)


def test_the_node_meter_says_which_device_has_no_counter(monkeypatch):
    counters = {"cuda:0": [10.0, 25.0], "cuda:1": [None]}
    monkeypatch.setattr(energy, "open_backends", lambda device_id: [FakeEnergy(device_id, counters[device_id])])
    meter = NodeEnergyMeter(["cuda:0", "cuda:1"])
    meter.start()
    assert meter.stop() is None
    assert meter.reason == "cuda:1 has no energy counter (no counter on this board)"
