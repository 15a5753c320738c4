"""Both references in a run: the >100% alarm, probe notes in warnings, host vs run CPU, the
schema 3 layout and the migration of schema 1/2 results, and no probe in the run's process."""

from __future__ import annotations

import json
import time

import pytest
import torch

from profiler.cli.summary import render_summary
from profiler.devices.hardware_peak import HardwarePeak
from profiler.metrics.contention import contention_of_dict
from profiler.metrics.cpu_share import cpu_shares
from profiler.metrics.figures import ERROR_PREFIX, figures, mfu_alarm
from profiler.reports.validate import check_result
from profiler.results.result import SCHEMA, RunResult
from profiler.results.spec import RunSpec
from profiler.runner import references, run_training
from profiler.workloads import probes
from profiler.workloads.ceiling_cache import Ceiling

TINY = RunSpec(workload="mlp", knobs={"width": 64, "depth": 1}, batch_size=32, duration_s=0.5, threads=1,
               warmup_max_steps=10, warmup_max_s=1.0)
SLOW_BF16 = "bfloat16 runs at 2% of float32 here: no fast bfloat16 kernel"


def telemetry(host: float, process_core: float) -> dict[str, dict[str, float | None]]:
    return {"host.cpu_util_percent": {"mean": host, "max": host},
            "host.process_cpu_percent": {"mean": process_core, "max": process_core}}


def test_mfu_above_the_hardware_peak_is_an_error_naming_flops_and_peak() -> None:
    figs = figures([0.1] * 10, 32, flops_per_step=1.13e9, peak_flops_per_s=1e10)
    alarm = mfu_alarm(figs, 1.13e9, 1e10, "ISA table")
    assert alarm is not None and alarm.startswith(ERROR_PREFIX)
    assert "MFU 113%" in alarm and "1.13 GFLOP per step" in alarm and "10 GFLOP/s" in alarm and "ISA table" in alarm
    assert mfu_alarm(figures([0.1], 32, 1e9, 1e11), 1e9, 1e11, "ISA table") is None
    assert mfu_alarm(figures([0.1], 32, 1e9, None), 1e9, None, None) is None


@pytest.mark.contention
def test_contention_other_processes_above_15_points() -> None:
    shares = cpu_shares(telemetry(host=100.0, process_core=96.0), cpus=2)  # the run holds 48% of 2 cores
    assert (shares.host_percent, shares.run_percent, shares.others_percent) == (100.0, 48.0, 52.0)
    old = {"telemetry": telemetry(host=100.0, process_core=96.0), "environment": {"logical_cpus": 2}}
    warning = contention_of_dict(old).warning()  # a result stored before per-sample figures: judged on its mean
    assert warning is not None and "other processes used a median 52% of the CPU during the timed window" in warning
    quiet = {"telemetry": telemetry(host=60.0, process_core=100.0), "environment": {"logical_cpus": 2}}
    assert contention_of_dict(quiet).warning() is None  # others 10
    assert cpu_shares({}, 2).others_percent is None and cpu_shares(telemetry(50, 50), None).run_percent is None


def fake_references(monkeypatch: pytest.MonkeyPatch, peak: float, ceiling: float | None,
                    ceiling_notes: tuple[str, ...] = ()) -> None:
    monkeypatch.setattr(references, "hardware_peak", lambda *a: HardwarePeak(
        peak, "ISA table", {"cores": 1, "flop_per_cycle": 64.0, "clock_ghz": 4.0, "dtype": "fp32"},
        notes=("a peak note",)))
    monkeypatch.setattr(references, "ceiling_for", lambda *a, **k: Ceiling(
        ceiling, "best GEMM measured here: torch.mm n=2048 (cached)", {"backend": "torch.mm"}, ceiling_notes, True))


