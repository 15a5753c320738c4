"""The metric layer: one key scheme, one throughput definition, honest speedups, peak memory."""

from __future__ import annotations

import pytest

from profiler.metrics import keys
from profiler.metrics.comparison import DEVICE, NONE, REPEAT, SETTINGS, device_baseline, speedup
from profiler.metrics.figures import figures, live_figures, live_window
from profiler.metrics.memory import peak_memory
from profiler.results.result import SCHEMA, RunResult
from tests.helpers import fabricated


def test_keys_round_trip_and_legacy_names_are_rewritten():
    assert keys.key("cuda:0", "power_w") == "cuda:0.power_w"
    assert keys.split("cuda:0.power_w") == ("cuda:0", "power_w")
    assert keys.split("cpu_util_percent") == ("host", "cpu_util_percent")
    legacy = {"cpu_util_percent": 1, "device_power_w": 2, "cuda:0.alloc_bytes": 3}
    assert keys.normalize(legacy, "cuda:0") == {
        "host.cpu_util_percent": 1, "cuda:0.power_w": 2, "cuda:0.alloc_bytes": 3}


def test_schema_1_result_reads_with_current_keys():
    old = fabricated("old", "cuda:0").to_dict()
    old["schema"] = 1
    old["telemetry"] = {"process_rss_bytes": {"mean": 1.0, "max": 2.0},
                        "device_power_w": {"mean": 100.0, "max": 120.0}}
    result = RunResult.from_dict(old)
    assert set(result.telemetry) == {"host.process_rss_bytes", "cuda:0.power_w"}
    assert result.to_dict()["schema"] == SCHEMA


def test_figures_over_a_window():
    f = figures([0.5, 0.5], 100, flops_per_step=1e9, peak_flops_per_s=8e9, ceiling_flops_per_s=4e9)
    assert f.samples_per_s == 200.0
    assert f.flops_per_s == 2e9
    assert f.mfu == 0.25 and f.mfu_ceiling == 0.5
    assert f.basis == "whole timed window (2 steps)"
    empty = figures([], 100, 1e9, 1e12)
    assert empty.samples_per_s is None and empty.flops_per_s is None and empty.mfu is None


def test_no_peak_or_no_flops_is_na_not_zero():
    f = figures([0.1], 10, flops_per_step=None, peak_flops_per_s=1e12)
    assert f.flops_per_s is None and f.mfu is None
    g = figures([0.1], 10, flops_per_step=1e9, peak_flops_per_s=None)
    assert g.flops_per_s == pytest.approx(1e10) and g.mfu is None


def test_live_window_keeps_the_last_two_seconds_but_at_least_three_steps():
    steps = [(float(t), 1.0, 10) for t in range(1, 11)]  # one step a second
    assert [s[0] for s in live_window(steps)] == [8.0, 9.0, 10.0]
    fast = [(t * 0.1, 0.1, 10) for t in range(1, 101)]
    tail = live_window(fast)
    assert fast[-1][0] - tail[0][0] <= 2.0 + 1e-9 and len(tail) == 21
    assert live_window(steps[:2]) == steps[:2]


def test_live_and_final_figures_agree_for_a_steady_run():
    steps = [(0.01 * (i + 1), 0.01, 32) for i in range(500)]
    live = live_figures(steps, len(steps), flops_per_step=1e8, peak_flops_per_s=1e11, ceiling_flops_per_s=5e10)
    final = figures([dt for _, dt, _ in steps], 32, flops_per_step=1e8, peak_flops_per_s=1e11,
                    ceiling_flops_per_s=5e10)
    assert live is not None
    assert live.samples_per_s == pytest.approx(final.samples_per_s)
    assert live.mfu == pytest.approx(final.mfu) and live.mfu_ceiling == pytest.approx(final.mfu_ceiling)
    assert live.basis.startswith("last 2.0 s (")


def d(result: RunResult) -> dict:
    return result.to_dict()


def test_speedup_between_devices_of_the_same_configuration():
    cpu, gpu = d(fabricated("c", "cpu", step_s=0.02)), d(fabricated("g", "cuda:0", step_s=0.005))
    s = speedup(gpu, cpu)
    assert s.kind == DEVICE and s.value == pytest.approx(4.0) and s.label.startswith("vs cpu")


def test_no_speedup_between_different_workloads_or_models():
    mlp = d(fabricated("a", "cuda:0"))
    lstm = d(fabricated("b", "cpu", workload="lstm"))
    s = speedup(mlp, lstm)
    assert s.kind == NONE and s.value is None and "different workloads (mlp vs lstm)" in s.reason
    wide = d(fabricated("w", "cpu", knobs={"width": 4096}))
    narrow = d(fabricated("n", "cpu", knobs={"width": 64}))
    assert "different models" in speedup(wide, narrow).reason


def test_same_device_same_settings_is_a_repeat_with_its_spread():
    a, b = d(fabricated("a", "cpu", step_s=0.010)), d(fabricated("b", "cpu", step_s=0.0125))
    s = speedup(a, b)
    assert s.kind == REPEAT and s.value is None
    assert s.spread == pytest.approx(abs(3200 - 2560) / 2880)