def test_a_run_below_its_fake_peak_alarms_and_keeps_every_probe_note(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_references(monkeypatch, peak=1e6, ceiling=2e9, ceiling_notes=(SLOW_BF16,))  # 1 MFLOP/s: any run beats it
    result = run_training(TINY)
    assert result.status == "completed"
    assert result.mfu is not None and result.mfu > 1
    errors = [w for w in result.warnings if w.startswith(ERROR_PREFIX)]
    assert len(errors) == 1 and "1 MFLOP/s" in errors[0]
    assert SLOW_BF16 in result.warnings  # a note of a ceiling that has a value is kept too
    assert "a peak note" in result.warnings
    summary = render_summary(result.to_dict())
    assert "  error: MFU" in summary and "warning: ERROR" not in summary


def test_a_run_reports_both_mfus_and_labels_host_and_run_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_references(monkeypatch, peak=1e13, ceiling=5e12)
    data = run_training(TINY).to_dict()
    assert data["schema"] == SCHEMA == 3
    assert data["mfu"] == pytest.approx(data["achieved_flops_per_s"] / 1e13)
    assert data["mfu_ceiling"] == pytest.approx(data["achieved_flops_per_s"] / 5e12)
    assert data["peak_source"] == "ISA table" and data["peak_inputs"]["clock_ghz"] == 4.0
    assert data["ceiling_source"].startswith("best GEMM measured here")
    assert data["run_cpu_percent"] is not None and 0 <= data["run_cpu_percent"] <= 100
    summary = render_summary(data)
    assert "of hardware peak" in summary and "of the best GEMM measured here" in summary
    assert "machine CPU" in summary and "this run's process" in summary and "other processes" in summary
    json.dumps(data, allow_nan=False)
    check_result(data)  # an export of it imports


def test_the_run_measures_nothing_in_its_own_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("an in-process matmul probe ran before the timed window")

    monkeypatch.setattr(probes, "peak_for", forbidden)
    monkeypatch.setattr(probes, "matmul_peak", forbidden)
    result = run_training(TINY)  # real hardware peak (microbenchmark in a child), cached-only ceiling
    assert result.status == "completed", result.error
    assert result.peak_source in ("ISA table", "FMA microbenchmark", "assumed")
    assert result.peak_inputs["cores"] == 1 and result.peak_inputs["clock_ghz"]
    assert result.ceiling_flops_per_s is None and "never measured" in (result.ceiling_source or "")
    assert result.mfu is not None and 0 < result.mfu <= 1


def schema2(device: str = "cpu", sheet: float | None = None) -> dict:
    spec = RunSpec(workload="mlp", device=device)
    result = RunResult(spec=spec, run_id="old-run", status="completed", samples_per_step=32, flops_per_step=1e9)
    result.step_times_s = [0.01] * 10
    data = result.to_dict()
    for key in ("peak_inputs", "ceiling_flops_per_s", "ceiling_source", "ceiling_inputs", "mfu_ceiling",
                "host_cpu_percent", "run_cpu_percent", "other_cpu_percent"):
        data.pop(key)
    data.update(schema=2, peak_flops_per_s=2e11, peak_source="measured: float32 matmul n=2048", mfu=0.5,
                datasheet_peak_flops_per_s=sheet, datasheet_source="H100 datasheet" if sheet else None,
                mfu_datasheet=(1e11 / sheet) if sheet else None)
    return data


def test_schema_2_probe_peak_becomes_the_ceiling() -> None:
    old = schema2()
    check_result(old)  # old files still import
    result = RunResult.from_dict(old)
    assert result.ceiling_flops_per_s == 2e11 and "in-process torch.mm probe" in (result.ceiling_source or "")
    assert result.peak_flops_per_s is None and result.mfu is None
    assert result.mfu_ceiling == pytest.approx(0.5)
    new = result.to_dict()
    assert new["schema"] == 3 and "datasheet_peak_flops_per_s" not in new


def test_schema_2_datasheet_becomes_the_hardware_peak() -> None:
    result = RunResult.from_dict(schema2("cuda:0", sheet=989e12))
    assert result.peak_flops_per_s == 989e12 and result.peak_source == "datasheet"
    assert result.peak_inputs["source"] == "H100 datasheet"
    assert result.mfu == pytest.approx(1e11 / 989e12)


def test_schema_3_round_trips() -> None:
    result = RunResult(spec=RunSpec(workload="mlp"), run_id="r3", status="completed", samples_per_step=8,
                       flops_per_step=1e9, peak_flops_per_s=4e11, peak_source="ISA table",
                       peak_inputs={"cores": 2}, ceiling_flops_per_s=2e11, ceiling_source="best GEMM",
                       ceiling_inputs={"backend": "torch.mm"})
    result.step_times_s = [0.1] * 3
    again = RunResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again.to_dict() == result.to_dict()


def test_probe_command_reports_peak_and_ceiling(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from profiler.cli import main
    from profiler.workloads import ceiling_cache
    from profiler.workloads.ceiling import CeilingMeasurement

    calls: list[bool] = []

    def fake(device: str, precision: str, threads: int | None, seconds: float = 3.0, force: bool = False,
             timeout_s: float = 180.0) -> CeilingMeasurement:
        calls.append(force)
        return CeilingMeasurement(device=device, precision=precision, dtype="x", threads=threads,
                                  torch=torch.__version__, flops_per_s=1e11, backend="torch.mm", n=512,
                                  notes=[SLOW_BF16], measured_at=time.time())

    monkeypatch.setattr(ceiling_cache, "measure_out_of_process", fake)
    assert main(["probe", "--json", "--threads", "1", "--remeasure", "--busy-ok"]) == 0
    out = json.loads(capsys.readouterr().out)
    fp32 = out["precisions"]["fp32"]
    assert fp32["peak_flops_per_s"] > 0 and fp32["peak_source"] and fp32["peak_inputs"]["cores"] == 1
    assert fp32["ceiling_flops_per_s"] == 1e11 and SLOW_BF16 in fp32["notes"]
    assert calls and all(calls)  # --busy-ok forces the measurement
    assert main(["probe", "--threads", "1"]) == 0  # cached now: no new measurement
    text = capsys.readouterr().out
    assert "fp32 hardware peak" in text and "fp32 best GEMM here" in text and "(cached)" in text
    assert main(["probe", "--threads", "0"]) == 2
    assert "--threads" in capsys.readouterr().err