def test_same_device_other_precision_is_a_labelled_settings_speedup():
    bf16 = d(fabricated("a", "cpu", step_s=0.005, precision="bf16"))
    fp32 = d(fabricated("b", "cpu", step_s=0.010))
    s = speedup(bf16, fp32)
    assert s.kind == SETTINGS and s.value == pytest.approx(2.0) and s.label == "bf16 vs fp32 on cpu"
    threads = speedup(d(fabricated("t2", "cpu", threads=2)), d(fabricated("t1", "cpu", threads=1)))
    assert threads.kind == SETTINGS and "2 threads vs 1 thread" in threads.label


def test_loader_workers_are_part_of_a_runs_identity_and_speedup():
    """0 vs 2 DataLoader workers (the issue's slow Dataset): a named settings speedup, not a repeat."""
    none = d(fabricated("w0", "cpu", step_s=0.0229, input_pipeline=True, loader_workers=0))
    two = d(fabricated("w2", "cpu", step_s=0.0100, input_pipeline=True, loader_workers=2))
    s = speedup(two, none)
    assert s.kind == SETTINGS and s.value == pytest.approx(2.29)
    assert s.sentence == "2 loader workers: 2.29x faster than 0"
    assert speedup(none, two).sentence == "0 loader workers: 2.29x slower than 2"
    assert speedup(two, d(fabricated("again", "cpu", step_s=0.0107, input_pipeline=True))).kind == REPEAT
    # without a DataLoader the workers setting changes nothing, so it is no difference
    plain = d(fabricated("p", "cpu", loader_workers=0))
    assert speedup(plain, d(fabricated("q", "cpu", loader_workers=4))).kind == REPEAT
    # pinning is a setting on an accelerator only
    pin = d(fabricated("g1", "cuda:0", step_s=0.01, input_pipeline=True, pin_memory=True))
    nopin = d(fabricated("g2", "cuda:0", step_s=0.02, input_pipeline=True, pin_memory=False))
    assert speedup(pin, nopin).sentence == "pin memory on: 2.00x faster than off"
    cpu_pin = d(fabricated("c1", "cpu", input_pipeline=True, pin_memory=True))
    assert speedup(cpu_pin, d(fabricated("c2", "cpu", input_pipeline=True, pin_memory=False))).kind == REPEAT


def test_batch_is_a_setting_and_two_differences_are_not_a_speedup():
    big, small = d(fabricated("x", "cpu", batch=256, step_s=0.04)), d(fabricated("y", "cpu", step_s=0.01))
    s = speedup(big, small)
    assert s.kind == SETTINGS and s.sentence == "batch 256: 2.00x faster than 32"
    two = speedup(d(fabricated("z", "cpu", batch=256, precision="bf16")), small)
    assert two.kind == NONE and "2 settings differ" in two.reason and "change one thing at a time" in two.reason


def test_a_repeat_says_its_signed_difference():
    s = speedup(d(fabricated("a", "cpu", step_s=0.01)), d(fabricated("b", "cpu", step_s=0.01074)))
    assert s.kind == REPEAT and s.difference == pytest.approx(0.074, abs=1e-3)
    assert "+7.4%" in s.sentence


def test_other_device_and_other_precision_is_not_comparable():
    s = speedup(d(fabricated("g", "cuda:0", precision="bf16")), d(fabricated("c", "cpu")))
    assert s.kind == NONE and "change one thing at a time" in s.reason


def test_failed_runs_have_no_speedup():
    failed = d(fabricated("f", "cuda:0"))
    failed["status"] = "failed"
    assert "failed" in speedup(failed, d(fabricated("c", "cpu"))).reason


def test_device_baseline_picks_the_fastest_comparable_cpu_run():
    gpu = d(fabricated("g", "cuda:0", step_s=0.001))
    slow, fast = d(fabricated("s", "cpu", step_s=0.02)), d(fabricated("f", "cpu", step_s=0.01))
    other = d(fabricated("o", "cpu", step_s=0.001, workload="lstm"))
    assert device_baseline(gpu, [slow, fast, other])["run_id"] == "f"
    assert device_baseline(gpu, [other]) is None


def test_peak_memory_of_a_gpu_run_is_device_memory_never_host_rss():
    gpu = d(fabricated("g", "cuda:0"))
    gpu["telemetry"] = {"host.process_rss_bytes": {"mean": 1e9, "max": 2e9},
                        "cuda:0.alloc_bytes": {"mean": 3e9, "max": 4e9}}
    assert peak_memory(gpu) == (4e9, "cuda:0 alloc")
    gpu["telemetry"] = {"host.process_rss_bytes": {"mean": 1e9, "max": 2e9}}
    value, why = peak_memory(gpu)
    assert value is None and "cuda:0 reported no memory" in why
    cpu = d(fabricated("c", "cpu"))
    cpu["telemetry"] = {"host.process_rss_bytes": {"mean": 1e9, "max": 2e9}}
    assert peak_memory(cpu) == (2e9, "worker process RSS")
